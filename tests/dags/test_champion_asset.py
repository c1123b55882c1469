"""The `<model>_champion` asset gets an event only when the champion alias moved (through `dag.test()`).

Serving may listen to that asset: an event for a rejected challenger would make it reload a champion
that did not change. promote succeeds for a rejection too, so the outlet is on `champion_moved`.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.airflow, pytest.mark.mlflow, pytest.mark.slow]

CHAMPION_URI = "mlops://churn/champion"


@dataclass
class Run:
    state: str
    tasks: dict[str, str]
    promote: dict[str, Any]
    events: list[dict[str, Any]]


def _champion_events(run_id: str) -> list[dict[str, Any]]:
    from airflow.models.asset import AssetEvent, AssetModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        events = session.scalars(
            select(AssetEvent)
            .join(AssetModel, AssetEvent.asset_id == AssetModel.id)
            .where(AssetModel.uri == CHAMPION_URI, AssetEvent.source_run_id == run_id)
        ).all()
        return [dict(e.extra or {}) for e in events]


@pytest.fixture(scope="module")
def runs(
    airflow_db: Path, mlflow_db_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Run]]:
    from airflow_champion.config import load_config
    from airflow_champion.operators.dag_factory import build_dags
    from airflow_champion_demo import datagen

    mp = pytest.MonkeyPatch()
    home = tmp_path_factory.mktemp("champion-asset")
    shutil.copy(mlflow_db_template, home / "mlflow.db")
    mp.setenv("MLOPS_HOME", str(home))
    for var in ("MLFLOW_TRACKING_URI", "MLOPS_ARTIFACT_ROOT", "MLOPS_LOCK_URL"):
        mp.delenv(var, raising=False)
    cfg = load_config("churn")
    datagen.write_weekly_snapshots(cfg, start=date(2026, 11, 2), rows=800, seed=1, label_noise=0.25)
    retrain = build_dags("churn")["churn_retrain"]
    out: dict[str, Run] = {}

    def run(name: str, day: int, conf: dict[str, Any]) -> None:
        dr = retrain.test(logical_date=datetime(2027, 3, day, tzinfo=UTC), run_conf=conf)
        tis = {ti.task_id: ti for ti in dr.get_task_instances()}
        promote = (
            tis["promote"].xcom_pull(task_ids="promote") if str(tis["promote"].state) == "success" else {}
        )
        out[name] = Run(
            state=str(dr.state),
            tasks={t: str(ti.state) for t, ti in tis.items()},
            promote=dict(promote or {}),
            events=_champion_events(dr.run_id),
        )

    try:
        run("promoted", 1, {"snapshot_id": "2026-11-02", "reason": "test: first"})
        # the same data again, forced: an identical challenger cannot beat the champion -> rejected
        run("rejected", 2, {"snapshot_id": "2026-11-02", "reason": "test: same again", "force": True})
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
