"""When a verdict needs a person's approval, what the person reads, and what an answer means for
promotion (registry/approval.py: pure functions of the config and the verdict)."""

from __future__ import annotations

from typing import Any

import pytest
from airflow_champion.config import parse_config
from airflow_champion.registry import approval

pytestmark = pytest.mark.unit


def gated(cfg: Any, when: Any, **promotion: Any) -> Any:
    """`cfg` with `promotion.approval: {when: ...}` (and other promotion keys), validated."""
    raw = cfg.model_dump(mode="json", by_alias=True)
    raw["promotion"] = {**raw["promotion"], **promotion, "approval": {"when": when}}
    return parse_config(raw, "test")


def verdict(**over: Any) -> dict[str, Any]:
    base = {
        "model": "churn",
        "snapshot_id": "2026-11-09",
        "challenger_version": 3,
        "champion_version": 2,
        "decision": "promote",
        "reasons": ["gain +0.0123 >= min_abs_gain 0.005 (roc_auc: ...)"],
        "metric": "roc_auc",
        "challenger_score": 0.8246,
        "champion_score": 0.8123,
        "diff": 0.0123,
        "rel_gain": 0.01514,
        "ci_low": 0.0021,
        "ci_high": 0.0230,
        "confidence": 0.95,
        "holdout_rows": 1234,
        "floor": 0.7,
        "eval_run_url": "http://mlflow.example/#/experiments/1/runs/e",
        "slices": {"skipped": []},
    }
    return {**base, **over}


def test_never_asks_nobody_and_always_asks_for_every_promotion(churn_cfg: Any) -> None:
    assert approval.why_needed(churn_cfg, verdict()) == []
    always = gated(churn_cfg, "always")
    assert approval.why_needed(always, verdict()) == ["promotion.approval is always"]
    assert approval.why_needed(always, verdict(champion_version=None, diff=None)) != []


def test_nothing_to_approve_when_nothing_would_move(churn_cfg: Any) -> None:
    always = gated(churn_cfg, "always")
    assert approval.why_needed(always, verdict(decision="reject")) == []
    assert approval.why_needed(always, verdict(), shadow=True) == []
    assert approval.why_needed(gated(churn_cfg, "always", mode="shadow"), verdict()) == []


@pytest.mark.parametrize(
    ("when", "over", "asked"),
    [
        ({"first_model": True}, {"champion_version": None, "diff": None}, ["first model of the name"]),
        ({"first_model": True}, {}, []),
        ({"gain_below": 0.02}, {}, ["gain +0.0123 < gain_below 0.02"]),
        ({"gain_below": 0.01}, {}, []),
        ({"gain_below": 0.02}, {"champion_version": None, "diff": None}, []),  # no gain without a champion
        ({"rel_gain_below": 0.02}, {}, ["relative gain 1.51% < rel_gain_below 2%"]),
        ({"rel_gain_below": 0.01}, {}, []),
        (
            {"slice_skipped": True},
            {
                "slices": {
                    "skipped": [{"column": "region", "slice": "north", "rows": 12, "reason": "n < min_rows"}]
                }
            },
            ["1 slice(s) not tested"],
        ),
        ({"slice_skipped": True}, {}, []),
        (
            {"gain_below": 0.02, "first_model": True, "rel_gain_below": 0.02},
            {},
            ["gain +0.0123 < gain_below 0.02", "relative gain"],
        ),
    ],
)
def test_conditions_are_any_of(
    churn_cfg: Any, when: dict[str, Any], over: dict[str, Any], asked: list[str]
) -> None:
    cfg = gated(churn_cfg, when, slices={"by": [{"column": "region"}]})
    got = approval.why_needed(cfg, verdict(**over))
    assert len(got) == len(asked), got
    for sentence, start in zip(got, asked, strict=True):
        assert sentence.startswith(start), got


def test_only_an_approval_lets_a_gated_promotion_through(churn_cfg: Any) -> None:
    cfg = gated(churn_cfg, "always")
    at = "2026-12-01T23:00:00+00:00"
    assert approval.refusal(cfg, verdict(), {"status": "approved", "by": "alice", "at": at}) is None
    assert approval.refusal(cfg, verdict(), {"status": "rejected", "by": "bob", "at": at}) == (
        f"approval rejected by bob at {at}"
    )
    timed_out = approval.refusal(cfg, verdict(), {"status": "timed_out", "by": None, "timeout": "12h"})
    assert timed_out == "approval timed out after 12h"
    for missing in (None, {"status": "not_required"}, {"status": "approved?"}):
        assert str(approval.refusal(cfg, verdict(), missing)).startswith(
            "approval required (promotion.approval"
        )
    assert approval.refusal(churn_cfg, verdict(), None) is None  # never: today's gate
    assert approval.refusal(cfg, verdict(decision="reject"), None) is None  # nothing to approve


def test_the_request_shows_the_numbers_and_links_the_evidence(churn_cfg: Any) -> None:
    cfg = gated(churn_cfg, {"gain_below": 0.02})
    v = verdict(
        slices={
            "skipped": [
                {"column": "region", "slice": "[x](http://evil)", "rows": 12, "reason": "n < min_rows"}
            ]
        }
    )
    needed = approval.why_needed(cfg, v)
    assert approval.subject(cfg, v) == "Promote churn v3 over v2? roc_auc gain +0.0123"
    text = approval.body(
        cfg, v, needed, "http://mlflow.example/#/experiments/1/runs/r/artifactPath/evidence/evidence.html"
    )
    for shown in ("| challenger v3 | 0.8246 |", "| champion v2 | 0.8123 |", "| gain | +0.0123 (1.51%) |"):
        assert shown in text
    assert "| 95% CI of the gain | [+0.0021, +0.023] |" in text
    assert "**Approval asked because**: gain +0.0123 < gain_below 0.02." in text
    assert (
        "[Evidence bundle](http://mlflow.example/#/experiments/1/runs/r/artifactPath/evidence/evidence.html)"
        in text
    )
    assert "[Evaluation run](http://mlflow.example/#/experiments/1/runs/e)" in text
    assert "No answer within 12h rejects." in text
    # a slice label from the data is shown as text, never as a link
    assert "region=\\[x\\](http://evil) (12 rows, n \\< min_rows)" in text
    assert "=[x](http://evil)" not in text


def test_the_first_champion_request_and_a_missing_evidence_link(churn_cfg: Any) -> None:
    cfg = gated(churn_cfg, {"first_model": True})
    v = verdict(
        champion_version=None, champion_score=None, diff=None, rel_gain=None, ci_low=None, ci_high=None
    )
    assert approval.subject(cfg, v) == "Promote churn v3, the first champion? roc_auc 0.8246"
    text = approval.body(cfg, v, approval.why_needed(cfg, v), None)
    assert "| floor | 0.7 |" in text and "champion v" not in text.split("**Approval")[0].split("\n", 1)[1]
    assert "Evidence bundle of v3: not recorded (the approval task's log says why)" in text


def test_the_ledger_keeps_who_and_when(churn_cfg: Any) -> None:
    answer = {
        "status": "approved",
        "by": "alice",
        "by_id": "alice",
        "at": "t",
        "asked_because": ["x"],
        "timeout": "12h",
        "approvers": [],
        "chosen_options": ["Approve"],
    }
    assert approval.ledger_record(answer) == {
        "status": "approved",
        "by": "alice",
        "by_id": "alice",
        "at": "t",
        "asked_because": ["x"],
        "timeout": "12h",
    }
    assert approval.ledger_record(None) is None
