"""The evidence bundle is logged at promote: on the challenger's training run, pointed at by the ledger
entry of the decision and by the version's tag, linked from the Models page; a fault logging it never
undoes the decision (permanent: said in the result; transient: the step is retried)."""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.unit, pytest.mark.mlflow, pytest.mark.slow]


@pytest.fixture(scope="module")
def story(tmp_path_factory: pytest.TempPathFactory, mlflow_db_template: Path) -> Iterator[dict[str, Any]]:
    """Two weekly breast_cancer snapshots retrained in a row (`mlops run`); the second is drift-started."""
    from airflow_champion.config import load_config
    from airflow_champion.monitoring.gate import record_drift_retrain
    from airflow_champion.pipeline import chain
    from airflow_champion_demo import datagen

    mp = pytest.MonkeyPatch()
    home = tmp_path_factory.mktemp("evidence")
    shutil.copy(mlflow_db_template, home / "mlflow.db")
    mp.setenv("MLOPS_HOME", str(home))
    for var in ("MLFLOW_TRACKING_URI", "MLOPS_ARTIFACT_ROOT", "MLOPS_LOCK_URL", "MLFLOW_REGISTRY_URI"):
        mp.delenv(var, raising=False)
    try:
        cfg = load_config("breast_cancer")
        first, second = datagen.write_weekly_snapshots(cfg, start=date(2026, 11, 2), weeks=2, seed=1)
        one = chain.run_retrain(cfg, first.snapshot_id, run_id="ev-1", reason="test")
        drift = {"snapshot_id": second.snapshot_id, "reason": "drift: share_drifted 0.6 >= 0.5"}
        assert record_drift_retrain(cfg, drift, by="test")
        two = chain.run_retrain(cfg, second.snapshot_id, run_id="ev-2", reason="drift: share_drifted 0.6")
        yield {"cfg": cfg, "first": one, "second": two, "manifest": second}
    finally:
        mp.undo()


def _artifact(run_id: str, path: str) -> str:
    from airflow_champion.registry import tracking

    with tempfile.TemporaryDirectory() as tmp:
        return Path(tracking.client().download_artifacts(run_id, path, tmp)).read_text(encoding="utf-8")


def test_the_bundle_is_on_the_challengers_training_run_with_the_verdicts_numbers(
    story: dict[str, Any],
) -> None:
    run = story["second"]
    verdict, promoted, trained = run["evaluate"], run["promote"], run["train"]
    assert verdict["ci_low"] is not None  # judged against v1: a bootstrap ran
    where = promoted["evidence"]
    assert where["logged"] is True and where["run_id"] == trained["run_id"]
    bundle = json.loads(_artifact(trained["run_id"], "evidence/evidence.json"))
    ev = bundle["evaluation"]
    assert (ev["diff"], ev["ci_low"], ev["ci_high"]) == (
        verdict["diff"],
        verdict["ci_low"],
        verdict["ci_high"],
    )
    assert ev["rel_gain"] == verdict["rel_gain"] and ev["metric"] == verdict["metric"]
    assert bundle["decision"]["action"] == promoted["decision"] == verdict["decision"]
    assert bundle["decision"]["ledger_seq"] == promoted["ledger_seq"]
    assert bundle["lineage"]["snapshot_sha256"] == story["manifest"].sha256
    assert bundle["lineage"]["training_run_id"] == trained["run_id"]
    assert bundle["lineage"]["model_version"] == trained["version"]
    assert bundle["lineage"]["config_hash"] == story["cfg"].config_hash
    assert bundle["validation"]["success"] is True and bundle["validation"]["checks"]
    assert bundle["training"]["estimator"] == story["cfg"].estimator.class_path
    assert bundle["drift"]["retrain_reason"].startswith("drift:")  # the marker that started it
    page = _artifact(trained["run_id"], "evidence/evidence.html")
    assert f"Evidence for breast_cancer v{trained['version']}" in page


def test_the_ledger_entry_and_the_version_point_at_the_bundle(story: dict[str, Any]) -> None:
    from airflow_champion import registry
    from airflow_champion.registry import tags, tracking

    cfg = story["cfg"]
    entries = {e["seq"]: e for e in registry.read_ledger(cfg)}
    for run in (story["first"], story["second"]):
        entry = entries[run["promote"]["ledger_seq"]]
        assert entry["evidence_bundle"]["run_id"] == run["train"]["run_id"]
        assert entry["evidence_bundle"]["path"] == "evidence/evidence.html"
        assert entry["evidence_bundle"]["uri"] == run["promote"]["evidence"]["uri"]
        assert entry["evidence_bundle"]["uri"].endswith("/evidence/evidence.html")
        mv = tracking.client().get_model_version(cfg.registered_model_name, str(run["train"]["version"]))
        assert tags.read(mv, tags.EVIDENCE) == entry["evidence_bundle"]["uri"]


