"""The evidence bundle (reports.evidence): the verdict's numbers and the decision in one JSON-safe
document, and a page that escapes the user data in it."""

from __future__ import annotations

import json
from typing import Any

import pytest
from airflow_champion.reports import evidence
from airflow_champion.reports.jsonsafe import dumps

pytestmark = pytest.mark.unit

SCRIPT = "<script>alert(1)</script>"


def _verdict() -> dict[str, Any]:
    return {
        "model": "churn",
        "snapshot_id": "2026-11-09",
        "snapshot_sha256": "ab" * 32,
        "challenger_version": 2,
        "champion_version": 1,
        "decision": "promote",
        "reasons": ["gain +0.0412 with lower bound +0.0123 > 0"],
        "metric": "roc_auc",
        "direction": "maximize",
        "challenger_score": 0.8611,
        "champion_score": 0.8199,
        "diff": 0.0412,
        "rel_gain": 0.0502,
        "ci_low": 0.0123,
        "ci_high": 0.0687,
        "confidence": 0.95,
        "bootstrap_samples": 1000,
        "holdout_rows": 1200,
        "floor": 0.7,
        "slices": {
            "enabled": True,
            "margin": 0.02,
            "min_rows": 50,
            "significance": 0.05,
            "tested": 1,
            "slices": [
                {
                    "column": SCRIPT,
                    "slice": f"plan={SCRIPT}",
                    "rows": 300,
                    "champion": 0.8,
                    "challenger": 0.81,
                    "diff": 0.01,
                    "ci_low": -0.004,
                    "ci_high": 0.03,
                    "p_holm": 0.01,
                    "status": "ok",
                }
            ],
            "skipped": [],
        },
        "calibration": None,
        "budgets": {"p95_ms": 3.2, "p50_ms": 1.1, "artifact_mb": 0.4, "limits": {"max_p95_latency_ms": 50}},
        "challenger_scores": {"roc_auc": 0.8611},
        "champion_scores": {"roc_auc": 0.8199},
        "eval_run_id": "e" * 32,
        "report_uri": "file:///x/report.html",
    }


def _bundle(**overrides: Any) -> dict[str, Any]:
    verdict = _verdict()
    promotion = {"promoted": True, "decision": "promote", "champion": 2, "from_version": 1, "ledger_seq": 7}
    tags = {"mlops.snapshot_id": "2026-11-09", "mlops.snapshot_sha256": "ab" * 32, "mlops.config_hash": "c0"}
    validation = evidence.validation_summary(
        {
            "success": True,
            "statistics": {"evaluated": 2, "successful": 2},
            "checks": [{"spec": {"expectation": "expect_column_to_exist", "kwargs": {"column": SCRIPT}}}],
        },
        "file:///x/validation.html",
    )
    args: dict[str, Any] = {
        "verdict": verdict,
        "promotion": promotion,
        "training": evidence.training_summary(
            "r" * 32,
            "1",
            {"estimator": "sklearn.linear_model.LogisticRegression", "estimator.C": "1.0"},
            {},
            None,
        ),
        "lineage": evidence.lineage(tags, verdict, run_id="r" * 32, version=2, model_name="churn"),
        "validation": validation,
        "drift": None,
        "actor": "airflow:churn_retrain/manual__1",
        "context": {"dag_id": "churn_retrain", "run_id": "manual__1"},
    }
    return evidence.build_bundle(**{**args, **overrides})


def test_the_bundle_carries_the_verdicts_numbers_and_the_decision() -> None:
    bundle = json.loads(dumps(_bundle()))  # JSON-safe: survives strict JSON unchanged
    ev = bundle["evaluation"]
    assert (ev["diff"], ev["ci_low"], ev["ci_high"], ev["rel_gain"]) == (0.0412, 0.0123, 0.0687, 0.0502)
    assert ev["slices"]["slices"][0]["column"] == SCRIPT and ev["budgets"]["p95_ms"] == 3.2
    assert bundle["decision"]["action"] == "promote" and bundle["decision"]["ledger_seq"] == 7
    assert bundle["decision"]["champion_before"] == 1 and bundle["decision"]["champion_after"] == 2
    assert bundle["approval"] is None  # left empty unless an approval is handed in
    assert bundle["lineage"]["snapshot_sha256"] == "ab" * 32 and bundle["lineage"]["model_version"] == 2
    assert bundle["training"]["estimator_params"] == {"C": "1.0"}
    assert bundle["validation"]["checks"][0]["column"] == SCRIPT


def test_a_shadow_decision_says_what_it_would_have_done() -> None:
    shadow = {
        "shadow": True,
        "would_promote": True,
        "decision": "promote",
        "promoted": False,
        "ledger_seq": 8,
    }
    bundle = _bundle(promotion=shadow, approval={"status": "approved", "by": "alice"})
    assert bundle["decision"]["action"] == "shadow" and bundle["decision"]["would_promote"] is True
    assert bundle["approval"] == {"status": "approved", "by": "alice"}


def test_the_page_shows_the_interval_and_escapes_user_data() -> None:
    from airflow_champion.evaluation.report import report_sections

    bundle = _bundle()
    page = evidence.render_evidence_html(bundle, report_sections(bundle["evaluation"]))
    assert SCRIPT not in page  # a column or slice name is data, never markup
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "plan=&lt;script&gt;" in page  # the slice table is on the page
    assert "[+0.0123, +0.0687]" in page and "+0.0412" in page
    assert "Decision: PROMOTE" in page and "LogisticRegression" in page
