"""The approval task of `<model>_retrain` (promotion.approval): present between evaluate and promote
only when the config asks, and what it does with each verdict and each answer.

The answers are the events Airflow resumes the task with (the REST response handler's and the
scheduler's timeout sweep's payloads, airflow/models/hitl.py `as_resume_event_payload`); the real
round trip through the REST API is tests/integration/test_stack_approval.py.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import pytest

from tests.core.registry.test_approval import gated, verdict

pytestmark = pytest.mark.airflow


def _dag(cfg: Any) -> Any:
    from airflow_champion.operators.dag_factory.retrain import build_retrain_dag

    return build_retrain_dag(cfg)


def test_no_approval_task_unless_the_config_asks(churn_cfg: Any) -> None:
    from airflow_champion.pipeline.chain import RETRAIN_STEPS

    plain = [t.task_id for t in _dag(churn_cfg).topological_sort()]
    assert "approve" not in plain and tuple(plain[: len(RETRAIN_STEPS)]) == RETRAIN_STEPS
    assert _dag(churn_cfg).get_task("promote").upstream_task_ids == {"evaluate"}


@pytest.mark.parametrize("when", ["always", {"gain_below": 0.01}])
def test_the_approval_task_sits_between_evaluate_and_promote(churn_cfg: Any, when: Any) -> None:
    from airflow.providers.standard.operators.hitl import ApprovalOperator

    cfg = gated(churn_cfg, when)
    dag = _dag(cfg)
    order = [t.task_id for t in dag.topological_sort()]
    assert order[order.index("evaluate") + 1 : order.index("evaluate") + 3] == ["approve", "promote"]
    task = dag.get_task("approve")
    assert isinstance(task, ApprovalOperator)
    assert task.upstream_task_ids == {"evaluate"} and task.downstream_task_ids == {"promote"}
    assert dag.get_task("promote").upstream_task_ids == {"evaluate", "approve"}
    assert task.defaults == ["Reject"]  # what a timeout answers
    assert task.response_timeout.total_seconds() == 12 * 3600 and task.assigned_users is None


def test_approvers_are_the_assigned_users(churn_cfg: Any) -> None:
    raw = churn_cfg.model_dump(mode="json", by_alias=True)
    raw["promotion"]["approval"] = {"when": "always", "approvers": ["alice", "bob"], "timeout": "30m"}
    from airflow_champion.config import parse_config

    task = _dag(parse_config(raw)).get_task("approve")
    assert task.assigned_users == [{"id": "alice", "name": "alice"}, {"id": "bob", "name": "bob"}]
    assert task.response_timeout.total_seconds() == 1800


class _TI:
    def __init__(self) -> None:
        self.id = uuid4()


@pytest.fixture
def approve(churn_cfg: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The approval task of a gated churn DAG, its verdict rendered, its HITL writes recorded."""
    from airflow.providers.standard.operators import hitl
    from airflow_champion.operators.approval import PromotionApprovalOperator
    from airflow_champion.pipeline import evidence_record, steps

    cfg = gated(churn_cfg, {"gain_below": 0.02})
    monkeypatch.setattr(steps, "config", lambda _model: cfg)
    pending: list[dict[str, Any]] = []

    def record_pending(_cfg: Any, v: dict[str, Any], request: dict[str, Any], **kw: Any) -> dict[str, Any]:
        pending.append({**request, **kw})
        return {"url": f"http://mlflow.example/evidence/v{v['challenger_version']}", "logged": True}

    monkeypatch.setattr(evidence_record, "record_pending", record_pending)
    requests: list[dict[str, Any]] = []
    monkeypatch.setattr(hitl, "upsert_hitl_detail", lambda **kw: requests.append(kw))

    def no_skip(*_a: Any, **_k: Any) -> None:
        raise AssertionError("a Reject must not skip promote: promote records it in the ledger")

    monkeypatch.setattr(PromotionApprovalOperator, "skip", no_skip)
    task = _dag(cfg).get_task("approve")
    task.verdict, task.shadow = verdict(), "False"
    task.requests, task.pending = requests, pending
    return task


