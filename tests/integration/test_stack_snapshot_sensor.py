"""No human action on the real stack: a snapshot dropped into the S3 bucket is noticed by the deferred
snapshot sensor (its trigger runs in the real triggerer, through the amazon provider's S3Hook), which
emits the asset event that makes the scheduler start `churn_retrain` for that snapshot."""

from __future__ import annotations

import datetime as dt
import json
import time
from typing import Any

import pytest

from tests.integration.conftest import SNAPSHOT_BUCKET, STACK_MARKS, AirflowStack
from tests.integration.test_celery_stack_retrain import DAG_ID, _settle_scheduled_runs, _wait_for_dag

pytestmark = STACK_MARKS


WATCH_DAG = "churn_snapshot_watch"
SNAPSHOT = dt.date(2026, 11, 16)
TIMEOUT = 420.0


def _runs(stack: AirflowStack, dag_id: str) -> list[dict[str, Any]]:
    status, body = stack.api("GET", f"/dags/{dag_id}/dagRuns")
    assert status == 200, body
    return list(body["dag_runs"])


def test_snapshot_dropped_in_s3_starts_a_retrain_through_sensor_and_asset_event(
    airflow_stack: AirflowStack,
) -> None:
    from airflow_champion.config import load_config
    from airflow_champion_demo import datagen

    stack = airflow_stack
    for dag_id in (DAG_ID, WATCH_DAG):
        _wait_for_dag(stack, dag_id)
    status, body = stack.api("PATCH", f"/dags/{DAG_ID}", {"is_paused": False})
    assert status == 200, body
    _settle_scheduled_runs(stack)
    before = {r["dag_run_id"] for r in _runs(stack, DAG_ID)}

    status, body = stack.api("PATCH", f"/dags/{WATCH_DAG}", {"is_paused": False})
    assert status == 200, body
    try:
        with pytest.MonkeyPatch.context() as mp:
            stack.snapshot_env(mp)
            cfg = load_config("churn")
            assert cfg.snapshot_root().startswith("s3://")
            (manifest,) = datagen.write_weekly_snapshots(cfg, start=SNAPSHOT, rows=1500, seed=3)

        deadline, run = time.monotonic() + TIMEOUT, None
        while time.monotonic() < deadline:
            stack.check_alive()
            new = [r for r in _runs(stack, DAG_ID) if r["dag_run_id"] not in before]
            done = [r for r in new if r["state"] in {"success", "failed"}]
            if done:
                run = done[0]
                break
            time.sleep(3)
        assert run is not None, f"no retrain started within {TIMEOUT:.0f}s\n{stack.procs.dump_logs()}"
    finally:
        stack.api("PATCH", f"/dags/{WATCH_DAG}", {"is_paused": True})

    assert run["run_type"] == "asset_triggered", run
    assert run["state"] == "success", run
    status, entry = stack.api(
        "GET", f"/dags/{DAG_ID}/dagRuns/{run['dag_run_id']}/taskInstances/claim/xcomEntries/snapshot_id"
    )
    assert status == 200, entry
    assert manifest.snapshot_id in str(entry["value"])
    marker = stack.s3.client().get_object(
        Bucket=SNAPSHOT_BUCKET, Key=f"churn/{manifest.snapshot_id}/_claims/announced.json"
    )
    assert json.loads(marker["Body"].read())["by"].startswith(f"sensor:{WATCH_DAG}/")
