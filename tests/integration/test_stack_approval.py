"""Human approval before promotion on the real stack: a model with `promotion.approval: always`
(approvers: admin, timeout 30 s) is retrained three times through the REST API; its approval task
waits in `awaiting_input` (no worker slot) and is answered through `PATCH .../hitlDetails`, as an
approver's script would: Reject (a second answer is 409), no answer (the scheduler's timeout sweep
rejects), Approve. Each decision is a ledger entry with who and when; only the approval moves the
champion alias.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.integration.conftest import SNAPSHOT_BUCKET, STACK_MARKS, AirflowStack
from tests.integration.test_celery_stack_retrain import RUN_TIMEOUT, _parse_ts, _task_logs, _wait_for_dag

pytestmark = STACK_MARKS

MODEL = "churn_gated"
DAG_ID = f"{MODEL}_retrain"
TIMEOUT = "30s"
HITL = "/taskInstances/approve/-1/hitlDetails"


def _add_gated_model(stack: AirflowStack) -> None:
    """A copy of churn that asks for approval, on its own snapshot prefix, started by the test only."""
    config_dir = Path(stack.env["MLOPS_CONFIG_DIR"])
    raw = yaml.safe_load((config_dir / "churn.yaml").read_text())
    raw["name"] = MODEL
    raw["snapshots"].update({"root": f"s3://{SNAPSHOT_BUCKET}/{MODEL}", "detection": "off"})
    raw["drift"] = {**raw["drift"], "enabled": False}
    raw["promotion"]["approval"] = {"when": "always", "timeout": TIMEOUT, "approvers": ["admin"]}
    (config_dir / f"{MODEL}.yaml").write_text(yaml.safe_dump(raw, sort_keys=False))


def _settle(stack: AirflowStack, timeout: float = 240) -> None:
    """Unpause, then wait out the cron run the scheduler starts on its own (no snapshot yet: it
    decides nothing), so the runs under test start from a clean slate."""
    status, body = stack.api("PATCH", f"/dags/{DAG_ID}", {"is_paused": False})
    assert status == 200, body
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        stack.check_alive()
        _, dag = stack.api("GET", f"/dags/{DAG_ID}")
        run_after = _parse_ts(dag.get("next_dagrun_run_after"))
        due = run_after is not None and run_after <= dt.datetime.now(dt.UTC)
        _, runs = stack.api("GET", f"/dags/{DAG_ID}/dagRuns")
        if not due and all(r["state"] in {"success", "failed"} for r in runs["dag_runs"]):
            return
        time.sleep(2)
    raise AssertionError(f"scheduler did not settle after unpausing {DAG_ID}\n{stack.procs.dump_logs()}")


def _trigger(stack: AirflowStack, snapshot_id: str) -> str:
    status, run = stack.api(
        "POST", f"/dags/{DAG_ID}/dagRuns", {"logical_date": None, "conf": {"snapshot_id": snapshot_id}}
    )
    assert status == 200, run
    return str(run["dag_run_id"])


def _wait(stack: AirflowStack, run_id: str, done: Any, what: str) -> Any:
    deadline = time.monotonic() + RUN_TIMEOUT
    while time.monotonic() < deadline:
        stack.check_alive()
        got = done()
        if got:
            return got
        time.sleep(2)
    _, tis = stack.api("GET", f"/dags/{DAG_ID}/dagRuns/{run_id}/taskInstances")
    raise AssertionError(f"{what}: not after {RUN_TIMEOUT:.0f}s: {tis}\n{_task_logs(stack, run_id)}")


def _awaiting_input(stack: AirflowStack, run_id: str) -> dict[str, Any]:
    """The approval request, once the task is parked waiting for it."""

    def parked() -> Any:
        _, ti = stack.api("GET", f"/dags/{DAG_ID}/dagRuns/{run_id}/taskInstances/approve")
        assert ti.get("state") not in {"success", "failed", "skipped", "upstream_failed"}, ti
        if ti.get("state") != "awaiting_input":
            return None
        status, detail = stack.api("GET", f"/dags/{DAG_ID}/dagRuns/{run_id}{HITL}")
        return detail if status == 200 else None

    return dict(_wait(stack, run_id, parked, "approval task awaiting input"))


def _finished(stack: AirflowStack, run_id: str) -> dict[str, str]:
    def ended() -> Any:
        _, run = stack.api("GET", f"/dags/{DAG_ID}/dagRuns/{run_id}")
        return run if run["state"] in {"success", "failed"} else None

    run = _wait(stack, run_id, ended, f"run {run_id}")
    _, body = stack.api("GET", f"/dags/{DAG_ID}/dagRuns/{run_id}/taskInstances")
    states = {ti["task_id"]: ti["state"] for ti in body["task_instances"]}
    assert run["state"] == "success", f"{states}\n{_task_logs(stack, run_id)}"
    return states


def _ledger(stack: AirflowStack) -> list[dict[str, Any]]:
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=stack.mlflow.url, registry_uri=stack.mlflow.url)
    tags = client.get_registered_model(MODEL).tags
    return [json.loads(v) for k, v in sorted(tags.items()) if k.startswith("mlops.ledger.")]


def _champion(stack: AirflowStack) -> int | None:
    from mlflow.exceptions import MlflowException
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=stack.mlflow.url, registry_uri=stack.mlflow.url)
    try:
        return int(client.get_model_version_by_alias(MODEL, "champion").version)
    except MlflowException:
        return None


def test_approve_reject_and_timeout_through_the_rest_api(airflow_stack: AirflowStack) -> None:
    from airflow_champion.config import load_config
    from airflow_champion_demo import datagen

    stack = airflow_stack
    _add_gated_model(stack)
    _wait_for_dag(stack, DAG_ID)
    _settle(stack)
    with pytest.MonkeyPatch.context() as mp:
        stack.snapshot_env(mp)
        snapshots = datagen.write_weekly_snapshots(
            load_config("churn"),
            start=dt.date(2026, 11, 2),
            weeks=3,
            rows=1500,
            seed=1,
            root=f"s3://{SNAPSHOT_BUCKET}/{MODEL}",
        )
    rejected, timed_out, approved = (m.snapshot_id for m in snapshots)

    # 1. Reject: promote still runs, records who rejected, and moves nothing
    run_id = _trigger(stack, rejected)
    detail = _awaiting_input(stack, run_id)
    assert detail["subject"].startswith(f"Promote {MODEL} v1, the first champion? roc_auc ")
    assert "| challenger v1 |" in detail["body"] and "[Evidence bundle](" in detail["body"]
    assert detail["options"] == ["Approve", "Reject"] and detail["defaults"] == ["Reject"]
    assert [u["id"] for u in detail["assigned_users"]] == ["admin"]
    status, answer = stack.api(
        "PATCH", f"/dags/{DAG_ID}/dagRuns/{run_id}{HITL}", {"chosen_options": ["Reject"]}
    )
    assert status == 200, answer
    status, again = stack.api(
        "PATCH", f"/dags/{DAG_ID}/dagRuns/{run_id}{HITL}", {"chosen_options": ["Approve"]}
    )
    assert status == 409, again  # answered once, for good
    states = _finished(stack, run_id)
    assert states["approve"] == "success" and states["promote"] == "success", states
    entry = _ledger(stack)[-1]
    assert (entry["action"], entry["to_version"]) == ("reject", 1)
    assert entry["reason"].startswith("approval rejected by admin at ")
    assert entry["approval"]["status"] == "rejected" and entry["approval"]["by"] == "admin"
    assert _champion(stack) is None

    # 2. No answer: the scheduler's sweep applies the default (Reject) after the timeout
    run_id = _trigger(stack, timed_out)
    _awaiting_input(stack, run_id)
    states = _finished(stack, run_id)
    assert states["approve"] == "success" and states["promote"] == "success", states
    entry = _ledger(stack)[-1]
    assert (entry["action"], entry["to_version"]) == ("reject", 2)
    assert entry["reason"].startswith(f"approval timed out after {TIMEOUT}")
    assert entry["approval"]["status"] == "timed_out" and "by" not in entry["approval"]
    _, detail = stack.api("GET", f"/dags/{DAG_ID}/dagRuns/{run_id}{HITL}")
    assert detail["chosen_options"] == ["Reject"] and detail["responded_by_user"] is None
    assert _champion(stack) is None

    # 3. Approve: the champion moves, and the ledger says who approved and when
    run_id = _trigger(stack, approved)
    _awaiting_input(stack, run_id)
    status, answer = stack.api(
        "PATCH", f"/dags/{DAG_ID}/dagRuns/{run_id}{HITL}", {"chosen_options": ["Approve"]}
    )
    assert status == 200, answer
    states = _finished(stack, run_id)
    assert all(state == "success" for state in states.values()), states
    entry = _ledger(stack)[-1]
    assert (entry["action"], entry["to_version"]) == ("promote", 3)
    assert entry["approval"]["status"] == "approved" and entry["approval"]["by"] == "admin"
    assert _parse_ts(entry["approval"]["at"]) is not None
    assert _champion(stack) == 3
