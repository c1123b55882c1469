"""Who was champion when: the champion's periods, and the champion at an instant, from the ledger.

MLflow keeps no alias history (mlflow#2169), so the ledger is the only record: only
`ledger.MOVES_CHAMPION` entries move the champion. Every entry also records the champion its writer
read just before writing (`from_version`), so an alias moved outside the ledger shows, either as an
entry that found another champion than the last move left, or as a current alias that differs from
it. Such a move is said, with the window it happened in, never smoothed over.

Ledger times are UTC to the second. A period is [from, until): at a move's instant the new version
is the answer; of several moves in one second, the last one.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import Enum
from typing import TYPE_CHECKING, Any

from airflow_champion.errors import MlopsError
from airflow_champion.registry import ledger, tracking

if TYPE_CHECKING:
    from airflow_champion.config import ModelConfig

OBSERVES_CHAMPION = ledger.MOVES_CHAMPION | {"reject", "shadow", "conflict"}
"""Actions whose `from_version` is the champion the writer read (under the registry lock)."""
TIME_HELP = (
    "ISO 8601 with a timezone (2026-11-03T10:00:00+00:00, or ...Z) or a date (2026-11-03 = 00:00 UTC); "
    "a time without a timezone is read as UTC"
)


class BadTimeError(MlopsError):
    """A time that is neither an ISO 8601 date nor an ISO 8601 date and time."""


class _Unread(Enum):
    UNREAD = "unread"


UNREAD = _Unread.UNREAD
"""No current alias given: the periods are the ledger's alone."""


def parse_when(text: str) -> tuple[datetime, str | None]:
    """(the instant, in UTC; how it was read when that was an assumption: a date, or no timezone)."""
    value = str(text).strip()
    try:
        day = date.fromisoformat(value)
    except ValueError:
        pass
    else:
        return datetime(day.year, day.month, day.day, tzinfo=UTC), f"the date {value} is read as 00:00 UTC"
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise BadTimeError(f"not a time: {text!r}; expected {TIME_HELP}") from None
    if when.tzinfo is None:
        return when.replace(tzinfo=UTC), f"{value} has no timezone: read as UTC"
    return when.astimezone(UTC), None


def _instant(when: datetime | str) -> datetime:
    return parse_when(when)[0] if isinstance(when, str) else when.astimezone(UTC)


def _iso(when: datetime) -> str:
    return when.astimezone(UTC).isoformat(timespec="seconds")


def _entry_at(e: dict[str, Any]) -> datetime | None:
    try:
        at = datetime.fromisoformat(str(e.get("at")))
    except ValueError:
        return None
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def _version(value: Any) -> int | None:
    return None if value is None else int(value)


def _v(version: int | None) -> str:
    return "no champion" if version is None else f"v{version}"


def made_by(e: dict[str, Any]) -> dict[str, Any]:
    """What a person asks of the entry that made a version champion: who, why, on which numbers, in
    which Airflow run (`dag_run_id`) and MLflow evaluation run (`mlflow_run_id`)."""
    context = e.get("context") or {}
    out = {
        "seq": e.get("seq"),
        "action": e.get("action"),
        "at": e.get("at"),
        "actor": e.get("actor"),
        "reason": e.get("reason"),
        "metric": e.get("metric"),
        "snapshot_id": e.get("snapshot_id"),
        "dag_id": context.get("dag_id", e.get("dag_id")),
        "dag_run_id": context.get("run_id"),
        "mlflow_run_id": e.get("run_id"),
    }
    for key in ("approver", "approved_by"):
        if e.get(key):
            out["approver"] = e[key]
    return out


class _Walk:
    """The periods and findings built entry by entry (see `periods`)."""

    def __init__(self) -> None:
        self.periods: list[dict[str, Any]] = []
        self.findings: list[dict[str, Any]] = []
        self.champion: int | None = None  # as far as the ledger knows
        self.last_at: datetime | None = None  # when the ledger last knew it

    def _close(self, until: datetime, after: str | None = None) -> None:
        if self.periods and self.periods[-1]["until"] is None:
            self.periods[-1].update(until=_iso(until), until_after=after)

    def start(self, version: int | None, at: datetime, e: dict[str, Any] | None, after: str | None) -> None:
        """A period from `at` (made by entry `e`; None: moved outside the ledger, after `after`)."""
        if version is not None:
            self.periods.append(
                {
                    "version": version,
                    "from": _iso(at),
                    "from_after": after,
                    "until": None,
                    "until_after": None,
                    "moved_outside_ledger": e is None,
                    "entry": made_by(e) if e is not None else None,
                }
            )
        self.champion = version

    def moved_outside(self, found: int | None, before: datetime, seen_by: str) -> None:
        """The champion was `found` at `before`, not the ledger's: it moved after `self.last_at`."""
        after = _iso(self.last_at) if self.last_at is not None else None
        window = f"between {after} and {_iso(before)}" if after else f"before {_iso(before)}"
        message = (
            f"the champion was moved outside the ledger from {_v(self.champion)} to {_v(found)} at an "
            f"unknown time {window} (seen by {seen_by})"
        )
        self.findings.append(
            {
                "kind": "moved_outside_ledger",
                "from_version": self.champion,
                "to_version": found,
                "after": after,
                "before": _iso(before),
                "seen_by": seen_by,
                "message": message,
            }
        )
        self._close(before, after)
        self.start(found, before, None, after)

    def add(self, e: dict[str, Any]) -> None:
        at, seq = _entry_at(e), e.get("seq")
        if at is None:
            why = f"ledger #{seq} has no readable time ({e.get('at')!r}): left out of the periods"
            self.findings.append({"kind": "unreadable_time", "seq": seq, "message": why})
            return
        if self.last_at is not None and at < self.last_at:
            why = (
                f"ledger #{seq} is dated {_iso(at)}, before the entry ahead of it ({_iso(self.last_at)}): "
                "writers' clocks disagree, answers near then are uncertain"
            )
            self.findings.append({"kind": "clock_went_back", "seq": seq, "message": why})
        action = e.get("action")
        if action in OBSERVES_CHAMPION and "from_version" in e:
            found = _version(e.get("from_version"))
            if found != self.champion:
                self.moved_outside(found, at, f"ledger #{seq} ({action})")
        if action in ledger.MOVES_CHAMPION:
            self._close(at)
            self.start(int(e["to_version"]), at, e, None)
        self.last_at = at