def test_a_verdict_that_needs_no_approval_asks_nobody(approve: Any) -> None:
    for v, shadow in (
        (verdict(diff=0.05), "False"),
        (verdict(decision="reject"), "False"),
        (verdict(), "True"),
    ):
        approve.verdict, approve.shadow = v, shadow
        out = approve.execute({"task_instance": _TI()})
        assert out["status"] == "not_required" and out["asked_because"] == []
    assert approve.requests == []  # nothing on the Required Actions page


def test_a_needed_approval_is_requested_with_the_numbers_and_parks_the_task(approve: Any) -> None:
    from airflow.sdk.exceptions import TaskAwaitingInput

    with pytest.raises(TaskAwaitingInput) as parked:
        approve.execute({"task_instance": _TI(), "dag": approve.dag, "run_id": "manual__1"})
    assert parked.value.method_name == "execute_complete"
    assert parked.value.timeout.total_seconds() == 12 * 3600
    (request,) = approve.requests
    assert request["subject"] == "Promote churn v3 over v2? roc_auc gain +0.0123"
    assert (
        "| challenger v3 | 0.8246 |" in request["body"]
        and "gain +0.0123 < gain_below 0.02" in request["body"]
    )
    assert "[Evidence bundle](http://mlflow.example/evidence/v3)" in request["body"]
    # the bundle behind that link was logged first, with the decision pending and why it was asked
    (logged,) = approve.pending
    assert logged["asked_because"] == ["gain +0.0123 < gain_below 0.02"] and logged["timeout"] == "12h"
    assert logged["context"] == {"dag_id": "churn_retrain", "run_id": "manual__1"}
    assert request["options"] == ["Approve", "Reject"] and request["defaults"] == ["Reject"]
    assert request["params"] == {}  # no form: the DAG's params are not the approver's to fill


def _event(option: str, user: dict[str, str] | None, *, timedout: bool = False) -> dict[str, Any]:
    at = datetime(2026, 12, 1, 23, 30, tzinfo=UTC)
    return {
        "chosen_options": [option],
        "params_input": {},
        "responded_at": at,
        "responded_by_user": user,
        "timedout": timedout,
    }


@pytest.mark.parametrize(
    ("event", "status", "by"),
    [
        (_event("Approve", {"id": "alice", "name": "alice"}), "approved", "alice"),
        (_event("Reject", {"id": "7", "name": "bob"}), "rejected", "bob"),
        (_event("Reject", None, timedout=True), "timed_out", None),  # the sweep applied the default
        (
            {"error": "The Human-in-the-loop response timeout has passed", "error_type": "timeout"},
            "timed_out",
            None,
        ),
    ],
    ids=["approved", "rejected", "timeout_default", "timeout_without_default"],
)
def test_each_answer_becomes_the_record_promote_reads(
    approve: Any, event: dict[str, Any], status: str, by: str | None
) -> None:
    out = approve.execute_complete({"ti": object(), "task": approve}, event)
    assert out["status"] == status and out["by"] == by
    assert out["asked_because"] == ["gain +0.0123 < gain_below 0.02"] and out["timeout"] == "12h"
    if status != "timed_out" or "chosen_options" in event:
        assert out["at"] == "2026-12-01T23:30:00+00:00"


def test_in_kubernetes_mode_the_approval_waits_on_the_evaluate_pod(churn_cfg: Any) -> None:
    from airflow_champion.config.schema import ExecutionSpec

    cfg = gated(churn_cfg, "always").model_copy(update={"execution": ExecutionSpec(mode="kubernetes")})
    dag = _dag(cfg)
    assert dag.get_task("approve").upstream_task_ids == {"evaluate"}
    assert dag.get_task("promote").upstream_task_ids == {"evaluate", "approve"}
