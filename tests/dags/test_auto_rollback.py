"""An injected post-promotion regression rolls back on its own, through `churn_retrain`.

Week 1 makes champion v1. Week 2 is an anomaly (the `standard` plan's labels inverted for a week):
v2 learns it and its gate, judged on that same week, promotes it. Week 3 is normal again: before
training on it, `check_champion` scores v2 against its predecessor v1 on week 3's rows, finds it
clearly worse, rolls back to v1 and revokes v2, with the numbers in the ledger. Week 4 lands week 2's
very bytes under a new id: training hands back v2 (same data and config), and although it wins on
that week again, it is rejected as revoked.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.dags import scenarios

pytestmark = [pytest.mark.airflow, pytest.mark.mlflow, pytest.mark.slow]

WEEKS = ["2026-11-02", "2026-11-09", "2026-11-16", "2026-11-23"]
NORMAL, ANOMALY, BACK_TO_NORMAL, SAME_AS_ANOMALY = WEEKS


def _xcom(tis: dict[str, Any], task: str) -> Any:
    return tis[task].xcom_pull(task_ids=task) if str(tis[task].state) == "success" else None


@pytest.fixture(scope="module")
def story(airflow_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    from airflow_champion.config import load_config
    from airflow_champion.operators.dag_factory import build_dags
    from airflow_champion.registry import ledger, tracking

    tmp = tmp_path_factory.mktemp("auto-rollback")
    mp = pytest.MonkeyPatch()
    scenarios.private_home(mp, tmp / "home")
    cfg = load_config("churn")
    scenarios.land(cfg, NORMAL, scenarios.churn(3000, 1))
    for sid in (ANOMALY, SAME_AS_ANOMALY):  # the same bytes twice: the generator is seeded
        anomaly = scenarios.labels_inverted_for(scenarios.churn(3000, 2), "plan_tier", "standard")
        scenarios.land(cfg, sid, anomaly)
    scenarios.land(cfg, BACK_TO_NORMAL, scenarios.churn(3000, 3))
    dag = build_dags("churn")["churn_retrain"]
    runs: dict[str, Any] = {}
    for day, sid in enumerate(WEEKS, start=1):
        dr = dag.test(logical_date=datetime(2027, 3, day, tzinfo=UTC), run_conf={"snapshot_id": sid})
        tis = {ti.task_id: ti for ti in dr.get_task_instances()}
        runs[sid] = {
            "state": str(dr.state),
            "tasks": {k: str(t.state) for k, t in tis.items()},
            "check": _xcom(tis, "check_champion"),
            "train": _xcom(tis, "train"),
            "verdict": _xcom(tis, "evaluate"),
            "champion": tracking.alias_version(cfg, tracking.CHAMPION),
            "events": scenarios.champion_events(dr.run_id),
        }
    yield {"cfg": cfg, "runs": runs, "ledger": ledger.read_ledger(cfg)}
    mp.undo()


def test_the_anomalous_week_is_promoted_by_its_own_gate(story: dict[str, Any]) -> None:
    run = story["runs"][ANOMALY]
    assert run["state"] == "success", run["tasks"]
    assert run["verdict"]["decision"] == "promote" and run["champion"] == 2
    assert run["check"]["action"] == "none" and "no predecessor" in run["check"]["reason"]


def test_the_next_labelled_week_rolls_the_regression_back(story: dict[str, Any]) -> None:
    run = story["runs"][BACK_TO_NORMAL]
    assert run["state"] == "success", run["tasks"]
    check = run["check"]
    assert check["action"] == "rollback", check
    c = check["check"]
    assert c["predecessor"] == 1 and c["diff"] < 0 and c["ci_high"] < 0
    assert check["performance"]["version"] == 2 and check["performance"]["drop"] > 0
    (entry,) = [e for e in story["ledger"] if e["action"] == "rollback"]
    assert (entry["from_version"], entry["to_version"], entry["actor"]) == (2, 1, "auto-rollback")
    assert entry["snapshot_id"] == BACK_TO_NORMAL and entry["metric"]["ci_high"] < 0
    assert entry["reason"].startswith(f"auto-rollback: on snapshot {BACK_TO_NORMAL}")
    assert "upper bound < -margin" in entry["reason"]
    # the same run then judged its challenger against the restored champion
    assert run["verdict"]["champion_version"] == 1


def test_every_champion_move_and_only_a_move_emits_one_champion_asset_event(story: dict[str, Any]) -> None:
    """Serving listens to the champion asset: the automatic rollback (check_champion succeeds with or
    without one) must tell it too, and a run that moved nothing must not."""
    events = [(e["from_version"], e["to_version"]) for sid in WEEKS for e in story["runs"][sid]["events"]]
    moved = [e for e in story["ledger"] if e["action"] in {"promote", "rollback"}]
    moves = [(e["from_version"], e["to_version"]) for e in moved]
    assert events == moves, (events, [e["action"] for e in story["ledger"]])
    assert {"model": "churn", "from_version": 2, "to_version": 1} in story["runs"][BACK_TO_NORMAL]["events"]
    assert story["runs"][SAME_AS_ANOMALY]["events"] == []  # rejected as revoked: nothing moved


def test_the_revoked_version_is_tagged_and_never_promoted_again(story: dict[str, Any]) -> None:
    from airflow_champion.data.manifest import read_manifest
    from airflow_champion.registry import tags, tracking

    root = story["cfg"].snapshot_root()
    assert read_manifest(root, SAME_AS_ANOMALY).sha256 == read_manifest(root, ANOMALY).sha256

    run = story["runs"][SAME_AS_ANOMALY]
    assert run["train"]["version"] == 2 and run["train"]["reused"] is True  # training reuse
    v = run["verdict"]
    assert v["decision"] == "reject" and v["revoked"]
    assert v["reasons"][0].startswith("v2 was revoked") and "never promoted again" in v["reasons"][0]
    assert v["diff"] > 0  # it would have won on the week it was trained on
    assert run["champion"] != 2
    mv = tracking.client().get_model_version(story["cfg"].registered_model_name, "2")
    assert "auto-rollback" in tags.read(mv, tags.REVOKED)
    last = story["ledger"][-1]
    assert last["action"] == "reject" and last["to_version"] == 2
