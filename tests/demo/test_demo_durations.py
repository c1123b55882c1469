"""A demo week's dag run has the duration it took, not the weeks since its snapshot's date.

The UI's run duration is end_date - start_date, and `airflow dags test` (Airflow 3.3's `DAG.test`)
sets start_date to the logical date: the demo once passed the snapshot's date as the logical date, and
every 30 s run showed 14-29 days. This runs week 1 as `make demo` does (same driver functions, own
state) and reads the run back from `airflow dags list-runs` and the metadata DB.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from airflow_champion_demo import driver

from tests.integration.conftest import tail

pytestmark = [pytest.mark.airflow, pytest.mark.mlflow, pytest.mark.slow]


def test_demo_week_run_shows_its_real_duration(mlops_home: Path) -> None:
    from airflow_champion.config import load_config

    week = driver.CHURN_WEEKS[0]
    log = mlops_home / "demo.log"
    env = driver.prepare_state(mlops_home, load_config("churn"), (week,), log)

    before = datetime.now(UTC)
    rc, run = driver.run_week(env, "churn", 1, week, log)
    after = datetime.now(UTC)

    assert rc == 0 and run.get("state") == "success", f"{run}\n{tail(log, 60)}"
    start, end = datetime.fromisoformat(run["start_date"]), datetime.fromisoformat(run["end_date"])
    assert before <= start <= end <= after, run  # not the snapshot's date, weeks ago
    assert datetime.fromisoformat(run["logical_date"]) == start  # dags test: start_date = logical date
    assert start <= datetime.fromisoformat(run["run_after"]) <= end
    duration = driver._duration(run)
    assert duration is not None and 0 < duration <= (after - before).total_seconds(), run
    assert run["run_id"].startswith("manual__")

    db = sqlite3.connect(mlops_home / "airflow" / "airflow.db")
    try:
        conf, triggered_by = db.execute(
            "SELECT conf, triggered_by FROM dag_run WHERE dag_id = ? AND run_id = ?",
            ("churn_retrain", run["run_id"]),
        ).fetchone()
    finally:
        db.close()
    assert json.loads(conf)["snapshot_id"] == week.snapshot_id  # the run names its snapshot in its conf
    assert triggered_by == "TEST"
    assert duration < timedelta(hours=1).total_seconds()
    print(f"run {run['run_id']}: {duration:.1f}s; `dags test` took {(after - before).total_seconds():.1f}s")
