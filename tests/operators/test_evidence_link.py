"""The promote task's "Evidence" extra link points at the bundle its decision logged (and is empty when
none was logged), through the XCom the link reads back."""

from __future__ import annotations

from typing import Any

import pytest

from tests.operators.fakes import FakeDag, FakeTI

pytestmark = pytest.mark.airflow

URL = "http://mlflow/#/experiments/1/runs/abc/artifactPath/evidence/evidence.html"


def _execute(monkeypatch: pytest.MonkeyPatch, evidence: dict[str, Any] | None) -> FakeTI:
    from airflow_champion.operators.gates import PromoteModelOperator
    from airflow_champion.pipeline import steps

    def promote(*_a: Any, **_k: Any) -> dict[str, Any]:
        return {"promoted": False, "decision": "reject", "to_version": 2, "reasons": [], "evidence": evidence}

    monkeypatch.setattr(steps, "promote", promote)
    ti = FakeTI()
    context = {"ti": ti, "dag": FakeDag(), "run_id": "manual__1", "dag_run": None, "params": {}}
    PromoteModelOperator(task_id="promote", model="churn", verdict={"model": "churn"}).execute(context)
    return ti


def test_the_promote_task_links_the_bundle_of_its_decision(monkeypatch: pytest.MonkeyPatch) -> None:
    from airflow_champion.operators.links import EvidenceLink

    ti = _execute(monkeypatch, {"logged": True, "url": URL, "run_id": "abc"})
    assert ti.xcom[EvidenceLink.key] == URL


def test_no_link_when_the_bundle_was_not_logged(monkeypatch: pytest.MonkeyPatch) -> None:
    from airflow_champion.operators.links import EvidenceLink

    ti = _execute(monkeypatch, {"logged": False, "url": URL, "error": "read-only store"})
    assert ti.xcom[EvidenceLink.key] == ""
