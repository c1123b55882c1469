"""Evaluation: paired bootstrap correctness/speed and the verdict rules against a real MLflow store."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

pytestmark = pytest.mark.unit

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
METRICS = ["roc_auc", "average_precision", "accuracy", "balanced_accuracy", "f1", "log_loss", "brier"]


def _synthetic(n: int = 2000, seed: int = 1) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Labels, a good scorer and a noisy (worse) scorer with some tied scores."""
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.3).astype(int)
    good = np.clip(0.3 + 0.45 * (y - 0.3) + rng.normal(0, 0.15, n), 0.001, 0.999).round(2)
    bad = np.clip(good + rng.normal(0, 0.35, n), 0.001, 0.999)
    return y, good, bad


# ------------------------------------------------------------------------------------- bootstrap


@pytest.mark.parametrize("metric", METRICS)
def test_weighted_metrics_match_the_metrics_module(metric: str) -> None:
    from include import metrics
    from include.evaluation import _Prepared, _weighted_metric

    y, p, _ = _synthetic(500)
    idx = np.random.default_rng(3).integers(0, y.size, y.size)
    w = np.bincount(idx, minlength=y.size).astype(float)[None, :]
    pos = w @ y
    got = _weighted_metric(_Prepared(metric, y.astype(float), p), w, pos, y.size - pos)[0]
    assert got == pytest.approx(metrics.score(metric, y[idx], p[idx]), abs=1e-9)


def test_bootstrap_identical_predictions_straddle_zero() -> None:
    from include.evaluation import paired_bootstrap

    y, p, _ = _synthetic()
    r = paired_bootstrap(y, p, p.copy(), "roc_auc", greater_is_better=True, samples=500, alpha=0.05)
    assert r["diff"] == 0.0
    assert r["ci_low"] <= 0.0 <= r["ci_high"]
    assert r["samples_used"] == 500


@pytest.mark.parametrize("metric", METRICS)
def test_bootstrap_clearly_better_model_has_positive_lower_bound(metric: str) -> None:
    from include.config import METRIC_DIRECTIONS
    from include.evaluation import paired_bootstrap

    y, good, bad = _synthetic()
    gib = METRIC_DIRECTIONS[metric] == "maximize"
    r = paired_bootstrap(y, good, bad, metric, greater_is_better=gib, samples=300, alpha=0.05)
    assert r["diff"] > 0 and r["ci_low"] > 0, r
    rev = paired_bootstrap(y, bad, good, metric, greater_is_better=gib, samples=300, alpha=0.05)
    assert rev["diff"] == pytest.approx(-r["diff"]) and rev["ci_high"] < 0


def test_bootstrap_minimised_metric_is_oriented() -> None:
    from include import metrics
    from include.evaluation import paired_bootstrap

    y, good, bad = _synthetic()
    r = paired_bootstrap(y, good, bad, "log_loss", greater_is_better=False, samples=200, alpha=0.05)
    expected = metrics.score("log_loss", y, bad) - metrics.score("log_loss", y, good)
    assert expected > 0
    assert r["diff"] == pytest.approx(expected)


def test_bootstrap_is_deterministic_and_skips_single_class_resamples() -> None:
    from include.evaluation import paired_bootstrap

    y = np.array([1] + [0] * 9)  # ~35% of resamples hold no positive
    p1 = np.linspace(0.1, 0.9, 10)
    p2 = p1[::-1].copy()
    a = paired_bootstrap(y, p1, p2, "roc_auc", greater_is_better=True, samples=400, alpha=0.1, seed=5)
    b = paired_bootstrap(y, p1, p2, "roc_auc", greater_is_better=True, samples=400, alpha=0.1, seed=5)
    assert a == b
    assert 0 < a["samples_used"] < 400