def periods(
    entries: list[dict[str, Any]],
    *,
    alias: int | _Unread | None = UNREAD,
    now: datetime | None = None,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(champion periods oldest first, findings) from ledger entries in seq order.

    A period: version, from, until (None: still champion), the entry that made it champion (None
    when it was moved outside the ledger). A boundary set by a move outside the ledger is only known to
    lie in (from_after, from] / (until_after, until] (from_after None: before the ledger). With `alias`
    (the champion alias read at `now`), an alias other than the ledger's last champion is a finding.
    """
    walk = _Walk()
    for e in sorted(entries, key=lambda e: int(e.get("seq", 0))):
        walk.add(e)
    if alias is not UNREAD and alias != walk.champion:
        seen = max(now or datetime.now(UTC), walk.last_at or datetime.min.replace(tzinfo=UTC))  # skew
        walk.moved_outside(alias, seen, "the champion alias now")
    return walk.periods, walk.findings


def _period_at(found: list[dict[str, Any]], when: datetime) -> dict[str, Any] | None:
    for p in reversed(found):  # the latest period holding `when`: several moves in one second
        start, until = _instant(p["from"]), p["until"]
        if start <= when and (until is None or when < _instant(until)):
            return p
    return None


def champion_at(
    entries: list[dict[str, Any]],
    when: datetime | str,
    *,
    alias: int | _Unread | None = UNREAD,
    now: datetime | None = None,
) -> int | None:
    """The version that was champion at `when` (None before the first promotion, or while none was)."""
    p = _period_at(periods(entries, alias=alias, now=now)[0], _instant(when))
    return None if p is None else int(p["version"])


def _caveats(findings: list[dict[str, Any]], when: datetime) -> list[str]:
    """What makes the answer at `when` uncertain: it falls in the window of a move outside the ledger."""
    out = []
    for f in findings:
        if f["kind"] != "moved_outside_ledger":
            continue
        after = _instant(f["after"]) if f["after"] else None
        if (after is None or after < when) and when < _instant(f["before"]):
            out.append(
                f"{f['message']}: at this instant it was {_v(f['from_version'])} or {_v(f['to_version'])}"
            )
    return out


def answer(
    entries: list[dict[str, Any]],
    *,
    alias: int | None,
    when: datetime | str | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The whole answer: the periods, the findings, the champion now, and (with `when`) at `when`."""
    now = now or datetime.now(UTC)
    at, read_as = parse_when(when) if isinstance(when, str) else (when, None)
    ledger_only = periods(entries)[0]
    found, findings = periods(entries, alias=alias, now=now)
    ledger_champion = ledger_only[-1]["version"] if ledger_only and ledger_only[-1]["until"] is None else None
    out: dict[str, Any] = {
        "champion": alias,
        "ledger_champion": ledger_champion,
        "consistent": not any(f["kind"] == "moved_outside_ledger" for f in findings),
        "periods": found,
        "findings": findings,
        "at": None,
    }
    if at is not None:
        instant = at.astimezone(UTC)
        period = _period_at(found, instant)
        out["at"] = {
            "when": _iso(instant),
            "read_as": read_as,
            "champion": None if period is None else period["version"],
            "period": period,
            "caveats": _caveats(findings, instant),
        }
    return out


def model_history(cfg: ModelConfig, when: str | None = None) -> dict[str, Any]:
    """`answer` for one model, from its ledger and its champion alias now (a bad time fails first)."""
    if when is not None:
        parse_when(when)
    client = tracking.client()
    entries = ledger.read_ledger(cfg, client)
    alias = tracking.alias_version(cfg, tracking.CHAMPION, client)
    now = datetime.now(UTC)
    return {
        "model": cfg.name,
        "registered_model": cfg.registered_model_name,
        "read_at": _iso(now),
        **answer(entries, alias=alias, when=when, now=now),
    }


__all__ = [
    "TIME_HELP",
    "BadTimeError",
    "answer",
    "champion_at",
    "made_by",
    "model_history",
    "parse_when",
    "periods",
]
