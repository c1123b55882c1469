"""`churn_retrain` end to end on real services: Airflow 3 (api-server, scheduler, dag-processor,
triggerer, two Celery workers) on PostgreSQL + Redis, MLflow server on PostgreSQL with artifacts on S3
(moto), promotion lock in Redis. The run is started through the REST API, as an operator would.

Writes the measured numbers (retrain wall time, tasks per Celery worker) to
test-artifacts/integration_run.json (untracked: a test run never dirties the checkout; the copy in
bench/results/ is the one recorded from a clean-clone CI run).
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from airflow_champion.pipeline.chain import RETRAIN_STEPS

from tests.integration.conftest import ARTIFACT_BUCKET, REPO, STACK_MARKS, WORKERS, AirflowStack, tail

pytestmark = STACK_MARKS


DAG_ID = "churn_retrain"
SNAPSHOT_START = dt.date(2026, 11, 2)
ROWS = 1500
RUN_TIMEOUT = 480.0
RESULTS = REPO / "test-artifacts" / "integration_run.json"
RETRAIN_TASKS = {*RETRAIN_STEPS, "champion_moved", "release_claim"}


def _parse_ts(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


def _wait_for_dag(stack: AirflowStack, dag_id: str, timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        stack.check_alive()
        status, _ = stack.api("GET", f"/dags/{dag_id}")
        if status == 200:
            return
        time.sleep(2)
    raise AssertionError(f"{dag_id} not parsed after {timeout:.0f}s\n{stack.procs.dump_logs()}")


def _settle_scheduled_runs(stack: AirflowStack, timeout: float = 240) -> list[dict[str, Any]]:
    """Wait until the scheduler has made (and finished) the runs an unpause makes on its own.

    Unpausing `churn_retrain` makes the scheduler start the run of the latest cron tick (weekly, Monday
    03:00 UTC). With no snapshot landed yet its claim fails and it decides nothing, so the run under test
    starts from a clean slate instead of finding its snapshot claimed by a cron run.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        stack.check_alive()
        status, dag = stack.api("GET", f"/dags/{DAG_ID}")
        assert status == 200, dag
        run_after = _parse_ts(dag.get("next_dagrun_run_after"))
        due = run_after is not None and run_after <= dt.datetime.now(dt.UTC)
        status, body = stack.api("GET", f"/dags/{DAG_ID}/dagRuns")
        assert status == 200, body
        runs = list(body["dag_runs"])
        if not due and all(r["state"] in {"success", "failed"} for r in runs):
            return runs
        time.sleep(2)
    raise AssertionError(f"scheduler did not settle after unpausing {DAG_ID}\n{stack.procs.dump_logs()}")


def _task_logs(stack: AirflowStack, run_id: str, lines: int = 40) -> str:
    """Tails of the task log files of one run (they are local files: same machine, same AIRFLOW_HOME)."""
    parts = []
    for path in sorted((stack.home / "logs").rglob("*")):
        if path.is_file() and run_id in str(path):
            parts.append(f"----- {path.relative_to(stack.home)} -----\n{tail(path, lines)}")
    return "\n".join(parts) or "<no task logs>"