def test_bootstrap_rejects_bad_input() -> None:
    from include.evaluation import paired_bootstrap

    with pytest.raises(ValueError, match="both classes"):
        paired_bootstrap(
            [1, 1], [0.2, 0.3], [0.1, 0.4], "roc_auc", greater_is_better=True, samples=10, alpha=0.05
        )
    with pytest.raises(ValueError, match="unknown metric"):
        paired_bootstrap(
            [0, 1], [0.2, 0.3], [0.1, 0.4], "auc", greater_is_better=True, samples=10, alpha=0.05
        )


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
    from sklearn.base import clone

    from include import model_io, tracking
    from include.config import load_config

    mp = pytest.MonkeyPatch()
    home = tmp_path_factory.mktemp("eval") / "mlops"
    home.mkdir()
    mp.setenv("MLOPS_HOME", str(home))
    for var in ("MLFLOW_TRACKING_URI", "MLOPS_ARTIFACT_ROOT", "MLOPS_LOCK_URL", "MLFLOW_REGISTRY_URI"):
        mp.delenv(var, raising=False)
    try:
        cfg = load_config("breast_cancer")
        df = _bc_frame()
        train, _ = model_io.split_holdout(cfg, df)
        X, y = model_io.features_and_target(cfg, train)
        good = model_io.build_pipeline(cfg).fit(X, y)
        same = clone(good).fit(X, y)
        shuffled = clone(good).fit(X, np.random.default_rng(0).permutation(y))
        tracking.configure()
        tracking.ensure_experiment(cfg)
        for m in (good, same, shuffled):
            mlflow.sklearn.log_model(
                m,
                name="model",
                registered_model_name=cfg.registered_model_name,
                serialization_format="skops",
                skops_trusted_types=model_io.TRUSTED_TYPES,
                pip_requirements=["scikit-learn"],
            )
        yield {"cfg": cfg, "df": df, "home": home, "good": 1, "same": 2, "bad": 3}
    finally:
        mp.undo()


def _evaluate(reg: dict[str, Any], challenger: int, champion: int | None, **kw: Any) -> dict[str, Any]:
    from include.evaluation import evaluate_challenger

    return evaluate_challenger(
        kw.get("cfg", reg["cfg"]),
        kw.get("df", reg["df"]),
        snapshot_id="2026-11-02",
        challenger_version=challenger,
        champion_version=champion,
    )


def _version_tags(reg: dict[str, Any], version: int) -> dict[str, str]:
    from include import tracking

    return dict(tracking.client().get_model_version(reg["cfg"].name, str(version)).tags)


def test_first_model_meeting_the_floor_is_promoted_and_recorded(registry: dict[str, Any]) -> None:
    from include import tracking

    v = _evaluate(registry, registry["good"], None)
    assert set(v) >= VERDICT_KEYS
    assert json.loads(json.dumps(v, allow_nan=False)) == v
    assert v["decision"] == "promote"
    assert v["champion_version"] is None and v["champion_score"] is None and v["ci_low"] is None
    assert v["challenger_score"] >= v["floor"] == 0.9
    assert "floor 0.9000" in v["reasons"][0] and ">=" in v["reasons"][0]
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
    assert f"{v['challenger_score']:.4f} < floor 0.9000" in v["reasons"][0]
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
    assert v["decision"] == "reject" and "> floor 0.3000" in v["reasons"][0]


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
    assert "gain +0.0000 < min_abs_gain 0.002" in text
    assert "95% CI lower bound" in text and "<= 0: the gain may be luck" in text
    assert json.loads(json.dumps(v, allow_nan=False)) == v


def test_worse_challenger_is_rejected(registry: dict[str, Any]) -> None:
    v = _evaluate(registry, registry["bad"], registry["good"])
    assert v["decision"] == "reject"
    assert v["diff"] < 0 and v["ci_high"] < 0
    assert len(v["reasons"]) == 3 and all(("<" in r) for r in v["reasons"])
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
    from include.errors import EvaluationError

    with pytest.raises(EvaluationError, match=r"breast_cancer: cannot load champion v99"):
        _evaluate(registry, registry["good"], 99)


def test_single_class_holdout_raises(registry: dict[str, Any]) -> None:
    from include.errors import EvaluationError

    df = registry["df"]
    with pytest.raises(EvaluationError, match="single class"):
        _evaluate(registry, registry["good"], None, df=df[df["target"] == 1])


def test_report_html_escapes() -> None:
    from include.evaluation import render_report_html

    page = render_report_html(
        {
            "model": "m",
            "decision": "reject",
            "reasons": ["<script>alert(1)</script>"],
            "challenger_version": 1,
        }
    )
    assert "<script>" not in page and "&lt;script&gt;" in page
