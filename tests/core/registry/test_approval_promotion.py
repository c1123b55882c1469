"""Promotion with `promotion.approval`, on a real MLflow store: only an approval moves the alias; a
rejection, a timeout or no answer is a ledger rejection saying who and when, and nothing moves."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from airflow_champion import registry
from airflow_champion.registry import tracking

from tests.core.registry.test_approval import gated
from tests.core.registry.test_promotion import _verdict, _version

pytestmark = [pytest.mark.unit, pytest.mark.mlflow]

AT = "2026-12-01T23:05:00+00:00"


def _answer(status: str, by: str | None = "alice") -> dict[str, Any]:
    return {
        "status": status,
        "by": by,
        "by_id": by,
        "at": AT,
        "asked_because": ["promotion.approval is always"],
        "timeout": "12h",
        "approvers": [],
    }


def _promote(cfg: Any, verdict: dict[str, Any], answer: dict[str, Any] | None) -> dict[str, Any]:
    context = {"dag_id": f"{cfg.name}_retrain", "run_id": "manual__1"}
    if answer is not None:
        context["approval"] = answer
    return registry.promote(cfg, verdict, actor="t", context=context)


def test_an_approved_promotion_moves_the_alias_and_the_ledger_says_who(mlops_home: Path, bc_cfg: Any) -> None:
    cfg = gated(bc_cfg, "always")
    v1 = _version(cfg)
    out = _promote(cfg, _verdict(cfg, v1, None), _answer("approved"))
    assert out["promoted"] and tracking.alias_version(cfg, tracking.CHAMPION) == v1
    (entry,) = registry.read_ledger(cfg)
    assert entry["action"] == "promote"
    assert entry["approval"] == {k: v for k, v in _answer("approved").items() if v not in (None, [])}


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        (_answer("rejected", "bob"), f"approval rejected by bob at {AT}"),
        (_answer("timed_out", None), "approval timed out after 12h"),
        (None, "approval required (promotion.approval is always) but none was given"),
        (_answer("not_required"), "approval required (promotion.approval is always) but none was given"),
    ],
    ids=["rejected", "timed_out", "no_answer", "not_required_is_not_an_approval"],
)
def test_anything_but_an_approval_is_a_recorded_rejection_that_moves_nothing(
    mlops_home: Path, bc_cfg: Any, answer: dict[str, Any] | None, reason: str
) -> None:
    cfg = gated(bc_cfg, "always")
    v1, v2 = _version(cfg), _version(cfg)
    _promote(cfg, _verdict(cfg, v1, None), _answer("approved"))
    judged = {**_verdict(cfg, v2, v1), "eval_run_id": "eval-2"}
    out = _promote(cfg, judged, answer)
    assert out["promoted"] is False and out["decision"] == "reject"
    assert out["reasons"][0].startswith(reason)
    assert tracking.alias_version(cfg, tracking.CHAMPION) == v1  # nothing half-promoted
    assert tracking.alias_version(cfg, tracking.PREVIOUS_CHAMPION) is None
    last = registry.read_ledger(cfg)[-1]
    assert (last["action"], last["from_version"], last["to_version"]) == ("reject", v1, v2)
    assert last["reason"].startswith(reason)
    if answer is not None:
        assert last["approval"]["status"] == answer["status"] and last["approval"].get("by") == answer["by"]
    # a retry of the same decision finds its entry instead of writing a second one
    again = _promote(cfg, judged, answer)
    assert again["ledger_seq"] == out["ledger_seq"]


def test_without_approval_in_the_config_promotion_is_unchanged(mlops_home: Path, bc_cfg: Any) -> None:
    v1 = _version(bc_cfg)
    assert _promote(bc_cfg, _verdict(bc_cfg, v1, None), None)["promoted"]
    assert "approval" not in registry.read_ledger(bc_cfg)[-1]


def test_a_condition_that_does_not_hold_needs_no_answer(mlops_home: Path, bc_cfg: Any) -> None:
    """`when: {first_model: true}`: a later challenger that beats the champion is promoted unasked."""
    cfg = gated(bc_cfg, {"first_model": True})
    v1, v2 = _version(cfg), _version(cfg)
    assert _promote(cfg, _verdict(cfg, v1, None), None)["decision"] == "reject"  # first model: asked
    assert _promote(cfg, _verdict(cfg, v1, None), _answer("approved"))["promoted"]
    assert _promote(cfg, _verdict(cfg, v2, v1), _answer("not_required"))["promoted"]
    assert tracking.alias_version(cfg, tracking.CHAMPION) == v2
