"""Who was champion when, from plain ledger entries: promotions, rollbacks, rejections, the instant of a
move, before the first promotion, and an alias moved outside the ledger (said, not smoothed over)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
from airflow_champion.registry.history import BadTimeError, answer, champion_at, parse_when, periods

pytestmark = pytest.mark.unit

D1, D2, D3, D4 = (f"2026-11-0{d}T10:00:00+00:00" for d in (2, 3, 4, 5))


def entry(seq: int, action: str, frm: int | None, to: int | None, at: str, **extra: Any) -> dict[str, Any]:
    return {
        "seq": seq,
        "action": action,
        "from_version": frm,
        "to_version": to,
        "at": at,
        "actor": "t",
        "reason": f"{action} #{seq}",
        "metric": {"name": "roc_auc", "challenger": 0.8, "champion": 0.7, "ci_low": 0.01},
        "snapshot_id": "s",
        "run_id": f"eval-{seq}",
        "context": {"dag_id": "m_retrain", "run_id": f"run-{seq}"},
        **extra,
    }


PROMOTE_PROMOTE_ROLLBACK = [
    entry(1, "promote", None, 1, D1),
    entry(2, "promote", 1, 2, D2, approver="alice"),
    entry(3, "rollback", 2, 1, D3, metric=None),
]


def test_periods_follow_promotions_and_a_rollback() -> None:
    got, findings = periods(PROMOTE_PROMOTE_ROLLBACK)
    assert [(p["version"], p["from"], p["until"], p["entry"]["action"]) for p in got] == [
        (1, D1, D2, "promote"),
        (2, D2, D3, "promote"),
        (1, D3, None, "rollback"),
    ]
    assert findings == []
    made = got[1]["entry"]
    assert made["seq"] == 2 and made["reason"] == "promote #2" and made["approver"] == "alice"
    assert made["metric"] == {"name": "roc_auc", "challenger": 0.8, "champion": 0.7, "ci_low": 0.01}
    assert (made["dag_id"], made["dag_run_id"], made["mlflow_run_id"]) == ("m_retrain", "run-2", "eval-2")
    assert "approver" not in got[0]["entry"]  # only when the entry has one
    assert champion_at(PROMOTE_PROMOTE_ROLLBACK, "2026-11-03T18:00:00+00:00") == 2
    assert champion_at(PROMOTE_PROMOTE_ROLLBACK, "2026-11-04T18:00:00+00:00") == 1  # rolled back


def test_rejections_shadows_and_conflicts_do_not_move_the_champion() -> None:
    entries = [
        entry(1, "promote", None, 1, D1),
        entry(2, "reject", 1, 2, D2),
        entry(3, "shadow", 1, 3, D3),
        entry(4, "conflict", 1, 4, D4),
    ]
    got, findings = periods(entries)
    assert [(p["version"], p["until"]) for p in got] == [(1, None)]
    assert findings == []
    assert champion_at(entries, "2026-12-01") == 1


def test_before_the_first_promotion_there_is_no_champion() -> None:
    entries = [entry(1, "reject", None, 1, D1), entry(2, "promote", None, 2, D2)]
    assert champion_at(entries, "2026-11-01") is None
    assert champion_at(entries, "2026-11-02T12:00:00+00:00") is None  # a rejection moved nothing
    assert champion_at(entries, "2026-11-03T12:00:00+00:00") == 2
    assert champion_at([], "2026-11-03") is None
    result = answer(entries, alias=2, when="2026-11-01", now=datetime(2026, 12, 1, tzinfo=UTC))
    assert result["at"]["champion"] is None and result["at"]["period"] is None
    assert result["at"]["caveats"] == []


def test_at_exactly_a_move_instant_the_new_version_is_champion() -> None:
    assert champion_at(PROMOTE_PROMOTE_ROLLBACK, D2) == 2
    assert champion_at(PROMOTE_PROMOTE_ROLLBACK, "2026-11-03T09:59:59+00:00") == 1
    assert champion_at(PROMOTE_PROMOTE_ROLLBACK, D1) == 1
    assert champion_at(PROMOTE_PROMOTE_ROLLBACK, "2026-11-02T09:59:59+00:00") is None


def test_moves_in_the_same_second_the_last_one_is_champion_at_that_second() -> None:
    entries = [entry(1, "promote", None, 1, D1), entry(2, "promote", 1, 2, D1)]
    assert champion_at(entries, D1) == 2
    assert [(p["version"], p["from"], p["until"]) for p in periods(entries)[0]] == [
        (1, D1, D1),
        (2, D1, None),
    ]


def test_a_current_alias_other_than_the_ledgers_last_move_is_said() -> None:
    now = datetime(2026, 11, 10, tzinfo=UTC)
    result = answer(PROMOTE_PROMOTE_ROLLBACK, alias=5, now=now)
    assert (result["champion"], result["ledger_champion"], result["consistent"]) == (5, 1, False)
    (finding,) = result["findings"]
    assert finding["kind"] == "moved_outside_ledger"
    assert (finding["from_version"], finding["to_version"]) == (1, 5)
    assert (finding["after"], finding["before"]) == (D3, now.isoformat(timespec="seconds"))
    assert "outside the ledger" in finding["message"] and "v1" in finding["message"]
    last = result["periods"][-1]
    assert (last["version"], last["moved_outside_ledger"], last["entry"]) == (5, True, None)
    assert (last["from"], last["from_after"]) == (finding["before"], D3)  # began in (D3, now]
    assert (result["periods"][-2]["until"], result["periods"][-2]["until_after"]) == (finding["before"], D3)
    # in the window the answer is the ledger's, with the caveat that it may already have been v5
    at = answer(PROMOTE_PROMOTE_ROLLBACK, alias=5, when="2026-11-06", now=now)["at"]
    assert at["champion"] == 1
    assert len(at["caveats"]) == 1 and "v1 or v5" in at["caveats"][0]

    agrees = answer(PROMOTE_PROMOTE_ROLLBACK, alias=1, now=now)
    assert agrees["consistent"] is True and agrees["findings"] == []


def test_an_entry_that_found_another_champion_reveals_a_move_outside_the_ledger() -> None:
    entries = [entry(1, "promote", None, 1, D1), entry(2, "reject", 7, 3, D3), entry(3, "promote", 7, 4, D4)]
    got, findings = periods(entries)
    assert [(p["version"], p["from"], p["until"], p["moved_outside_ledger"]) for p in got] == [
        (1, D1, D3, False),
        (7, D3, D4, True),
        (4, D4, None, False),
    ]
    assert [(p["from_after"], p["until_after"]) for p in got] == [(None, D1), (D1, None), (None, None)]
    (finding,) = findings
    assert (finding["from_version"], finding["to_version"], finding["after"], finding["before"]) == (
        1,
        7,
        D1,
        D3,
    )
    assert "ledger #2 (reject)" in finding["message"]
    assert champion_at(entries, "2026-11-04T12:00:00+00:00") == 7
    at = answer(entries, alias=4, when="2026-11-03")["at"]
    assert at["champion"] == 1 and "v1 or v7" in at["caveats"][0]


def test_a_champion_set_before_the_ledger_began_is_said() -> None:
    entries = [entry(1, "promote", 3, 4, D2)]
    _got, (finding,) = periods(entries)
    assert (finding["from_version"], finding["to_version"], finding["after"]) == (None, 3, None)
    at = answer(entries, alias=4, when=D1)["at"]
    assert at["champion"] is None and "v3" in at["caveats"][0]


def test_a_ledger_time_that_goes_back_is_said() -> None:
    entries = [entry(1, "promote", None, 1, D2), entry(2, "promote", 1, 2, D1)]
    _got, findings = periods(entries)
    assert [f["kind"] for f in findings] == ["clock_went_back"]


@pytest.mark.parametrize(
    ("text", "expected", "assumed"),
    [
        ("2026-11-03", datetime(2026, 11, 3, tzinfo=UTC), True),
        ("2026-11-03T10:30", datetime(2026, 11, 3, 10, 30, tzinfo=UTC), True),
        ("2026-11-03T10:30:00Z", datetime(2026, 11, 3, 10, 30, tzinfo=UTC), False),
        ("2026-11-03T12:30:00+02:00", datetime(2026, 11, 3, 10, 30, tzinfo=UTC), False),
    ],
)
def test_times_are_iso_8601_and_a_naive_one_is_utc(text: str, expected: datetime, assumed: bool) -> None:
    when, note = parse_when(text)
    assert when == expected and when.utcoffset() is not None
    assert (note is not None) is assumed
    if assumed:
        assert "UTC" in str(note)


@pytest.mark.parametrize("text", ["yesterday", "2026-13-01", "", "11/03/2026"])
def test_a_bad_time_is_an_error_naming_the_value(text: str) -> None:
    with pytest.raises(BadTimeError, match=re.escape(repr(text))):
        parse_when(text)
    with pytest.raises(BadTimeError):
        champion_at(PROMOTE_PROMOTE_ROLLBACK, text)
