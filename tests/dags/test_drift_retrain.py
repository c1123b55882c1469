"""Drift end to end through Airflow: verdict + report -> drift sensor -> retrain started -> judged.

Module-scoped story on the embedded default: a champion trained on a clean week; then a clean
snapshot (no retrain), a strongly drifted one (retrain started by the drift DAG, with the reason on
the run and on the new version), and the drifted one checked again (no second retrain).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.dags import scenarios
from tests.smtp_support import Mailbox, mailbox, notifications  # noqa: F401 (mailbox: a fixture)

pytestmark = [pytest.mark.airflow, pytest.mark.mlflow, pytest.mark.slow]

CLEAN, DRIFTED = "2026-11-09", "2026-11-16"


def _task_states(dr: Any) -> dict[str, str]:
    return {ti.task_id: str(ti.state) for ti in dr.get_task_instances()}


def _retrain_runs() -> list[Any]:
    from airflow.models.dagrun import DagRun
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        runs = session.scalars(select(DagRun).where(DagRun.dag_id == "churn_retrain")).all()
        return [(r.run_id, r.run_type, dict(r.conf or {})) for r in runs]


@pytest.fixture(scope="module")
def story(
    airflow_db: Path,
    tmp_path_factory: pytest.TempPathFactory,
    mailbox: Mailbox,  # noqa: F811
) -> Iterator[dict[str, Any]]:
    from airflow_champion.config import load_config
    from airflow_champion.operators.dag_factory import build_dags
    from airflow_champion_demo import datagen

    mp = pytest.MonkeyPatch()
    mp.setenv("MLOPS_HOME", str(home := tmp_path_factory.mktemp("drift-story")))
    configs = scenarios.churn_config(home / "configs", notifications=notifications("drift_retrain"))
    mp.setenv("MLOPS_CONFIG_DIR", str(configs))
    for var in ("MLFLOW_TRACKING_URI", "MLOPS_ARTIFACT_ROOT", "MLOPS_LOCK_URL"):
        mp.delenv(var, raising=False)
    cfg = load_config("churn")
    datagen.write_weekly_snapshots(cfg, start=date(2026, 11, 2), rows=3000, seed=1)
    datagen.write_weekly_snapshots(cfg, start=date.fromisoformat(CLEAN), rows=3000, seed=2)
    datagen.write_weekly_snapshots(cfg, start=date.fromisoformat(DRIFTED), rows=3000, seed=3, drift="strong")
    dags = build_dags("churn")
    retrain, monitor = dags["churn_retrain"], dags["churn_drift_monitor"]
    day = iter(range(1, 28))
    out: dict[str, Any] = {"cfg": cfg}

    def run(dag: Any, conf: dict[str, Any]) -> Any:
        return dag.test(logical_date=datetime(2027, 1, next(day), tzinfo=UTC), run_conf=conf)

    out["champion_run"] = run(retrain, {"snapshot_id": "2026-11-02", "reason": "test: first"})
    out["runs_before"] = _retrain_runs()
    out["clean"] = run(monitor, {"snapshot_id": CLEAN})
    out["runs_after_clean"] = _retrain_runs()
    out["drifted"] = run(monitor, {"snapshot_id": DRIFTED})
    out["runs_after_drift"] = _retrain_runs()
    out["drifted_again"] = run(monitor, {"snapshot_id": DRIFTED})
    out["runs_after_again"] = _retrain_runs()
    (triggered,) = [r for r in out["runs_after_drift"] if r not in out["runs_before"]]
    out["triggered"] = triggered
    out["retrain"] = run(retrain, triggered[2])  # what the scheduler would run for the queued run
    yield out
    mp.undo()


def test_clean_snapshot_gives_a_no_drift_verdict_and_no_retrain(story: dict[str, Any]) -> None:
    dr = story["clean"]
    states = _task_states(dr)
    verdict = dr.get_task_instance("monitor").xcom_pull(task_ids="monitor")
    assert verdict["drifted"] is False, verdict["reason"]
    assert states == {"monitor": "success", "drift_gate": "skipped", "trigger_retrain": "skipped"}
    assert story["runs_after_clean"] == story["runs_before"]


def test_drifted_snapshot_writes_report_and_verdict_and_starts_one_retrain(story: dict[str, Any]) -> None:
    dr = story["drifted"]
    assert _task_states(dr) == {"monitor": "success", "drift_gate": "success", "trigger_retrain": "success"}
    verdict = dr.get_task_instance("monitor").xcom_pull(task_ids="monitor")
    assert verdict["drifted"] is True and verdict["drifted_features"]
    assert "prediction_drift" in verdict
    folder = Path(story["cfg"].snapshot_root()) / DRIFTED / "_reports"
    assert (folder / "drift_verdict.json").exists() and (folder / "drift_evidently.html").exists()
    assert verdict["evidently"]["status"] == "ok"
    assert "root_metric" in (folder / "drift_evidently.html").read_text()  # Evidently's rendered widgets
    run_id, run_type, conf = story["triggered"]
    assert run_id == f"drift__{DRIFTED}" and run_type in {"operator_triggered", "manual"}
    assert conf["snapshot_id"] == DRIFTED and conf["reason"].startswith("drift:")


def test_same_drifted_snapshot_checked_again_starts_no_second_retrain(story: dict[str, Any]) -> None:
    dr = story["drifted_again"]
    states = _task_states(dr)
    assert states["drift_gate"] == "skipped" and states["trigger_retrain"] == "skipped"
    assert dr.get_task_instance("monitor").xcom_pull(task_ids="monitor")["reused"] is True
    assert story["runs_after_again"] == story["runs_after_drift"]


def test_drift_started_retrain_judges_a_challenger_and_records_why(story: dict[str, Any]) -> None:
    from airflow_champion.registry import tags, tracking

    dr = story["retrain"]
    states = _task_states(dr)
    assert str(dr.state) == "success", states
    assert states["promote"] == "success"
    verdict = dr.get_task_instance("evaluate").xcom_pull(task_ids="evaluate")
    assert verdict["decision"] in {"promote", "reject"} and verdict["champion_version"] == 1
    mv = tracking.client().get_model_version(
        story["cfg"].registered_model_name, str(verdict["challenger_version"])
    )
    assert mv.tags[f"{tags.PREFIX}trigger_reason"].startswith("drift:")
    assert mv.tags[f"{tags.PREFIX}snapshot_id"] == DRIFTED


def test_the_drift_started_retrain_was_mailed_with_its_reason(
    story: dict[str, Any],
    mailbox: Mailbox,  # noqa: F811
) -> None:
    """The trigger task's success callback, through Airflow to an SMTP server on loopback: one mail
    (only `drift_retrain` is chosen; the snapshot checked again started nothing, so mails nothing)."""
    (mail,) = mailbox.wait_for(lambda got: len(got) >= 1)
    run_id, _type, conf = story["triggered"]
    assert mail.subject == f"[mlops] churn: drift started a retrain on snapshot {DRIFTED} (champion v1)"
    assert conf["reason"] in mail.html and run_id in mail.html
    assert f"/dags/churn_retrain/runs/{run_id}'>Airflow: started retrain</a>" in mail.html
    assert "/#/models/churn/versions/1'>MLflow: champion v1</a>" in mail.html
