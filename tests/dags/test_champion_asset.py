"""The `<model>_champion` asset gets an event only when the champion alias moved (through `dag.test()`).

Serving may listen to that asset: an event for a rejected challenger would make it reload a champion
that did not change. promote succeeds for a rejection too, so the outlet is on `champion_moved`.

The same module-scoped runs (with one retry per task, as deployed) also hold the error taxonomy
(errors.is_transient): the rejected run's evaluate meets a lost connection while loading the champion
once and is retried; a snapshot whose judged rows hold a single class fails train once, named, with
nothing logged to MLflow.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.dags import scenarios

pytestmark = [pytest.mark.airflow, pytest.mark.mlflow, pytest.mark.slow]

CHAMPION_URI = "x-mlops://churn/champion"
SINGLE_CLASS = "2026-11-09"


@dataclass
class Run:
    state: str
    tasks: dict[str, str]
    promote: dict[str, Any]
    events: list[dict[str, Any]]
    tries: dict[str, int]
    gate_error: str | None


@pytest.fixture(scope="module")
def runs(
    airflow_db: Path, mlflow_db_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Run]]:
    from airflow_champion.config import load_config
    from airflow_champion.evaluation import evaluate
    from airflow_champion.operators.dag_factory import build_dags
    from airflow_champion.registry import tracking
    from airflow_champion_demo import datagen

    mp = pytest.MonkeyPatch()
    home = tmp_path_factory.mktemp("champion-asset")
    shutil.copy(mlflow_db_template, home / "mlflow.db")
    mp.setenv("MLOPS_HOME", str(home))
    for var in ("MLFLOW_TRACKING_URI", "MLOPS_ARTIFACT_ROOT", "MLOPS_LOCK_URL"):
        mp.delenv(var, raising=False)
    mp.setenv("MLOPS_TASK_RETRIES", "1")  # as deployed (2), minus one: a retried task shows its 2nd try
    mp.setenv("MLOPS_TASK_RETRY_DELAY_SECONDS", "0")
    cfg = load_config("churn")
    datagen.write_weekly_snapshots(cfg, start=date(2026, 11, 2), rows=800, seed=1, label_noise=0.25)
    retrain = build_dags("churn")["churn_retrain"]
    out: dict[str, Run] = {}

    def run(name: str, day: int, conf: dict[str, Any], dag: Any = retrain) -> None:
        dr = dag.test(logical_date=datetime(2027, 3, day, tzinfo=UTC), run_conf=conf)
        tis = {ti.task_id: ti for ti in dr.get_task_instances()}
        promote = (
            tis["promote"].xcom_pull(task_ids="promote") if str(tis["promote"].state) == "success" else {}
        )
        out[name] = Run(
            state=str(dr.state),
            tasks={t: str(ti.state) for t, ti in tis.items()},
            promote=dict(promote or {}),
            events=scenarios.champion_events(dr.run_id, CHAMPION_URI),
            tries={t: int(ti.try_number) for t, ti in tis.items()},
            gate_error=tis["train"].xcom_pull(task_ids="train", key="gate_error"),
        )

    real_evaluate, real_load = evaluate.evaluate_challenger, tracking.load_model
    blinks: list[int] = []

    def evaluate_with_one_lost_connection(cfg: Any, df: Any, **kw: Any) -> Any:
        """evaluate's first champion load meets a dropped connection (an MLflow or S3 blink)."""

        def load(c: Any, version: int) -> Any:
            if version == kw.get("champion_version") and not blinks:
                blinks.append(version)
                raise ConnectionResetError("[Errno 104] Connection reset by peer")
            return real_load(c, version)

        with pytest.MonkeyPatch.context() as inner:
            inner.setattr(tracking, "load_model", load)
            return real_evaluate(cfg, df, **kw)

    try:
        run("promoted", 1, {"snapshot_id": "2026-11-02", "reason": "test: first"})
        # the same data again, forced: an identical challenger cannot beat the champion -> rejected
        mp.setattr(evaluate, "evaluate_challenger", evaluate_with_one_lost_connection)
        run("rejected", 2, {"snapshot_id": "2026-11-02", "reason": "test: same again", "force": True})
        mp.setattr(evaluate, "evaluate_challenger", real_evaluate)
        out["rejected"].tries["blinks"] = len(blinks)
        # a time holdout whose judged rows (the latest quarter) never churn: nothing can rank two models
        edits = {"holdout__policy": "time", "holdout__time_column": "event_time", "holdout__stratify": False}
        mp.setenv("MLOPS_CONFIG_DIR", str(scenarios.churn_config(home / "time-config", **edits)))
        data = scenarios.with_event_time(scenarios.churn(800, 2, label_noise=0.25), seed=2)
        data.loc[data.index[600:], "churned"] = 0
        scenarios.land(load_config("churn"), SINGLE_CLASS, data)
        run("single_class", 3, {"snapshot_id": SINGLE_CLASS}, build_dags("churn")["churn_retrain"])
        yield out
    finally:
        mp.undo()


def test_a_promotion_emits_one_champion_event_naming_the_move(runs: dict[str, Run]) -> None:
    r = runs["promoted"]
    assert r.state == "success", r.tasks
    assert r.promote["promoted"] is True
    assert r.tasks["champion_moved"] == "success"
    assert r.events == [{"model": "churn", "from_version": None, "to_version": 1}]


def test_a_rejected_challenger_emits_no_champion_event(runs: dict[str, Run]) -> None:
    r = runs["rejected"]
    assert r.state == "success", r.tasks  # a rejection is not a failure
    assert r.promote["promoted"] is False and r.promote["to_version"] == 2, r.promote
    assert r.tasks["champion_moved"] == "skipped"
    assert r.tasks["release_claim"] == "success"
    assert r.events == []


def test_a_lost_connection_loading_the_champion_is_retried_not_a_gate_failure(runs: dict[str, Run]) -> None:
    r = runs["rejected"]
    assert r.tries["blinks"] == 1  # evaluate's first try met the fault
    assert r.tasks["evaluate"] == "success" and r.tries["evaluate"] == 2, (r.tasks, r.tries)
    assert r.promote["decision"] == "reject"  # the retry reached the same verdict


def test_a_single_class_holdout_fails_train_once_named_with_nothing_logged(runs: dict[str, Run]) -> None:
    from airflow_champion.config import load_config
    from airflow_champion.registry import tracking

    r = runs["single_class"]
    assert r.state == "failed" and r.tasks["train"] == "failed", r.tasks
    assert r.tries["train"] == 1  # a permanent error: not retried although the task has a retry
    assert r.gate_error is not None and r.gate_error.startswith("UnjudgeableHoldoutError: churn: snapshot")
    assert "holdout policy 'time'" in r.gate_error and "judged {0: 200}" in r.gate_error
    assert r.tasks["release_claim"] == "success" and r.events == []
    cfg = load_config("churn")
    client = tracking.client()
    trained = client.search_runs(
        [tracking.ensure_experiment(cfg)], filter_string=f"tags.`mlops.snapshot_id` = '{SINGLE_CLASS}'"
    )
    assert trained == []  # no run, no model: the split was checked before anything was logged
    versions = client.search_model_versions(f"name='{cfg.registered_model_name}'")
    assert sorted(int(v.version) for v in versions) == [1, 2]
