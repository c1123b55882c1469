"""The notification e-mails (pipeline.notify): each event's subject and body carry the model, the
versions, the decision and the numbers it was made on, plus the links; data is escaped, the subject
is one line."""

from __future__ import annotations

from typing import Any

import pytest
from airflow_champion.pipeline import notify

pytestmark = pytest.mark.unit

VERDICT = {
    "model": "churn",
    "snapshot_id": "2026-11-09",
    "challenger_version": 2,
    "champion_version": 1,
    "decision": "promote",
    "metric": "roc_auc",
    "challenger_score": 0.81234567,
    "champion_score": 0.79012,
    "diff": 0.0222,
    "ci_low": 0.00413,
    "ci_high": 0.0398,
    "confidence": 0.95,
    "holdout_rows": 1500,
    "reasons": ["challenger beats champion: roc_auc +0.0222 (95% CI low +0.00413 > 0)"],
    "eval_run_url": "http://mlflow.example/#/experiments/1/runs/abc",
    "report_uri": "/srv/mlops/churn/2026-11-09/_reports/evaluation.html",
}
PROMOTED = {"promoted": True, "decision": "promote", "champion": 2, "from_version": 1, "to_version": 2}
AIRFLOW = [("Airflow: task log", "http://airflow.example/dags/churn_retrain/runs/r1/tasks/promote")]


