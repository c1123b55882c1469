"""A regression model (diabetes) and a multiclass model (wine) through `<model>_retrain`, end to end on
the embedded default: a first champion (floor), a better challenger promoted, a worse one rejected, a
corrupted snapshot quarantined. Both split by the bundled row's id (holdout policy `group`)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.airflow, pytest.mark.mlflow, pytest.mark.slow]

WEEKS = {  # snapshot id -> generator arguments: noisy and small, clean and large, thin, corrupted
    "diabetes": [
        {"rows": 600, "seed": 1, "label_noise": 0.15},
        {"rows": 1500, "seed": 2},
        {"rows": 220, "seed": 3},
        {"rows": 1500, "seed": 4, "corruption": "out_of_range"},
    ],
    "wine": [
        {"rows": 250, "seed": 1, "label_noise": 0.1},
        {"rows": 1200, "seed": 2},
        {"rows": 160, "seed": 3},
        {"rows": 1200, "seed": 4, "corruption": "out_of_range"},
    ],
}
IDS = ["2026-11-02", "2026-11-09", "2026-11-16", "2026-11-23"]


@pytest.fixture(scope="module", params=sorted(WEEKS))
def story(
    request: pytest.FixtureRequest, airflow_db: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Any]:
    from airflow_champion.config import load_config
    from airflow_champion.operators.dag_factory import build_dags
    from airflow_champion.registry import tracking
    from airflow_champion_demo import datagen

    model = request.param
    mp = pytest.MonkeyPatch()
    mp.setenv("MLOPS_HOME", str(tmp_path_factory.mktemp(model)))
    for var in ("MLFLOW_TRACKING_URI", "MLOPS_ARTIFACT_ROOT", "MLOPS_LOCK_URL"):
        mp.delenv(var, raising=False)
    cfg = load_config(model)
    for sid, kw in zip(IDS, WEEKS[model], strict=True):
        datagen.write_weekly_snapshots(cfg, start=date.fromisoformat(sid), **kw)
    dag = build_dags(model)[f"{model}_retrain"]
    runs = {}
    for day, sid in enumerate(IDS, start=1):
        dr = dag.test(logical_date=datetime(2026, 12, day, tzinfo=UTC), run_conf={"snapshot_id": sid})
        tis = {ti.task_id: ti for ti in dr.get_task_instances()}
        runs[sid] = {
            "state": str(dr.state),
            "tasks": {k: str(ti.state) for k, ti in tis.items()},
            "verdict": tis["evaluate"].xcom_pull(task_ids="evaluate")
            if str(tis["evaluate"].state) == "success"
            else None,
            "champion": tracking.alias_version(cfg, tracking.CHAMPION),
        }
    yield cfg, runs
    mp.undo()


def test_the_first_snapshot_makes_a_champion_that_meets_the_floor(story: Any) -> None:
    cfg, runs = story
    first = runs[IDS[0]]
    assert first["state"] == "success", first["tasks"]
    assert first["champion"] == 1 and first["verdict"]["decision"] == "promote"
    assert first["verdict"]["task"] == cfg.task and first["verdict"]["judged"]["policy"] == "group"


def test_a_better_challenger_is_promoted(story: Any) -> None:
    _cfg, runs = story
    v = runs[IDS[1]]["verdict"]
    assert v["decision"] == "promote" and v["ci_low"] > 0, v["reasons"]
    assert runs[IDS[1]]["champion"] == 2
    assert v["judged"]["bootstrap_unit"] == "group" and v["judged"]["bootstrap_clusters"] > 20


def test_a_worse_challenger_is_rejected(story: Any) -> None:
    _cfg, runs = story
    v = runs[IDS[2]]["verdict"]
    assert v["decision"] == "reject" and v["diff"] < 0, v["reasons"]
    assert runs[IDS[2]]["champion"] == 2


def test_a_corrupted_snapshot_is_quarantined_and_the_champion_stays(story: Any) -> None:
    cfg, runs = story
    run = runs[IDS[3]]
    assert run["state"] == "failed" and run["tasks"]["validate"] == "failed"
    assert run["champion"] == 2
    assert (Path(cfg.snapshot_root()) / IDS[3] / "_quarantine" / "QUARANTINED.json").exists()
