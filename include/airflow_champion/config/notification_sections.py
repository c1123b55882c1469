"""The notifications section of a model config: who is mailed, through which Airflow connection, on
which of the model's events. Absent = no notifications.

Only addresses and event names are checked here (load time, named errors); the SMTP server itself
is the Airflow connection's business (host, port, login, TLS), so a config holds no secret.
"""

from __future__ import annotations

import re
from typing import Any, Literal, get_args

from pydantic import Field, field_validator, model_validator

from airflow_champion.config.sections import _Strict

NotifyEvent = Literal["promote", "reject", "rollback", "failure", "drift_retrain"]
NOTIFY_EVENTS: tuple[NotifyEvent, ...] = get_args(NotifyEvent)
"""promote/reject: the promote task's decision; rollback: the rollback DAG moved the champion;
failure: any task of the model's DAGs failed for good (after its retries); drift_retrain: the drift
DAG started a retrain."""

_EMAIL_RE = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+"
)
"""One plain address (local@domain.tld): no display name, comma or line break, so an address can
neither split into two recipients (SmtpHook splits strings on , and ;) nor add a mail header."""

_CONN_ID_RE = re.compile(r"[A-Za-z0-9_.-]{1,250}")


def _address(value: str) -> str:
    if len(value) > 254 or not _EMAIL_RE.fullmatch(value):
        raise ValueError(f"{value!r} is not an e-mail address (name@example.com, one address per item)")
    return value


class NotificationSpec(_Strict):
    smtp_conn_id: str = Field(
        default="smtp_default",
        description="the Airflow SMTP connection (host, port, login, TLS; extras timeout and "
        "retry_limit bound how long a task waits for a server that is down)",
    )
    from_email: str | None = Field(
        default=None, description="sender address; empty = the connection's `from_email` extra"
    )
    to: list[str] = Field(min_length=1, max_length=50, description="recipients")
    events: list[NotifyEvent] = Field(
        default_factory=lambda: list(NOTIFY_EVENTS),
        min_length=1,
        description="which events mail: promote, reject, rollback, failure, drift_retrain (default all)",
    )

    @model_validator(mode="before")
    @classmethod
    def _no_bare_on(cls, raw: Any) -> Any:
        if isinstance(raw, dict) and True in raw:  # YAML 1.1 reads the key `on:` as the boolean true
            raise ValueError("`on:` is read by YAML as `true`; name the events under `events:`")
        return raw

    @field_validator("smtp_conn_id")
    @classmethod
    def _conn_id(cls, v: str) -> str:
        if not _CONN_ID_RE.fullmatch(v):
            raise ValueError(f"{v!r} is not an Airflow connection id (letters, digits, _ . -)")
        return v

    @field_validator("from_email")
    @classmethod
    def _from(cls, v: str | None) -> str | None:
        return None if v is None else _address(v)

    @field_validator("to")
    @classmethod
    def _to(cls, v: list[str]) -> list[str]:
        for address in v:
            _address(address)
        if len(set(v)) != len(v):
            raise ValueError(f"recipients repeat: {v}")
        return v

    @field_validator("events")
    @classmethod
    def _unique(cls, v: list[str]) -> list[str]:
        if len(set(v)) != len(v):
            raise ValueError(f"events repeat: {v}")
        return v

    def wants(self, event: str) -> bool:
        return event in self.events


__all__ = ["NOTIFY_EVENTS", "NotificationSpec", "NotifyEvent"]