def test_the_models_page_links_each_versions_bundle(story: dict[str, Any]) -> None:
    from airflow_champion.pipeline.overview import model_overview
    from airflow_champion.pipeline.overview_report import render_models_html

    row = model_overview("breast_cancer")
    trained = story["second"]["train"]
    (mine,) = [v for v in row["verdicts"] if v["version"] == trained["version"]]
    assert mine["evidence_url"].endswith(f"/runs/{trained['run_id']}/artifactPath/evidence/evidence.html")
    assert any(e.get("evidence_url") == mine["evidence_url"] for e in row["ledger"])
    assert f"href='{mine['evidence_url']}'" in render_models_html([row])


def test_the_training_run_has_the_snapshot_as_its_dataset_input(story: dict[str, Any]) -> None:
    from airflow_champion.registry import tracking

    run = tracking.client().get_run(story["second"]["train"]["run_id"])
    (used,) = run.inputs.dataset_inputs
    sha = story["manifest"].sha256
    assert used.dataset.digest == sha[:36] and used.dataset.name == story["manifest"].snapshot_id
    assert {t.key: t.value for t in used.tags}["mlops.snapshot_sha256"] == sha
    assert {t.key: t.value for t in used.tags}["mlflow.data.context"] == "training"


def test_a_permanent_fault_logging_the_bundle_leaves_the_decision_and_says_so(
    story: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from airflow_champion.pipeline import evidence_record
    from mlflow.tracking import MlflowClient

    def broken(*_a: Any, **_k: Any) -> None:
        raise PermissionError("artifact store is read-only")

    monkeypatch.setattr(MlflowClient, "log_artifacts", broken)
    run = story["second"]
    where = evidence_record.locate(story["cfg"], run["evaluate"])
    out = evidence_record.record(story["cfg"], run["evaluate"], run["promote"], where)
    assert out is not None and out["logged"] is False and "PermissionError" in out["error"]


def test_a_transient_fault_logging_the_bundle_is_retried(
    story: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from airflow_champion.errors import TransientError
    from airflow_champion.pipeline import evidence_record
    from mlflow.tracking import MlflowClient

    def blink(*_a: Any, **_k: Any) -> None:
        raise ConnectionResetError("tracking server went away")

    monkeypatch.setattr(MlflowClient, "log_artifacts", blink)
    run = story["second"]
    where = evidence_record.locate(story["cfg"], run["evaluate"])
    with pytest.raises(TransientError, match="evidence bundle"):
        evidence_record.record(story["cfg"], run["evaluate"], run["promote"], where)


def test_a_version_judged_against_itself_keeps_the_bundle_of_its_promotion(story: dict[str, Any]) -> None:
    from airflow_champion.pipeline import evidence_record

    verdict = {**story["second"]["evaluate"], "champion_version": story["second"]["train"]["version"]}
    assert evidence_record.locate(story["cfg"], verdict) is None


def test_the_bundle_an_approver_opens_is_there_before_the_decision(story: dict[str, Any]) -> None:
    """Asked to approve, the person follows a link to the bundle: it is logged with the decision
    pending, then promote replaces it with the decision and the answer."""
    from airflow_champion.pipeline import evidence_record

    run = story["second"]
    cfg, verdict, trained = story["cfg"], run["evaluate"], run["train"]
    request = {"asked_because": ["always"], "approvers": ["alice"], "timeout": "12h"}
    pending = evidence_record.record_pending(cfg, verdict, request, actor="approve", context={"run_id": "r1"})
    assert pending is not None and pending["logged"] is True and pending["run_id"] == trained["run_id"]
    assert pending["url"].endswith(f"/runs/{trained['run_id']}/artifactPath/evidence/evidence.html")
    bundle = json.loads(_artifact(trained["run_id"], "evidence/evidence.json"))
    assert bundle["decision"]["action"] == "pending_approval" and bundle["decision"]["promoted"] is False
    assert bundle["decision"]["reasons"] == ["always"]
    assert bundle["approval"] == {**request, "status": "pending"}
    assert bundle["evaluation"]["ci_low"] == verdict["ci_low"]  # the numbers the approver judges
    assert "Decision: PENDING_APPROVAL" in _artifact(trained["run_id"], "evidence/evidence.html")

    final = evidence_record.record(cfg, verdict, run["promote"], evidence_record.locate(cfg, verdict))
    assert final is not None and final["logged"] is True
    bundle = json.loads(_artifact(trained["run_id"], "evidence/evidence.json"))
    assert bundle["decision"]["action"] == run["promote"]["decision"] and bundle["approval"] is None
