"""Faults on the real stack: what breaks mid-run is retried, never duplicated, never half-promoted.

Network faults go through `FaultyLink`s between the stack and the MLflow and S3 servers (the servers
themselves keep their state, as a real one would across a network outage). Process faults are real
SIGKILLs of a Celery worker and of the scheduler, mid-run.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from typing import Any

import pytest
from airflow_champion.pipeline.chain import RETRAIN_STEPS

from tests.integration.conftest import REPO, STACK_MARKS, WORKERS, AirflowStack
from tests.integration.test_celery_stack_retrain import (
    DAG_ID,
    _settle_scheduled_runs,
    _task_logs,
    _wait_for_dag,
    _wait_for_run,
)

pytestmark = STACK_MARKS


POLL = 0.5
RESULTS = REPO / "test-artifacts" / "stack_faults.json"


def _record(name: str, stack: AirflowStack, run: dict[str, Any], run_id: str, extra: dict[str, Any]) -> None:
    """What each fault cost: tries per task and the run's wall time (test-artifacts/, untracked)."""
    start = dt.datetime.fromisoformat(run["start_date"].replace("Z", "+00:00"))
    end = dt.datetime.fromisoformat(run["end_date"].replace("Z", "+00:00"))
    tasks = (*RETRAIN_STEPS, "champion_moved", "release_claim")
    tries = {t: _ti(stack, run_id, t)["try_number"] for t in tasks}
    data = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    data[name] = {
        "run_id": run_id,
        "state": run["state"],
        "wall_seconds": round((end - start).total_seconds(), 1),
        "tries": tries,
        **extra,
        "measured_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def _ready(stack: AirflowStack) -> None:
    _wait_for_dag(stack, DAG_ID)
    status, body = stack.api("PATCH", f"/dags/{DAG_ID}", {"is_paused": False})
    assert status == 200, body
    _settle_scheduled_runs(stack)


def _land(stack: AirflowStack, day: dt.date, **gen: Any) -> str:
    from airflow_champion.config import load_config
    from airflow_champion_demo import datagen

    with pytest.MonkeyPatch.context() as mp:
        stack.snapshot_env(mp)
        (manifest,) = datagen.write_weekly_snapshots(load_config("churn"), start=day, **gen)
    return manifest.snapshot_id


def _trigger(stack: AirflowStack, snapshot_id: str, reason: str) -> str:
    status, run = stack.api(
        "POST",
        f"/dags/{DAG_ID}/dagRuns",
        {"logical_date": None, "conf": {"snapshot_id": snapshot_id, "reason": reason}},
    )
    assert status == 200, run
    return str(run["dag_run_id"])


def _ti(stack: AirflowStack, run_id: str, task: str) -> dict[str, Any]:
    status, ti = stack.api("GET", f"/dags/{DAG_ID}/dagRuns/{run_id}/taskInstances/{task}")
    assert status == 200, ti
    return dict(ti)


def _wait_ti(
    stack: AirflowStack, run_id: str, task: str, states: set[str], timeout: float = 240
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ti = _ti(stack, run_id, task)
        if ti["state"] in states:
            return ti
        if ti["state"] in {"failed", "upstream_failed"} - states:
            break
        time.sleep(POLL)
    raise AssertionError(
        f"{task} of {run_id} never reached {states} (last: {ti['state']})\n{_task_logs(stack, run_id)}"
    )


def _wait(event: Any, what: str, stack: AirflowStack, run_id: str, timeout: float = 240) -> None:
    if not event.wait(timeout):
        raise AssertionError(f"the fault at {what} never fired\n{_task_logs(stack, run_id)}")


def _client(stack: AirflowStack) -> Any:
    from mlflow.tracking import MlflowClient

    return MlflowClient(tracking_uri=stack.mlflow.url, registry_uri=stack.mlflow.url)


def _registry(stack: AirflowStack, snapshot_id: str) -> dict[str, Any]:
    """What the MLflow server (not through the link) holds about one snapshot and the champion."""
    from airflow_champion import registry
    from airflow_champion.config import load_config
    from airflow_champion.registry import tracking

    cfg = load_config("churn")
    client = _client(stack)
    name = cfg.registered_model_name
    versions = [
        v
        for v in client.search_model_versions(f"name='{name}'")
        if (v.tags or {}).get("mlops.snapshot_id") == snapshot_id
    ]
    exp = client.get_experiment_by_name(tracking.experiment_name(cfg))
    query = f"tags.`mlops.snapshot_id` = '{snapshot_id}'"
    runs = client.search_runs([exp.experiment_id], filter_string=query) if exp is not None else []
    champion_version = _alias(stack, "champion")
    champion = client.get_model_version(name, str(champion_version)) if champion_version else None
    return {
        "versions": sorted(int(v.version) for v in versions),
        "runs": {r.info.run_id: (r.data.tags.get("mlops.kind"), r.info.status) for r in runs},
        "champion": champion_version,
        "champion_verdict": (champion.tags or {}).get("mlops.verdict") if champion else None,
        "ledger": registry.read_ledger(cfg, client),
    }


def _alias(stack: AirflowStack, alias: str) -> int | None:
    from mlflow.exceptions import MlflowException

    try:
        return int(_client(stack).get_model_version_by_alias("churn", alias).version)
    except MlflowException:
        return None


def test_network_faults_at_every_gate_are_retried_without_duplicates(airflow_stack: AirflowStack) -> None:
    """S3 down at the claim; MLflow down at train; a lost answer at registration; MLflow down between
    moving the champion alias and writing the ledger. Each is retried; one version, one promotion."""
    stack = airflow_stack
    mlflow_link, s3_link = stack.mlflow_link, stack.s3_link
    _ready(stack)
    before = _alias(stack, "champion")
    # concept drift: the current champion scores far below a model trained on it -> a promotion
    sid = _land(stack, dt.date(2026, 12, 7), rows=3000, seed=7, drift="concept")
    ledger_before = len(_registry(stack, sid)["ledger"])

    s3_link.down()
    mlflow_link.arm(rb"POST /api/2\.0/mlflow/runs/create")
    run_id = _trigger(stack, sid, "it: network faults")
    try:
        _wait_ti(stack, run_id, "claim", {"up_for_retry"})
        s3_link.up()
        _wait(mlflow_link.fired, "train (runs/create)", stack, run_id)
        _wait_ti(stack, run_id, "train", {"up_for_retry"})
        mlflow_link.arm(rb"POST /api/2\.0/mlflow/model-versions/create", lose_response=True)
        mlflow_link.up()
        _wait(mlflow_link.fired, "registration (lost answer)", stack, run_id)
        mlflow_link.arm(rb"mlops\.ledger\.\d{6}")  # the ledger write right after the alias moved
        mlflow_link.up()  # in case the lost answer was followed by a failed attempt's outage
        _wait(mlflow_link.fired, "promote (ledger write)", stack, run_id)
        _wait_ti(stack, run_id, "promote", {"up_for_retry"})
        mlflow_link.up()
        run = _wait_for_run(stack, run_id)
    finally:
        mlflow_link.disarm()
        mlflow_link.up()
        s3_link.up()
    tis = {t: _ti(stack, run_id, t) for t in ("claim", "validate", "train", "evaluate", "promote")}
    assert run["state"] == "success", f"{tis}\n{_task_logs(stack, run_id)}"
    assert tis["claim"]["try_number"] == 2
    assert tis["train"]["try_number"] >= 2
    assert tis["promote"]["try_number"] == 2

    seen = _registry(stack, sid)
    assert len(seen["versions"]) == 1, seen  # the re-sent registration was folded into one version
    (version,) = seen["versions"]
    assert seen["champion"] == version and seen["champion_verdict"] == "promote"
    assert _alias(stack, "previous_champion") == before
    new_entries = seen["ledger"][ledger_before:]
    assert [(e["action"], e["to_version"]) for e in new_entries] == [("promote", version)], new_entries
    # the training attempt that died with MLflow down left no run RUNNING
    assert all(status != "RUNNING" for _kind, status in seen["runs"].values()), seen["runs"]
    _record(
        "network_faults",
        stack,
        run,
        run_id,
        {"mlflow_outages": mlflow_link.outages, "s3_outages": s3_link.outages, "version": version},
    )


def test_a_worker_and_the_scheduler_killed_mid_run(airflow_stack: AirflowStack) -> None:
    """The scheduler is SIGKILLed during validate and restarted; the worker running train is
    SIGKILLed mid-fit. The lost task is failed by heartbeat timeout and retried on the other worker."""
    stack = airflow_stack
    _ready(stack)
    sid = _land(stack, dt.date(2026, 12, 14), rows=3000, seed=8)
    run_id = _trigger(stack, sid, "it: process faults")

    _wait_ti(stack, run_id, "validate", {"running"})
    killed = stack.procs.kill("scheduler")
    time.sleep(3)
    stack.procs.start("scheduler", killed.args, killed.env)

    ti = _wait_ti(stack, run_id, "train", {"running"})
    victim = ti["hostname"]
    assert victim in WORKERS, ti
    time.sleep(2)  # mid-fit
    stack.procs.restart(victim)
    run = _wait_for_run(stack, run_id)
    train = _ti(stack, run_id, "train")
    assert run["state"] == "success", f"{train}\n{_task_logs(stack, run_id)}"
    assert train["try_number"] >= 2, train

    seen = _registry(stack, sid)
    assert len(seen["versions"]) == 1, seen
    assert seen["champion_verdict"] == "promote"  # whoever is champion passed its gates
    assert all(status != "RUNNING" for _kind, status in seen["runs"].values()), seen["runs"]
    stack.check_alive()
    _record("process_faults", stack, run, run_id, {"killed_worker": victim, "versions": seen["versions"]})
