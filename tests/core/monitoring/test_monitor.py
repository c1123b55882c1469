"""Drift monitor on a real champion: verdicts, reports next to the snapshot, MLflow run, reuse, history.

One champion is trained and promoted through include.steps once per module (`world`); each test uses
its own snapshots, and asserts hold whatever order the tests run in.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from airflow_champion.data import layout, snapshots
from airflow_champion.errors import SnapshotError
from airflow_champion.monitoring import engine, record
from airflow_champion.monitoring import monitor as drift_monitor
from airflow_champion.monitoring.monitor import NoChampionError
from airflow_champion.monitoring.policy import decide_retrain
from airflow_champion.monitoring.report import EVIDENTLY_HTML, VERDICT_HTML, VERDICT_JSON
from airflow_champion.registry import tags, tracking

pytestmark = [pytest.mark.unit, pytest.mark.mlflow, pytest.mark.slow]

ROWS = 1500
TRAIN, CLEAN, DRIFTED, BROKEN, LATEST = "2026-01-05", "2026-01-12", "2026-01-19", "2026-01-22", "2026-01-26"
QUARANTINED, INCOMPLETE = "2026-02-02", "2026-02-09"
SNAPSHOTS: dict[str, dict[str, Any]] = {
    TRAIN: {"seed": 1},
    CLEAN: {"seed": 2},  # same distribution, other draws
    DRIFTED: {"seed": 3, "drift": "strong"},
    BROKEN: {"seed": 4, "corruption": "drop_column"},  # the champion cannot score it
    LATEST: {"seed": 5},
    QUARANTINED: {"seed": 6, "drift": "strong"},
}
ISOLATED_VARS = ("MLFLOW_TRACKING_URI", "MLOPS_ARTIFACT_ROOT", "MLOPS_LOCK_URL", "MLFLOW_REGISTRY_URI")
LINEAGE = {"dag_id": "churn_drift_monitor", "run_id": "manual__1", "not_lineage": "dropped"}


@dataclass
class World:
    cfg: Any
    root: Path
    champion: int


@pytest.fixture(scope="module")
def world(mlflow_db_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    from airflow_champion.config import load_config
    from airflow_champion.pipeline import steps
    from airflow_champion_demo import datagen

    mp = pytest.MonkeyPatch()
    home = tmp_path_factory.mktemp("drift-monitor")
    shutil.copy(mlflow_db_template, home / "mlflow.db")
    mp.setenv("MLOPS_HOME", str(home))
    for var in ISOLATED_VARS:
        mp.delenv(var, raising=False)
    try:
        cfg = load_config("churn")
        root = cfg.snapshot_root()
        for sid, kw in SNAPSHOTS.items():
            snapshots.write_snapshot(root, sid, datagen.generate_churn(ROWS, **kw))
        snapshots.quarantine(root, QUARANTINED, reason="test", result={}, report_html="<p>bad</p>")
        (Path(root) / INCOMPLETE).mkdir()
        (Path(root) / INCOMPLETE / "data.parquet").write_bytes(b"still uploading")  # no manifest
        trained = steps.train(cfg, TRAIN)
        promoted = steps.promote(cfg, steps.evaluate(cfg, TRAIN, trained["version"]), actor="test")
        assert promoted["promoted"], promoted
        yield World(cfg=cfg, root=Path(root), champion=int(trained["version"]))
    finally:
        mp.undo()


def _drift_runs(cfg: Any, snapshot_id: str) -> list[Any]:
    c = tracking.client()
    return c.search_runs(  # type: ignore[no-any-return]
        [tracking.ensure_experiment(cfg)],
        filter_string=f"tags.`mlops.kind` = 'drift' and tags.`mlops.snapshot_id` = '{snapshot_id}'",
    )


def _last_check(w: World) -> dict[str, Any]:
    mv = tracking.client().get_model_version(w.cfg.registered_model_name, str(w.champion))
    return json.loads(mv.tags[tags.key(tags.LAST_DRIFT_CHECK)])  # type: ignore[no-any-return]


def test_strong_drift_is_flagged_reported_and_tracked(world: World) -> None:
    v = drift_monitor.monitor(world.cfg, DRIFTED, lineage=LINEAGE, force=True)
    assert v["drifted"] is True and v["reused"] is False
    assert (v["model"], v["snapshot_id"], v["champion_version"]) == ("churn", DRIFTED, world.champion)
    assert set(v["features"]) == set(world.cfg.data.feature_names)
    assert set(v["drifted_features"]) >= {"tenure_months", "monthly_charges", "avg_session_minutes"}
    assert v["share_drifted"] >= world.cfg.drift.share_drifted_features
    assert v["prediction_drift"]["status"] == "ok" and v["prediction_drift"]["statistic"] is not None
    assert v["target_drift"] is not None and v["scoring"]["error"] is None
    assert v["evidently"]["status"] == "ok" and v["evidently"]["columns"]
    assert v["engine"] == engine.ENGINE and v["computed_at"].endswith("+00:00")
    assert v["lineage"] == {"dag_id": "churn_drift_monitor", "run_id": "manual__1"}
    assert {"load_reference", "load_snapshot", "score", "drift", "evidently", "mlflow", "total"} <= set(
        v["timings"]
    )

    reports = world.root / DRIFTED / layout.REPORTS_DIR
    assert {p.name for p in reports.iterdir()} >= {VERDICT_JSON, VERDICT_HTML, EVIDENTLY_HTML}
    assert v["report_uri"] == (reports / EVIDENTLY_HTML).as_uri()
    assert v["verdict_uri"] == (reports / VERDICT_HTML).as_uri()
    assert v["verdict_json_uri"] == (reports / VERDICT_JSON).as_uri()
    stored = json.loads((reports / VERDICT_JSON).read_text())
    assert stored == drift_monitor.read_verdict(world.cfg, DRIFTED)
    assert stored == {k: val for k, val in v.items() if k != "reused"}

    c = tracking.client()
    run = c.get_run(v["run_id"])
    assert run.info.run_name == f"drift-{DRIFTED}" and run.info.status == "FINISHED"
    tags = run.data.tags
    assert tags["mlops.kind"] == "drift" and tags["mlops.snapshot_id"] == DRIFTED
    assert (
        tags["mlops.champion_version"] == str(world.champion)
        and tags["mlops.dag_id"] == "churn_drift_monitor"
    )
    assert run.data.metrics["share_drifted"] == pytest.approx(v["share_drifted"])
    assert run.data.metrics["n_drifted"] == len(v["drifted_features"])
    assert "prediction_drift_statistic" in run.data.metrics
    assert {a.path for a in c.list_artifacts(v["run_id"])} == {VERDICT_JSON, VERDICT_HTML, EVIDENTLY_HTML}
    assert v["run_url"] == tracking.run_url(v["experiment_id"], v["run_id"])
    last = _last_check(world)
    assert (last["snapshot_id"], last["drifted"], last["run_id"]) == (DRIFTED, True, v["run_id"])


def test_clean_snapshot_is_not_drifted(world: World) -> None:
    drift_monitor.monitor(world.cfg, DRIFTED)  # computed or reused
    v = drift_monitor.monitor(world.cfg, CLEAN)
    assert v["drifted"] is False, v["reason"]
    assert v["prediction_drift"]["status"] == "ok" and v["prediction_drift"]["drifted"] is False
    # the baseline is the champion's holdout: its scores on training rows would read as drift
    assert v["scoring"]["baseline"]["source"] == "holdout artifact"  # logged by training with the model
    assert v["scoring"]["baseline"]["rows"] == ROWS * world.cfg.holdout.fraction
    assert (world.root / CLEAN / layout.REPORTS_DIR / VERDICT_JSON).is_file()
    assert _last_check(world)["snapshot_id"] >= DRIFTED  # an older snapshot does not move it back


def test_rerun_reuses_the_verdict_and_force_recomputes(world: World) -> None:
    first = drift_monitor.monitor(world.cfg, DRIFTED)
    n_runs = len(_drift_runs(world.cfg, DRIFTED))
    again = drift_monitor.monitor(world.cfg, DRIFTED)
    assert again["reused"] is True and again["run_id"] == first["run_id"]
    assert len(_drift_runs(world.cfg, DRIFTED)) == n_runs  # no second run
    forced = drift_monitor.monitor(world.cfg, DRIFTED, force=True)
    assert forced["reused"] is False and forced["run_id"] != first["run_id"]
    assert len(_drift_runs(world.cfg, DRIFTED)) == n_runs + 1
    assert (drift_monitor.read_verdict(world.cfg, DRIFTED) or {}).get("run_id") == forced["run_id"]
    assert drift_monitor.monitor(world.cfg, DRIFTED)["run_id"] == forced["run_id"]


def test_history_is_chronological_and_feeds_the_policy(world: World) -> None:
    for sid in (DRIFTED, CLEAN):
        drift_monitor.monitor(world.cfg, sid)
    # a verdict left in a snapshot that was quarantined later does not count
    fake = {"snapshot_id": QUARANTINED, "drifted": True, "champion_version": world.champion}
    snapshots.write_report(str(world.root), QUARANTINED, VERDICT_JSON, json.dumps(fake))
    history = drift_monitor.verdict_history(world.cfg)
    ids = [v["snapshot_id"] for v in history]
    assert ids == sorted(ids) and {CLEAN, DRIFTED} <= set(ids)
    assert TRAIN not in ids and QUARANTINED not in ids
    assert drift_monitor.verdict_history(world.cfg, limit=1) == history[-1:]
    assert drift_monitor.read_verdict(world.cfg, TRAIN) is None

    upto = [v for v in history if v["snapshot_id"] <= DRIFTED]
    decision = decide_retrain(world.cfg.drift, upto, last_retrain_at=None, claimed_snapshots=set())
    assert (decision.retrain, decision.snapshot_id) == (True, DRIFTED)
    assert not decide_retrain(
        world.cfg.drift, upto, last_retrain_at=None, claimed_snapshots={DRIFTED}
    ).retrain


def test_unscorable_snapshot_keeps_its_feature_verdict(world: World) -> None:
    v = drift_monitor.monitor(world.cfg, BROKEN)
    assert "tenure_months" in v["scoring"]["error"] and v["prediction_drift"] is None
    assert v["features"]["tenure_months"]["status"] == "missing"
    assert v["drifted"] is False and v["n_features"] == len(world.cfg.data.features) - 1


def test_latest_bounded_and_evidently_failure(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("evidently exploded")

    monkeypatch.setattr(record, "evidently_report", boom)
    small = world.cfg.model_copy(
        update={"drift": world.cfg.drift.model_copy(update={"max_rows": 1000, "report_rows": 100})}
    )
    v = drift_monitor.monitor(small, "latest")  # skips the incomplete and the quarantined snapshot
    assert v["snapshot_id"] == LATEST and v["reused"] is False
    assert v["evidently"] == {"status": "error", "error": "RuntimeError: evidently exploded"}
    assert isinstance(v["drifted"], bool) and v["features"] and v["prediction_drift"]
    assert v["sampled"]["current"] == {"rows": ROWS, "used": 1000, "sampled": True}
    assert v["rows"]["current"] == ROWS and v["scoring"]["current_rows"] == 1000
    assert v["features"]["age"]["n_cur"] <= 1000
    reports = world.root / LATEST / layout.REPORTS_DIR
    assert (reports / VERDICT_JSON).is_file()
    assert "evidently exploded" in (reports / EVIDENTLY_HTML).read_text()  # no stale page either
    assert v["report_uri"] == (reports / EVIDENTLY_HTML).as_uri()
    # a verdict made under other drift settings, or against another champion, is stale
    assert drift_monitor.monitor(small, LATEST)["reused"] is True
    assert drift_monitor.monitor(world.cfg, LATEST)["reused"] is False
    stored = drift_monitor.read_verdict(world.cfg, LATEST)
    assert stored is not None
    snapshots.write_report(
        str(world.root), LATEST, VERDICT_JSON, json.dumps({**stored, "champion_version": 999})
    )
    assert drift_monitor.monitor(world.cfg, LATEST)["reused"] is False


def test_quarantined_snapshot_is_refused(world: World) -> None:
    with pytest.raises(SnapshotError, match="quarantined"):
        drift_monitor.monitor(world.cfg, QUARANTINED)


def test_no_champion_is_a_named_error(mlops_home: Path, churn_cfg: Any) -> None:
    from airflow_champion_demo import datagen

    snapshots.write_snapshot(churn_cfg.snapshot_root(), "s1", datagen.generate_churn(600, seed=1))
    with pytest.raises(NoChampionError, match="no 'champion'"):
        drift_monitor.monitor(churn_cfg)
    assert drift_monitor.verdict_history(churn_cfg) == []


def test_each_drift_check_sends_its_signals_and_the_champions_age(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from airflow_champion.telemetry import names

    from tests.statsd_support import statsd_listener

    with statsd_listener() as statsd:
        for key, value in statsd.env().items():
            monkeypatch.setenv(key, value)
        v = drift_monitor.monitor(world.cfg, DRIFTED)  # computed or reused: sent either way
        statsd.wait_for(lambda got: bool(statsd.named(names.CHAMPION_AGE)))
    share = statsd.gauge(names.DRIFT_SCORE, model="churn", signal="features")
    assert share == pytest.approx(v["share_drifted"])
    assert statsd.gauge(names.DRIFT_DETECTED, model="churn", signal="features") == 1
    assert statsd.gauge(names.DRIFT_FEATURE_DETECTED, model="churn", feature="tenure_months") == 1
    assert statsd.gauge(names.CHAMPION_VERSION, model="churn") == world.champion
    age = statsd.gauge(names.CHAMPION_AGE, model="churn")
    assert age is not None and age >= 0
