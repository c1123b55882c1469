"""The "Models" page's data and HTML (pipeline.overview, pipeline.overview_report) on a real MLflow store.

Two models and a broken config: breast_cancer with a ledger made through registry.promote/rollback (a
hostile rollback reason among them), churn never trained, and `broken.yaml` that does not load.
Versions are registered without model files, as in tests/core/registry/test_promotion.py.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from airflow_champion import registry, settings
from airflow_champion.pipeline import overview
from airflow_champion.pipeline.overview_report import render_models_html
from airflow_champion.registry import tracking
from airflow_champion.reports.jsonsafe import dumps

pytestmark = [pytest.mark.unit, pytest.mark.mlflow]

REPO = Path(__file__).resolve().parents[3]
HOSTILE = "<script>alert('pwned')</script> rolled back by hand"


@pytest.fixture
def config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "configs"
    folder.mkdir()
    for name in ("breast_cancer", "churn"):
        shutil.copy(REPO / "include" / "configs" / f"{name}.yaml", folder / f"{name}.yaml")
    (folder / "broken.yaml").write_text("name: broken\ntask: binary\nmetric: {nme: roc_auc}\n")
    monkeypatch.setenv("MLOPS_CONFIG_DIR", str(folder))
    return folder


def _version(cfg: Any, verdict: str, eval_run_id: str = "") -> int:
    from mlflow.exceptions import MlflowException

    c = tracking.client()
    try:
        c.get_registered_model(cfg.name)
    except MlflowException:
        c.create_registered_model(cfg.name)
    tags = {
        "mlops.verdict": verdict,
        "mlops.snapshot_id": "2026-11-02",
        f"mlops.holdout_{cfg.metric.name}": "0.91",
    }
    if eval_run_id:
        tags["mlops.eval_run_id"] = eval_run_id
    source = (settings.mlops_home() / "model").as_uri()
    return int(c.create_model_version(cfg.name, source=source, tags=tags).version)


def _verdict(cfg: Any, challenger: int, champion: int | None, decision: str = "promote") -> dict[str, Any]:
    return {
        "model": cfg.name,
        "snapshot_id": "2026-11-02",
        "challenger_version": challenger,
        "champion_version": champion,
        "decision": decision,
        "reasons": [f"test {decision}"],
        "metric": "average_precision",
        "challenger_score": 0.91,
        "champion_score": 0.88,
        "ci_low": 0.012,
        "eval_run_id": None,
    }


def _drift_verdict(cfg: Any, snapshot_id: str, drifted: bool) -> None:
    from airflow_champion.data import layout
    from airflow_champion.monitoring.report import VERDICT_JSON

    path = Path(cfg.snapshot_root()) / layout.report(snapshot_id, VERDICT_JSON)
    path.parent.mkdir(parents=True)
    verdict = {
        "snapshot_id": snapshot_id,
        "drifted": drifted,
        "reason": f"share of drifted features on {snapshot_id}",
        "report_uri": f"file://{path.parent}/drift_verdict.html",
        "champion_version": 1,
        "computed_at": "2026-11-10T03:00:00+00:00",
    }
    path.write_text(json.dumps(verdict))


@pytest.fixture
def story(mlops_home: Path, config_dir: Path) -> dict[str, Any]:
    """breast_cancer: v1, v2 promoted, v3 rejected (challenger, evaluated in a real run), then a rollback
    from v2 to v1 with a hostile reason; two drift verdicts, the newer one drifted."""
    from airflow_champion.config import load_config

    cfg = load_config("breast_cancer")
    client = tracking.client()
    experiment_id = tracking.ensure_experiment(cfg)
    eval_run = client.create_run(experiment_id).info.run_id
    v1, v2 = _version(cfg, "promote"), _version(cfg, "promote")
    v3 = _version(cfg, "reject", eval_run_id=eval_run)
    registry.promote(cfg, _verdict(cfg, v1, None), actor="airflow:run-1")
    registry.promote(cfg, _verdict(cfg, v2, v1), actor="airflow:run-2")
    registry.promote(cfg, _verdict(cfg, v3, v2, "reject"), actor="airflow:run-3")
    client.set_registered_model_alias(cfg.name, tracking.CHALLENGER, str(v3))
    registry.rollback(cfg, to_version=v1, reason=HOSTILE, actor="oncall")
    _drift_verdict(cfg, "2026-11-02", drifted=False)
    _drift_verdict(cfg, "2026-11-09", drifted=True)
    return {"v1": v1, "v2": v2, "v3": v3, "eval_run": eval_run, "experiment_id": experiment_id}


def test_every_config_gets_a_row_with_champion_challenger_ledger_verdicts_and_drift(
    story: dict[str, Any],
) -> None:
    rows = {r["model"]: r for r in overview.overview()}
    assert sorted(rows) == ["breast_cancer", "broken", "churn"]

    bc = rows["breast_cancer"]
    v1, v2, v3 = story["v1"], story["v2"], story["v3"]
    assert bc["error"] is None and bc["drift_error"] is None
    assert (bc["task"], bc["metric"]) == ("binary", "average_precision")
    assert bc["champion"]["version"] == v1
    assert bc["champion"]["url"] == tracking.model_version_url("breast_cancer", v1)
    assert bc["champion"]["score"] == pytest.approx(0.91)
    assert bc["challenger"]["version"] == v3
    assert bc["previous_champion"]["version"] == v2
    timeline = [(e["seq"], e["action"], e["from_version"], e["to_version"]) for e in bc["ledger"]]
    assert timeline == [
        (4, "rollback", v2, v1),
        (3, "reject", v2, v3),
        (2, "promote", v1, v2),
        (1, "promote", None, v1),
    ]
    rollback, reject = bc["ledger"][0], bc["ledger"][1]
    assert (rollback["actor"], rollback["reason"]) == ("oncall", HOSTILE)
    assert rollback["to_version_url"] == tracking.model_version_url("breast_cancer", v1)
    assert bc["ledger"][-1]["from_version_url"] is None  # the first champion came from nowhere
    assert reject["metric"] == {
        "name": "average_precision",
        "challenger": 0.91,
        "champion": 0.88,
        "ci_low": 0.012,
    }

    assert [(v["version"], v["verdict"]) for v in bc["verdicts"]] == [
        (v3, "reject"),
        (v2, "promote"),
        (v1, "promote"),
    ]
    judged = bc["verdicts"][0]
    assert judged["eval_run_id"] == story["eval_run"]
    assert judged["eval_run_url"] == tracking.run_url(story["experiment_id"], story["eval_run"])
    assert bc["verdicts"][2]["revoked"] is None and bc["previous_champion"]["revoked"]  # v2 was revoked

    assert bc["drift"]["snapshot_id"] == "2026-11-09"  # the newest stored verdict, not the first
    assert bc["drift"]["drifted"] is True
    assert bc["drift"]["report_uri"].endswith("2026-11-09/_reports/drift_verdict.html")

    churn = rows["churn"]
    assert churn["error"] is None
    assert churn["champion"] is None and churn["challenger"] is None
    assert churn["ledger"] == [] and churn["verdicts"] == []
    assert churn["drift"] is None

    broken = rows["broken"]
    assert broken["error"].startswith("config does not load: ")
    assert "metric.nme: unknown key (did you mean 'name'?)" in broken["error"]
    assert broken["champion"] is None and broken["task"] is None

    assert json.loads(dumps(list(rows.values())))[0]["model"] == "breast_cancer"  # JSON-safe as it is


def test_the_page_escapes_a_hostile_reason_and_shows_the_broken_config_in_its_row(
    story: dict[str, Any],
) -> None:
    rows = overview.overview()
    dags = {"breast_cancer": [{"dag_id": "breast_cancer_retrain", "href": "dags/breast_cancer_retrain"}]}
    page = render_models_html(rows, dags=dags, ui_root="../")

    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&#39;pwned&#39;)&lt;/script&gt; rolled back by hand" in page
    broken_row = page.split("data-model='broken'", 1)[1].split("</tr>", 1)[0]
    assert "config does not load" in broken_row and "did you mean" in broken_row
    assert f"href='{tracking.model_version_url('breast_cancer', story['v1'])}'" in page
    assert "href='../dags/breast_cancer_retrain' target='_top'" in page  # the top window, not the iframe
    assert f"/runs/{story['eval_run']}'" in page  # the evaluation run in MLflow
    assert "<code>file://" in page  # a file:// report is shown as text, never served or linked


def test_an_unreadable_registry_is_that_rows_error_and_the_others_still_load(
    story: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from airflow_champion.pipeline import steps

    real = steps.status

    def status(model: Any) -> dict[str, Any]:
        if getattr(model, "name", model) == "churn":
            raise ConnectionError("MLflow at http://mlflow:5000 refused the connection")
        return real(model)

    monkeypatch.setattr(steps, "status", status)
    rows = {r["model"]: r for r in overview.overview()}
    assert rows["churn"]["error"] == (
        "registry not readable: ConnectionError: MLflow at http://mlflow:5000 refused the connection"
    )
    assert rows["churn"]["task"] == "binary"  # what the config says is still shown
    assert rows["breast_cancer"]["champion"]["version"] == story["v1"]
    page = render_models_html(list(rows.values()))
    assert "registry not readable: ConnectionError" in page
