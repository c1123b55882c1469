"""Each step's one log line carries its decision and the numbers behind it, and survives missing keys."""

from __future__ import annotations

import pytest
from airflow_champion.pipeline import decision_log

pytestmark = pytest.mark.unit


def test_the_verdict_line_has_both_scores_the_gain_its_bound_and_the_first_reason() -> None:
    line = decision_log.judged(
        {
            "decision": "reject",
            "metric": "roc_auc",
            "challenger_version": 3,
            "champion_version": 2,
            "challenger_score": 0.81234,
            "champion_score": 0.8211,
            "diff": -0.00876,
            "ci_low": -0.0213,
            "confidence": 0.95,
            "holdout_rows": 1500,
            "reasons": ["gain -0.00876 <= min_abs_gain 0", "slice age>=60 worse"],
        }
    )
    assert line == (
        "evaluate: reject challenger v3 roc_auc 0.8123 vs champion v2 0.8211, gain -0.00876 "
        "(95% CI low -0.0213) on 1500 judged rows; gain -0.00876 <= min_abs_gain 0"
    )


def test_a_first_model_has_no_champion_and_no_interval() -> None:
    line = decision_log.judged(
        {
            "decision": "promote",
            "metric": "log_loss",
            "challenger_version": 1,
            "champion_version": None,
            "challenger_score": 0.02777,
            "holdout_rows": 45,
            "reasons": ["first model"],
        }
    )
    assert line.startswith("evaluate: promote challenger v1 log_loss 0.02777 vs champion none -")
    assert "CI" not in line


def test_promote_lines_say_what_moved_or_why_not() -> None:
    moved = decision_log.promoted({"promoted": True, "from_version": 1, "to_version": 2, "ledger_seq": 4})
    assert moved == "promote: champion v1 -> v2 (ledger #4)"
    rejected = decision_log.promoted({"promoted": False, "to_version": 3, "reason": "gain -0.01 <= 0"})
    assert rejected == "promote: rejected v3; champion unchanged (gain -0.01 <= 0)"
    shadow = decision_log.promoted({"shadow": True, "would_promote": True, "to_version": 5})
    assert shadow == "promote (shadow): would promote v5; champion unchanged"


def test_train_validate_and_champion_check_lines_have_their_numbers() -> None:
    trained = decision_log.trained(
        {
            "version": 7,
            "reused": False,
            "train_rows": 4500,
            "holdout_rows": 1500,
            "metrics": {"holdout_roc_auc": 0.83456, "holdout_log_loss": 0.4012},
        }
    )
    assert trained == (
        "train: challenger v7 new, 4500 train / 1500 holdout rows; holdout roc_auc 0.8346, log_loss 0.4012"
    )
    validated = decision_log.validated(
        {"snapshot_id": "2026-12-01", "rows": 178, "statistics": {"evaluated": 31, "successful": 31}}
    )
    assert validated == "validate: snapshot 2026-12-01 passed, 178 rows, 31/31 expectations met"
    checked = decision_log.champion_checked(
        {
            "action": "none",
            "reason": "within budget",
            "champion": 2,
            "snapshot_id": "2026-12-08",
            "performance": {"metric": "roc_auc", "score": 0.8012, "promoted_score": 0.8211, "drop": 0.0199},
        }
    )
    assert checked == (
        "check_champion: none (within budget); champion v2 scores roc_auc 0.8012 on 2026-12-08 vs 0.8211 "
        "when promoted (drop 0.0199)"
    )
    first = decision_log.champion_checked({"action": "none", "reason": "no champion yet", "champion": None})
    assert first == "check_champion: none (no champion yet)"


def test_a_result_missing_keys_still_gives_a_line() -> None:
    for fn in (
        decision_log.claimed,
        decision_log.validated,
        decision_log.champion_checked,
        decision_log.trained,
        decision_log.judged,
        decision_log.promoted,
    ):
        assert fn({}).split(":", 1)[0]
