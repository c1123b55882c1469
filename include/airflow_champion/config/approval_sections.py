"""`promotion.approval`: whether a person must approve a promotion before the champion moves.

`never` (the default) is today's gate; `always` asks for every challenger the verdict would promote;
`when:` asks only on the listed conditions (any of them). A verdict that rejects, or a shadow run,
never asks: nothing would move. Who answers and when is the Airflow task's business (the HITL
request); this section only says when to ask, how long to wait and who may answer.

Left out of the config hash (registry/adr/0005-approval-before-promotion.md): it changes who may move the
alias, not what is trained or how it is judged.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Any, Literal

from pydantic import Discriminator, Field, Tag, field_validator, model_validator

from airflow_champion.config.sections import _Strict

_DURATION_RE = re.compile(r"^(\d{1,6})([smhd])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
MAX_TIMEOUT = timedelta(days=30)

_USER_RE = re.compile(r"^[A-Za-z0-9_.@+-]{1,256}$")
"""An Airflow user id as the auth manager gives it (the user name with the simple auth manager,
the numeric id with FAB): no space, comma or markup."""


def parse_duration(text: str) -> timedelta:
    """'90s', '30m', '72h', '3d' -> timedelta; anything else is a ValueError that says the format."""
    match = _DURATION_RE.fullmatch(str(text).strip())
    if not match:
        raise ValueError(f"{text!r} is not a duration: a whole number and s, m, h or d (e.g. '72h')")
    delta = timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
    if delta <= timedelta(0) or delta > MAX_TIMEOUT:
        raise ValueError(f"{text!r} must be more than 0 and at most {MAX_TIMEOUT.days}d")
    return delta


class ApprovalConditions(_Strict):
    """Ask for approval when any of these holds for a verdict that would promote."""

    first_model: bool = Field(default=False, description="there is no champion yet (first model of the name)")
    gain_below: float | None = Field(
        default=None, gt=0, description="the gain over the champion (metric units) is below this"
    )
    rel_gain_below: float | None = Field(
        default=None, gt=0, description="the relative gain over the champion is below this (0.01 = 1%)"
    )
    slice_skipped: bool = Field(
        default=False,
        description="a slice of promotion.slices was not tested (too few rows, or beyond max_slices)",
    )

    @model_validator(mode="after")
    def _something_to_ask_on(self) -> ApprovalConditions:
        if not self.chosen():
            raise ValueError(
                "`when` names no condition: set first_model: true, gain_below, rel_gain_below or "
                "slice_skipped: true (or use approval: always / never)"
            )
        return self

    def chosen(self) -> list[str]:
        """The conditions set, in a fixed order (what the config asks on)."""
        named = ("first_model", "gain_below", "rel_gain_below", "slice_skipped")
        return [n for n in named if getattr(self, n) not in (None, False)]


def _when_kind(raw: Any) -> str | None:
    if isinstance(raw, str):
        return "never|always"
    if isinstance(raw, dict | ApprovalConditions):
        return "conditions"
    return None


When = Annotated[
    Annotated[Literal["never", "always"], Tag("never|always")]
    | Annotated[ApprovalConditions, Tag("conditions")],
    Discriminator(
        _when_kind,
        custom_error_type="approval_when",
        custom_error_message="must be never, always or a mapping of conditions "
        "(first_model, gain_below, rel_gain_below, slice_skipped)",
    ),
]
"""One error per mistake, naming the branch it is in (no pair of union errors)."""


class ApprovalSpec(_Strict):
    when: When = Field(
        default="never",
        description="never | always | conditions (any of): first_model, gain_below, rel_gain_below, "
        "slice_skipped",
    )
    timeout: str = Field(
        default="12h",
        description="how long to wait for an answer ('90s', '30m', '72h', '3d'); no answer rejects; "
        "at most snapshots.claim_ttl_hours",
    )
    approvers: list[str] = Field(
        default_factory=list,
        max_length=50,
        description="Airflow user ids allowed to answer (the user name under the simple auth manager); "
        "empty = anyone who may edit the DAG's HITL details",
    )

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, raw: Any) -> Any:
        if isinstance(raw, str):  # `approval: always` / `approval: never`
            return {"when": raw}
        if isinstance(raw, dict) and True in raw:  # YAML 1.1 reads a bare `on:` key as true
            raise ValueError("`on:` is read by YAML as `true`; name the conditions under `when:`")
        return raw

    @field_validator("timeout")
    @classmethod
    def _timeout(cls, v: str) -> str:
        parse_duration(v)
        return v.strip()

    @field_validator("approvers")
    @classmethod
    def _approvers(cls, v: list[str]) -> list[str]:
        for user in v:
            if not _USER_RE.fullmatch(user):
                raise ValueError(f"{user!r} is not an Airflow user id (letters, digits, _ . @ + -)")
        if len(set(v)) != len(v):
            raise ValueError(f"approvers repeat: {v}")
        return v

    @property
    def enabled(self) -> bool:
        """A DAG with this config has an approval task (`never` keeps today's DAG shape)."""
        return self.when != "never"

    @property
    def response_timeout(self) -> timedelta:
        return parse_duration(self.timeout)


__all__ = ["MAX_TIMEOUT", "ApprovalConditions", "ApprovalSpec", "parse_duration"]