def _wait_for_run(stack: AirflowStack, run_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + RUN_TIMEOUT
    while time.monotonic() < deadline:
        stack.check_alive()
        status, run = stack.api("GET", f"/dags/{DAG_ID}/dagRuns/{run_id}")
        assert status == 200, run
        if run["state"] in {"success", "failed"}:
            return dict(run)
        time.sleep(3)
    _, tis = stack.api("GET", f"/dags/{DAG_ID}/dagRuns/{run_id}/taskInstances")
    raise AssertionError(
        f"run {run_id} not finished after {RUN_TIMEOUT:.0f}s: {tis}\n"
        f"{_task_logs(stack, run_id)}\n{stack.procs.dump_logs()}"
    )


def successful_run_id(stack: AirflowStack) -> str:
    """A successful churn_retrain run of the stack: an earlier test's, else a new one (run_retrain)."""
    status, body = stack.api("GET", f"/dags/{DAG_ID}/dagRuns?state=success")
    runs = body.get("dag_runs", []) if status == 200 and isinstance(body, dict) else []
    return str(runs[-1]["dag_run_id"]) if runs else str(run_retrain(stack)["dag_run_id"])


def run_retrain(stack: AirflowStack, *, rows: int = ROWS, seed: int = 1) -> dict[str, Any]:
    """Land one churn snapshot and retrain on it through the REST API; the finished run, with the task
    instances (`task_instances`, by task id) and the runs the scheduler made on unpausing
    (`scheduler_runs_on_unpause`). Shared with the other tests of the stack."""
    from airflow_champion.config import load_config
    from airflow_champion_demo import datagen

    _wait_for_dag(stack, DAG_ID)
    status, body = stack.api("PATCH", f"/dags/{DAG_ID}", {"is_paused": False})
    assert status == 200, body
    catchup_runs = _settle_scheduled_runs(stack)

    with pytest.MonkeyPatch.context() as mp:  # the snapshot root is the stack's (S3 on moto)
        stack.snapshot_env(mp)
        cfg = load_config("churn")
        (manifest,) = datagen.write_weekly_snapshots(cfg, start=SNAPSHOT_START, rows=rows, seed=seed)
    status, run = stack.api(
        "POST",
        f"/dags/{DAG_ID}/dagRuns",
        {"logical_date": None, "conf": {"snapshot_id": manifest.snapshot_id, "reason": "it"}},
    )
    assert status == 200, run
    run_id = run["dag_run_id"]

    run = _wait_for_run(stack, run_id)
    status, body = stack.api("GET", f"/dags/{DAG_ID}/dagRuns/{run_id}/taskInstances")
    assert status == 200, body
    tis = {ti["task_id"]: ti for ti in body["task_instances"]}
    states = {task: ti["state"] for task, ti in tis.items()}
    assert run["state"] == "success", f"{states}\n{_task_logs(stack, run_id)}\n{stack.procs.dump_logs()}"
    return {
        **run,
        "snapshot_id": manifest.snapshot_id,
        "task_instances": tis,
        "scheduler_runs_on_unpause": {r["dag_run_id"]: r["state"] for r in catchup_runs},
    }


def test_churn_retrain_through_scheduler_and_celery_workers(airflow_stack: AirflowStack) -> None:
    from airflow_champion.config import load_config
    from mlflow.tracking import MlflowClient

    test_started = time.monotonic()
    stack = airflow_stack
    run = run_retrain(stack)
    run_id, snapshot_id, tis = run["dag_run_id"], run["snapshot_id"], run["task_instances"]
    states = {task: ti["state"] for task, ti in tis.items()}
    assert set(tis) == RETRAIN_TASKS
    assert all(state == "success" for state in states.values()), f"{states}\n{_task_logs(stack, run_id)}"
    cfg = load_config("churn")

    # every task ran on one of our Celery workers, which report their own names
    hostnames = {task: ti["hostname"] for task, ti in tis.items()}
    assert set(hostnames.values()) <= set(WORKERS), hostnames

    # the champion lives in the MLflow server's registry (PostgreSQL) ...
    client = MlflowClient(tracking_uri=stack.mlflow.url, registry_uri=stack.mlflow.url)
    champion = client.get_model_version_by_alias(cfg.registered_model_name, "champion")
    assert int(champion.version) == 1
    mlflow_run = client.get_run(str(champion.run_id))
    assert mlflow_run.info.artifact_uri.startswith("mlflow-artifacts:"), mlflow_run.info.artifact_uri

    # ... and its artifacts in the S3 bucket behind the server's artifact proxy
    s3 = stack.s3.client()
    keys = [
        obj["Key"]
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=ARTIFACT_BUCKET)
        for obj in page.get("Contents", [])
    ]
    model_files = [k for k in keys if k.endswith("MLmodel")]
    assert model_files, keys

    start, end = _parse_ts(run["start_date"]), _parse_ts(run["end_date"])
    assert start is not None and end is not None
    task_seconds = {
        task: ti.get("duration") for task, ti in sorted(tis.items(), key=lambda kv: kv[1]["start_date"] or "")
    }
    result = {
        "dag_id": DAG_ID,
        "run_id": run_id,
        "snapshot_id": snapshot_id,
        "rows": ROWS,
        "state": run["state"],
        "retrain_wall_seconds": round((end - start).total_seconds(), 2),
        "queued_to_end_seconds": (
            round((end - q).total_seconds(), 2) if (q := _parse_ts(run.get("queued_at"))) else None
        ),
        "task_seconds": task_seconds,
        "task_hostnames": hostnames,
        "tasks_per_worker": dict(Counter(hostnames.values())),
        "champion_version": int(champion.version),
        "artifact_objects": len(keys),
        "model_artifact": model_files[0],
        "scheduler_runs_on_unpause": run["scheduler_runs_on_unpause"],
        "airflow_startup_seconds": stack.startup_seconds,
        "test_seconds_excluding_stack_startup": round(time.monotonic() - test_started, 1),
        "stack": {
            "airflow": "3.x api-server + scheduler + dag-processor + triggerer, CeleryExecutor",
            "celery_workers": list(WORKERS),
            "worker_concurrency": 2,
            "metadata_db": "postgresql",
            "broker": "redis",
            "mlflow": "mlflow server, postgresql backend store, artifacts proxied to moto S3",
            "lock": "redis",
        },
        "measured_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))


def test_locked_celery_works_with_the_celery_provider(tmp_path: Path) -> None:
    """The celery provider's executor module imports with the locked celery (requirements.in pins
    celery<5.7: celery 5.7.0 removed celery.backends.database.retry, which the provider imports)."""
    import subprocess
    import sys

    from tests.integration.conftest import base_env

    env = base_env(AIRFLOW_HOME=str(tmp_path), AIRFLOW__CORE__EXECUTOR="CeleryExecutor")
    code = "import airflow.providers.celery.executors.celery_executor_utils"
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
