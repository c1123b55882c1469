"""Evaluation: the verdict rules against a real MLflow store (the bootstrap: test_bootstrap.py)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from airflow_champion.reports.numbers import fmt

pytestmark = [pytest.mark.unit, pytest.mark.mlflow]

VERDICT_KEYS = {
    "model",
    "snapshot_id",
    "challenger_version",
    "champion_version",
    "decision",
    "reasons",
    "metric",
    "direction",
    "challenger_score",
    "champion_score",
    "diff",
    "rel_gain",
    "ci_low",
    "ci_high",
    "confidence",
    "bootstrap_samples",
    "holdout_rows",
    "floor",
    "evaluated_at",
    "eval_run_id",
}


# ------------------------------------------------------------------------------------- verdicts


def _bc_frame() -> pd.DataFrame:
    from sklearn.datasets import load_breast_cancer

    return load_breast_cancer(as_frame=True).frame


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """One MLflow store for the module: v1 good, v2 the same good model refit, v3 fit on shuffled labels.

    Registering is the slow part, so versions are shared; each test only adds evaluation runs/tags.
    """
    import mlflow.sklearn
    from airflow_champion.config import load_config
    from airflow_champion.modeling import fingerprints, holdout, pipeline, references, trusted_types
    from airflow_champion.registry import tracking
    from sklearn.base import clone

    mp = pytest.MonkeyPatch()
    home = tmp_path_factory.mktemp("eval") / "mlops"
    home.mkdir()
    mp.setenv("MLOPS_HOME", str(home))
    for var in ("MLFLOW_TRACKING_URI", "MLOPS_ARTIFACT_ROOT", "MLOPS_LOCK_URL", "MLFLOW_REGISTRY_URI"):
        mp.delenv(var, raising=False)
    try:
        cfg = load_config("breast_cancer")
        df = _bc_frame()
        train = holdout.split_holdout(cfg, df).train
        X, y = pipeline.features_and_target(cfg, train)
        good = pipeline.build_pipeline(cfg).fit(X, y)
        same = clone(good).fit(X, y)
        shuffled = clone(good).fit(X, np.random.default_rng(0).permutation(y))
        tracking.configure()
        tracking.ensure_experiment(cfg)
        seen = fingerprints.unique_sorted(fingerprints.row_fingerprints(cfg, train))
        for m in (good, same, shuffled):
            with mlflow.start_run(experiment_id=tracking.ensure_experiment(cfg)):
                mlflow.log_param("fingerprints.scheme", fingerprints.SCHEME)  # what training logs
                references.log_fingerprints(seen)
                mlflow.sklearn.log_model(
                    m,
                    name="model",
                    registered_model_name=cfg.registered_model_name,
                    serialization_format="skops",
                    skops_trusted_types=trusted_types.TRUSTED_TYPES,
                    pip_requirements=["scikit-learn"],
                )
        yield {"cfg": cfg, "df": df, "home": home, "good": 1, "same": 2, "bad": 3}
    finally:
        mp.undo()


def _evaluate(reg: dict[str, Any], challenger: int, champion: int | None, **kw: Any) -> dict[str, Any]:
    from airflow_champion.evaluation.evaluate import evaluate_challenger

    return evaluate_challenger(
        kw.get("cfg", reg["cfg"]),
        kw.get("df", reg["df"]),
        snapshot_id="2026-11-02",
        challenger_version=challenger,
        champion_version=champion,
    )


def _version_tags(reg: dict[str, Any], version: int) -> dict[str, str]:
    from airflow_champion.registry import tracking

    return dict(tracking.client().get_model_version(reg["cfg"].name, str(version)).tags)


def test_first_model_meeting_the_floor_is_promoted_and_recorded(registry: dict[str, Any]) -> None:
    from airflow_champion.registry import tracking

    v = _evaluate(registry, registry["good"], None)
    assert set(v) >= VERDICT_KEYS
    assert json.loads(json.dumps(v, allow_nan=False)) == v
    assert v["decision"] == "promote"
    assert v["champion_version"] is None and v["champion_score"] is None and v["ci_low"] is None
    assert v["challenger_score"] >= v["floor"] == 0.9
    assert "floor 0.9" in v["reasons"][0] and ">=" in v["reasons"][0]
    assert v["holdout_rows"] == 171 and v["confidence"] == pytest.approx(0.95)

    c = tracking.client()
    run = c.get_run(v["eval_run_id"])
    assert run.info.run_name == "evaluate-v1" and run.info.status == "FINISHED"
    assert run.data.tags["mlops.kind"] == "evaluation"
    assert run.data.tags["mlops.snapshot_id"] == "2026-11-02"
    assert run.data.tags["mlops.challenger_version"] == "1"
    assert run.data.tags["mlops.champion_version"] == "none"
    assert run.data.metrics["challenger_average_precision"] == pytest.approx(v["challenger_score"])
    assert run.info.experiment_id == tracking.ensure_experiment(registry["cfg"])
    files = {a.path for a in c.list_artifacts(v["eval_run_id"])}
    assert {"verdict.json", "report.html", "roc_curve.png", "pr_curve.png", "confusion_matrix.png"} <= files
    assert v["report_uri"].endswith("/report.html")

    local = Path(c.download_artifacts(v["eval_run_id"], "verdict.json"))
    assert json.loads(local.read_text())["eval_run_id"] == v["eval_run_id"]
    page = Path(c.download_artifacts(v["eval_run_id"], "report.html")).read_text()
    assert "PROMOTE" in page and "data:image/png;base64," in page and "average_precision" in page

    tags = _version_tags(registry, registry["good"])
    assert tags["mlops.verdict"] == "promote"
    assert tags["mlops.verdict_champion"] == "none"
    assert tags["mlops.eval_run_id"] == v["eval_run_id"]


def test_first_model_below_the_floor_is_rejected(registry: dict[str, Any]) -> None:
    v = _evaluate(registry, registry["bad"], None)
    assert v["decision"] == "reject"
    assert v["challenger_score"] < 0.9
    assert f"{fmt(v['challenger_score'])} < floor 0.9" in v["reasons"][0]
    assert _version_tags(registry, registry["bad"])["mlops.verdict"] == "reject"


def test_minimised_floor_is_inverted(registry: dict[str, Any]) -> None:
    cfg = registry["cfg"].model_copy(
        update={
            "metric": registry["cfg"].metric.model_copy(update={"name": "log_loss", "direction": "minimize"}),
            "promotion": registry["cfg"].promotion.model_copy(update={"floor": 0.3}),
        }
    )
    assert _evaluate(registry, registry["good"], None, cfg=cfg)["decision"] == "promote"
    v = _evaluate(registry, registry["bad"], None, cfg=cfg)
    assert v["decision"] == "reject" and "> floor 0.3" in v["reasons"][0]


def test_clearly_better_challenger_is_promoted(registry: dict[str, Any]) -> None:
    v = _evaluate(registry, registry["good"], registry["bad"])
    assert v["decision"] == "promote", v["reasons"]
    assert v["diff"] == pytest.approx(v["challenger_score"] - v["champion_score"])
    assert v["ci_low"] > 0 and v["ci_high"] >= v["ci_low"]
    assert v["rel_gain"] == pytest.approx(v["diff"] / v["champion_score"])
    assert v["bootstrap_samples"] == 1000
    assert any("CI lower bound" in r and "> 0" in r for r in v["reasons"])
    tags = _version_tags(registry, registry["good"])
    assert tags["mlops.verdict"] == "promote" and tags["mlops.verdict_champion"] == "3"


def test_equal_challenger_is_rejected_with_numbers(registry: dict[str, Any]) -> None:
    v = _evaluate(registry, registry["same"], registry["good"])
    assert v["decision"] == "reject"
    assert v["diff"] == pytest.approx(0.0, abs=1e-12)
    text = " | ".join(v["reasons"])
    assert "gain +0 < min_abs_gain 0.002" in text
    assert "95% CI lower bound" in text and "<= 0 (90% interval [" in text and "the gain may be luck" in text
    assert json.loads(json.dumps(v, allow_nan=False)) == v


def test_worse_challenger_is_rejected(registry: dict[str, Any]) -> None:
    v = _evaluate(registry, registry["bad"], registry["good"])
    assert v["decision"] == "reject"
    assert v["diff"] < 0 and v["ci_high"] < 0
    comparison = [r for r in v["reasons"] if not r.startswith("calibration:")]
    assert len(comparison) == 3 and all(("<" in r) for r in comparison)  # the bad model is miscalibrated too
    tags = _version_tags(registry, registry["bad"])
    assert tags["mlops.verdict"] == "reject" and tags["mlops.verdict_champion"] == "1"


def test_same_version_is_rejected_without_retagging_the_champion(registry: dict[str, Any]) -> None:
    before = _version_tags(registry, registry["same"])
    v = _evaluate(registry, registry["same"], registry["same"])
    assert v["decision"] == "reject"
    assert v["reasons"] == ["v2 is already the champion"]
    assert v["eval_run_id"]
    assert _version_tags(registry, registry["same"]) == before


def test_unloadable_version_raises(registry: dict[str, Any]) -> None:
    from airflow_champion.errors import EvaluationError

    with pytest.raises(EvaluationError, match=r"breast_cancer: cannot load champion v99"):
        _evaluate(registry, registry["good"], 99)


def test_single_class_holdout_raises(registry: dict[str, Any]) -> None:
    from airflow_champion.errors import EvaluationError

    df = registry["df"]
    with pytest.raises(EvaluationError, match="single class"):
        _evaluate(registry, registry["good"], None, df=df[df["target"] == 1])


def test_report_html_escapes() -> None:
    from airflow_champion.evaluation.report import render_report_html

    page = render_report_html(
        {
            "model": "m",
            "decision": "reject",
            "reasons": ["<script>alert(1)</script>"],
            "challenger_version": 1,
        }
    )
    assert "<script>" not in page and "&lt;script&gt;" in page


# ------------------------------------------------------------------- work shared, verdicts unchanged

_VOLATILE = {"evaluated_at", "eval_run_id", "eval_run_url", "report_uri"}
_TIMINGS = {"p50_ms", "p95_ms", "max_ms"}


def _stable(v: dict[str, Any]) -> dict[str, Any]:
    """A verdict without what differs between two evaluations of the same question (ids, times)."""
    out = {k: val for k, val in v.items() if k not in _VOLATILE}
    out["budgets"] = {k: val for k, val in (v.get("budgets") or {}).items() if k not in _TIMINGS}
    return out


def test_the_promotion_and_calibration_gates_share_one_pass_of_resamples(
    registry: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """One pass of resamples for both gates (it was two), giving what each gate gives on its own."""
    from airflow_champion.evaluation import bootstrap, calibration, evaluate

    passes: list[int] = []
    real_draws = bootstrap.paired_draws

    def counting(pairs: Any, *a: Any, **k: Any) -> Any:
        passes.append(len(pairs))
        return real_draws(pairs, *a, **k)

    monkeypatch.setattr(bootstrap, "paired_draws", counting)
    monkeypatch.setattr(calibration, "paired_draws", counting)
    seen: dict[str, Any] = {}
    real_checks = evaluate.run_checks

    def capture(cfg: Any, task: Any, judged: Any, **kw: Any) -> Any:
        seen.update(judged=judged, **kw)
        return real_checks(cfg, task, judged, **kw)

    monkeypatch.setattr(evaluate, "run_checks", capture)
    v = _evaluate(registry, registry["good"], registry["bad"])
    assert passes == [3]  # the metric, the ECE and the Brier score
    monkeypatch.setattr(bootstrap, "paired_draws", real_draws)
    monkeypatch.setattr(calibration, "paired_draws", real_draws)
    cfg, judged, p_ch, p_cp = registry["cfg"], seen["judged"], seen["p_ch"], seen["p_cp"]
    seed, y, clusters = cfg.holdout.seed, judged.y, judged.clusters
    alone = calibration.calibration_gate(cfg, cfg.task, y, p_ch, p_cp, clusters=clusters, seed=seed)
    assert v["calibration"] == alone
    boot = bootstrap.gate_bootstrap(
        cfg,
        cfg.metric_entry,
        y,
        p_ch,
        p_cp,
        clusters=clusters,
        challenger_score=v["challenger_score"],
        champion_score=v["champion_score"],
    )
    assert (v["ci_low"], v["ci_high"], v["diff"]) == (boot["ci_low"], boot["ci_high"], boot["diff"])


def test_inside_shared_reads_a_champion_is_loaded_once_and_a_linear_one_predicted_again(
    registry: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """In the one-process chain check_champion predicts the champion on the whole snapshot; evaluate
    reuses the loaded model, and, the champion being a logistic regression (not row_exact: its last
    bits depend on the batch), predicts its judged rows again: the verdict is the one outside."""
    from airflow_champion.data.reading import shared_reads
    from airflow_champion.evaluation import predictions
    from airflow_champion.modeling.pipeline import features
    from airflow_champion.tasks import get_task

    cfg, df = registry["cfg"], registry["df"]
    outside = _evaluate(registry, registry["good"], registry["bad"])
    loads: list[int] = []
    real_load = predictions.load_version
    monkeypatch.setattr(predictions, "load_version", lambda c, v, r: loads.append(v) or real_load(c, v, r))
    with shared_reads():
        task, everything = get_task(cfg.task), np.arange(len(df))
        predictions.predict_rows(cfg, task, registry["bad"], "champion", df, features(cfg, df), everything)
        inside = _evaluate(registry, registry["good"], registry["bad"])
    assert loads.count(registry["bad"]) == 1
    assert _stable(inside) == _stable(outside)