@pytest.fixture(autouse=True)
def _mlflow_ui(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLFLOW_UI_URL", "http://mlflow.example")


def _promotion(result: dict[str, Any], **verdict: Any) -> notify.Message:
    msg = notify.promotion_message("churn", {**result, "ledger_seq": 4}, {**VERDICT, **verdict}, AIRFLOW)
    assert msg is not None
    return msg


def test_a_promotion_names_model_versions_decision_and_numbers() -> None:
    msg = _promotion(PROMOTED)
    assert msg.event == "promote"
    assert msg.subject == (
        "[mlops] churn: promoted v2 (champion was v1), "
        "roc_auc 0.8123 vs 0.7901, gain +0.0222, CI low +0.00413"
    )
    for shown in ("<b>promote</b>", "v2", "v1", "2026-11-09", "0.8123", "0.7901", "[+0.00413, +0.0398]"):
        assert shown in msg.html
    assert "95% interval of the gain" in msg.html and "1500" in msg.html and "#4" in msg.html
    assert "challenger beats champion" in msg.html
    links = {
        "Airflow: task log": AIRFLOW[0][1],
        "MLflow: challenger v2": "http://mlflow.example/#/models/churn/versions/2",
        "MLflow: champion before v1": "http://mlflow.example/#/models/churn/versions/1",
        "MLflow: evaluation run": VERDICT["eval_run_url"],
        "Evaluation report": f"file://{VERDICT['report_uri']}",
    }
    for name, url in links.items():
        assert f"<a href='{url}'>{name}</a>" in msg.html


def test_a_decision_links_its_evidence_bundle_once_it_is_logged() -> None:
    url = "http://mlflow.example/#/experiments/1/runs/abc/artifactPath/evidence/evidence.html"
    msg = _promotion({**PROMOTED, "evidence": {"url": url, "logged": True}})
    assert f"<a href='{url}'>Evidence bundle</a>" in msg.html
    failed = _promotion({**PROMOTED, "evidence": {"url": url, "logged": False, "error": "x"}})
    assert "Evidence bundle" not in failed.html  # a link to a bundle that was not written is left out


def test_a_first_champion_has_no_comparison_in_its_subject() -> None:
    first = {"promoted": True, "decision": "promote", "champion": 1, "from_version": None, "to_version": 1}
    msg = _promotion(first, champion_score=None, diff=None, ci_low=None, ci_high=None, champion_version=None)
    assert msg.subject == "[mlops] churn: promoted v1 (champion was none), roc_auc 0.8123"
    assert "MLflow: champion before" not in msg.html  # no version, no link


def test_a_rejection_says_the_champion_stays() -> None:
    rejected = {"promoted": False, "decision": "reject", "champion": 2, "from_version": 2, "to_version": 3}
    msg = _promotion(rejected, diff=-0.031, ci_low=-0.05, ci_high=-0.012, reasons=["worse"])
    assert msg.event == "reject"
    assert msg.subject.startswith("[mlops] churn: rejected v3, champion stays v2, roc_auc 0.8123 vs 0.7901")
    assert "CI low -0.05" in msg.subject and "<b>reject</b>" in msg.html


def test_a_shadow_decision_says_nothing_moved() -> None:
    shadow = {
        "promoted": False,
        "shadow": True,
        "would_promote": True,
        "decision": "promote",
        "to_version": 2,
    }
    msg = _promotion({**shadow, "champion": 1, "from_version": 1})
    assert msg.event == "promote" and msg.subject.startswith("[mlops] churn: shadow, would promote v2")
    assert "shadow mode: the champion did not move" in msg.html


def test_data_in_a_message_is_escaped_and_the_subject_is_one_line() -> None:
    msg = _promotion(PROMOTED, reasons=["<img src=x onerror=alert(1)>"], metric="roc\nauc")
    assert "<img" not in msg.html and "&lt;img src=x" in msg.html
    assert "\n" not in msg.subject and "roc auc" in msg.subject


def test_no_message_for_a_result_that_decided_nothing() -> None:
    assert notify.promotion_message("churn", {"promoted": False}, VERDICT) is None
    assert notify.rollback_message("churn", {"action": "keep", "champion": 2}) is None


def test_a_rollback_names_both_versions_and_the_reason() -> None:
    done = {"rolled_back": True, "from_version": 2, "to_version": 1, "ledger_seq": 9}
    msg = notify.rollback_message("churn", done, AIRFLOW, reason="incident 42: bad scores")
    assert msg is not None and msg.subject == "[mlops] churn: rolled back champion v2 -> v1"
    assert "incident 42: bad scores" in msg.html and "the rollback DAG" in msg.html and "#9" in msg.html
    assert "http://mlflow.example/#/models/churn/versions/1'>MLflow: champion now v1" in msg.html
    auto = {"action": "rollback", "reason": "v2 scores 0.71 vs 0.80 promoted", "rollback": done}
    msg = notify.rollback_message("churn", auto)
    assert msg is not None and msg.subject == "[mlops] churn: automatic rollback champion v2 -> v1"
    assert "v2 scores 0.71 vs 0.80 promoted" in msg.html


def test_a_failure_names_the_task_and_its_error_cut_to_size() -> None:
    error = RuntimeError("tracking server unreachable " + "x" * 5000)
    msg = notify.failure_message(
        "churn",
        dag_id="churn_retrain",
        task_id="train",
        run_id="r1",
        error=error,
        try_number=3,
        links=AIRFLOW,
    )
    assert msg.subject == "[mlops] churn: churn_retrain.train failed (RuntimeError)"
    assert "tracking server unreachable" in msg.html and "more characters in the task log" in msg.html
    assert len(msg.html) < notify.MAX_ERROR + 3000


def test_a_drift_retrain_names_the_snapshot_the_champion_and_why() -> None:
    decision = {
        "snapshot_id": "2026-11-16",
        "champion_version": 1,
        "reason": "drift: 4 of 6 features drifted (share 0.667 >= 0.5)",
        "share_drifted": 0.6667,
        "drifted_features": ["age", "tenure"],
        "report_uri": "s3://bucket/churn/2026-11-16/_reports/drift_evidently.html",
    }
    msg = notify.drift_retrain_message("churn", decision, retrain_run_id="drift__2026-11-16", links=AIRFLOW)
    assert msg.subject == "[mlops] churn: drift started a retrain on snapshot 2026-11-16 (champion v1)"
    for shown in ("0.6667", "age, tenure", "drift__2026-11-16", "4 of 6 features drifted"):
        assert shown in msg.html
    assert "href='s3://bucket/churn/2026-11-16/_reports/drift_evidently.html'>Drift report" in msg.html


def test_a_link_that_is_not_a_web_or_file_address_is_left_out() -> None:
    msg = notify.failure_message(
        "churn", dag_id="d", task_id="t", run_id="r", error=None, links=[("x", "javascript:alert(1)")]
    )
    assert "javascript:" not in msg.html and "no exception was recorded" in msg.html
