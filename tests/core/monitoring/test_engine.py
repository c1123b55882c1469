"""Drift engine: verdicts on known shifts, agreement with Evidently, sampling, dirty data, JSON safety."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd
import pytest
from airflow_champion.monitoring.engine import compute_drift
from airflow_champion.monitoring.evidently_adapter import evidently_report, evidently_snapshot
from airflow_champion.monitoring.report import render_verdict_html
from airflow_champion.monitoring.statistics import jensenshannon_distance, wasserstein_normed

pytestmark = pytest.mark.unit

SHIFTED_NUMERIC = ["monthly_charges", "days_since_last_login", "support_tickets_90d"]
SHIFTED_CATEGORICAL = ["contract_type", "payment_method"]


def make_frame(
    cfg: Any, n: int, seed: int, *, numeric_shift: float = 0.0, categorical_shift: bool = False
) -> pd.DataFrame:
    """Churn-like data from the config's features; shifts only the SHIFTED_* columns."""
    rng = np.random.default_rng(seed)
    data: dict[str, Any] = {}
    for i, f in enumerate(cfg.data.features):
        if f.type == "numeric":
            if f.name == "num_products":
                values = rng.integers(1, 5, n).astype(float)
            else:
                values = rng.gamma(2.0 + i, 3.0, n)
            if f.name in SHIFTED_NUMERIC:
                values = values + numeric_shift * values.std()
            data[f.name] = values
        else:
            cats = f.allowed_values
            p = np.full(len(cats), 1.0 / len(cats))
            if categorical_shift and f.name in SHIFTED_CATEGORICAL:
                p = np.linspace(1.0, 6.0, len(cats))
                p /= p.sum()
            data[f.name] = rng.choice(cats, n, p=p)
    data[cfg.data.target] = rng.integers(0, 2, n)
    return pd.DataFrame(data)


def with_drift(cfg: Any, **changes: Any) -> Any:
    return cfg.model_copy(update={"drift": cfg.drift.model_copy(update=changes)})


def test_no_drift_is_not_drifted(churn_cfg: Any) -> None:
    v = compute_drift(churn_cfg, make_frame(churn_cfg, 5000, 1), make_frame(churn_cfg, 5000, 2))
    assert v["overall"]["drifted"] is False
    assert v["overall"]["n_drifted"] == 0
    assert v["overall"]["n_features"] == len(churn_cfg.data.features)
    assert v["engine"] and v["computed_at"]
    assert v["rows"] == {"reference": 5000, "current": 5000}
    assert v["sampled"]["reference"]["sampled"] is False


def test_strong_shift_flags_exactly_the_shifted_columns(churn_cfg: Any) -> None:
    ref = make_frame(churn_cfg, 5000, 1)
    cur = make_frame(churn_cfg, 5000, 2, numeric_shift=0.5, categorical_shift=True)
    v = compute_drift(churn_cfg, ref, cur)
    assert v["overall"]["drifted_features"] == sorted(SHIFTED_NUMERIC + SHIFTED_CATEGORICAL)
    assert v["overall"]["share_drifted"] == pytest.approx(5 / 13)
    assert v["overall"]["drifted"] is True
    for name in SHIFTED_NUMERIC:
        f = v["features"][name]
        assert f["method"] == "wasserstein" and f["statistic"] == pytest.approx(0.5, abs=0.06)
        assert f["effect_size"] == f["statistic"] and f["threshold"] == churn_cfg.drift.numeric_threshold


def test_share_rule_uses_config(churn_cfg: Any) -> None:
    ref = make_frame(churn_cfg, 5000, 1)
    cur = make_frame(churn_cfg, 5000, 2, numeric_shift=0.5)
    default = compute_drift(churn_cfg, ref, cur)  # churn.yaml: share_drifted_features 0.3
    assert default["overall"]["n_drifted"] == 3 and default["overall"]["drifted"] is False
    loose = compute_drift(with_drift(churn_cfg, share_drifted_features=0.2), ref, cur)
    assert loose["overall"]["drifted"] is True


def test_min_effect_size_vetoes_small_shifts(churn_cfg: Any) -> None:
    ref = make_frame(churn_cfg, 5000, 1)
    cur = make_frame(churn_cfg, 5000, 2, numeric_shift=0.5)
    v = compute_drift(with_drift(churn_cfg, share_drifted_features=0.2, min_effect_size=1.0), ref, cur)
    assert v["overall"]["n_drifted"] == 3
    assert v["overall"]["drifted"] is False
    assert "effect" in v["overall"]["reason"]


def test_categorical_only_shift_is_detected_on_categorical_columns(churn_cfg: Any) -> None:
    ref = make_frame(churn_cfg, 5000, 1)
    cur = make_frame(churn_cfg, 5000, 2, categorical_shift=True)
    v = compute_drift(with_drift(churn_cfg, share_drifted_features=0.15), ref, cur)
    assert sorted(v["overall"]["drifted_features"]) == sorted(SHIFTED_CATEGORICAL)
    assert all(v["features"][c]["method"] == "jensenshannon" for c in SHIFTED_CATEGORICAL)
    assert v["overall"]["drifted"] is True


def test_small_samples_use_tests_like_evidently(churn_cfg: Any) -> None:
    v = compute_drift(
        churn_cfg, make_frame(churn_cfg, 500, 1), make_frame(churn_cfg, 500, 2, numeric_shift=1.0)
    )
    methods = {k: f["method"] for k, f in v["features"].items()}
    assert methods["age"] == "ks"
    assert methods["num_products"] == "chisquare"  # 4 distinct values
    assert methods["has_autopay"] == "z"  # 2 categories
    assert methods["region"] == "chisquare"
    assert all(v["features"][c]["drifted"] for c in SHIFTED_NUMERIC)
    assert v["features"]["age"]["threshold"] == 0.05


def test_statistics_match_scipy() -> None:
    from scipy.spatial.distance import jensenshannon
    from scipy.stats import wasserstein_distance

    rng = np.random.default_rng(0)
    a, b = np.sort(rng.normal(size=1234)), np.sort(rng.normal(0.3, 1.5, size=777))
    assert wasserstein_normed(a, b) == pytest.approx(wasserstein_distance(a, b) / np.std(a), rel=1e-9)
    p, q = np.array([10.0, 0.0, 5.0, 1.0]), np.array([3.0, 4.0, 5.0, 0.0])
    assert jensenshannon_distance(p, q) == pytest.approx(float(jensenshannon(p, q)), rel=1e-9)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("n", "kwargs"),
    [
        (5000, {}),
        (5000, {"numeric_shift": 0.15}),
        (5000, {"categorical_shift": True}),
        (600, {"numeric_shift": 0.3, "categorical_shift": True}),
    ],
)
def test_agrees_with_evidently(churn_cfg: Any, n: int, kwargs: dict[str, Any]) -> None:
    ref, cur = make_frame(churn_cfg, n, 1), make_frame(churn_cfg, n, 2, **kwargs)
    ours = compute_drift(churn_cfg, ref, cur)
    _, ev = evidently_snapshot(ref, cur, max_rows=n, cfg=churn_cfg)
    assert set(ev["columns"]) == set(churn_cfg.data.feature_names)
    agree = [ours["features"][c]["drifted"] == e["drifted"] for c, e in ev["columns"].items()]
    assert sum(agree) / len(agree) >= 0.9
    assert ours["overall"]["drifted"] == ev["drifted"]
    for c, e in ev["columns"].items():
        assert ours["features"][c]["method"] == e["method"]
        assert ours["features"][c]["statistic"] == pytest.approx(e["statistic"], rel=1e-6, abs=1e-12)


def test_sampling_above_max_rows_is_deterministic_and_reported(churn_cfg: Any) -> None:
    cfg = with_drift(churn_cfg, max_rows=1000)
    ref, cur = make_frame(churn_cfg, 4000, 1), make_frame(churn_cfg, 2500, 2, numeric_shift=0.5)
    a = compute_drift(cfg, ref, cur)
    b = compute_drift(cfg, ref, cur)
    assert a["features"] == b["features"]
    assert a["rows"] == {"reference": 4000, "current": 2500}
    assert a["sampled"]["max_rows"] == 1000
    assert a["sampled"]["reference"] == {"rows": 4000, "used": 1000, "sampled": True}
    assert a["sampled"]["current"] == {"rows": 2500, "used": 1000, "sampled": True}
    assert all(f["n_ref"] == 1000 for f in a["features"].values())
    c = compute_drift(cfg, ref, cur, seed=7)
    assert c["sampled"]["seed"] == 7 and c["features"] != a["features"]


def test_dirty_columns_do_not_crash_and_are_reported(churn_cfg: Any) -> None:
    ref, cur = make_frame(churn_cfg, 3000, 1), make_frame(churn_cfg, 3000, 2)
    ref.loc[::10, "age"] = np.nan
    cur.loc[::5, "age"] = np.inf
    cur.loc[1::5, "age"] = -np.inf
    cur["tenure_months"] = np.nan  # all null in current
    ref["region"] = None  # all null in reference
    cur["payment_method"] = cur["payment_method"].astype("category")
    cur = cur.drop(columns=["plan_tier"])
    v = compute_drift(churn_cfg, ref, cur)
    json.dumps(v, allow_nan=False)

    age = v["features"]["age"]
    assert age["status"] == "ok"
    assert age["null_share_ref"] == pytest.approx(0.1)
    assert age["inf_share_cur"] == pytest.approx(0.4)
    assert age["n_cur"] == 1800

    assert v["features"]["tenure_months"]["status"] == "empty"
    assert v["features"]["tenure_months"]["null_share_cur"] == 1.0
    assert v["features"]["region"]["status"] == "empty"
    assert v["features"]["plan_tier"]["status"] == "missing"
    assert v["features"]["payment_method"]["status"] == "ok"
    assert v["features"]["payment_method"]["drifted"] is False
    assert v["overall"]["untestable_features"] == ["plan_tier", "region", "tenure_months"]
    assert v["overall"]["n_features"] == len(churn_cfg.data.features) - 3


@pytest.mark.slow
def test_evidently_report_on_dirty_data_is_bounded_and_skips_empty(churn_cfg: Any) -> None:
    ref, cur = make_frame(churn_cfg, 3000, 1), make_frame(churn_cfg, 3000, 2, numeric_shift=0.5)
    cur["tenure_months"] = np.nan
    cur.loc[::7, "age"] = np.inf
    html, summary = evidently_report(ref, cur, max_rows=400, cfg=churn_cfg)
    assert "<html" in html.lower()
    assert summary["sampled"]["reference"] == {"rows": 3000, "used": 400, "sampled": True}
    assert "tenure_months" in summary["skipped"]
    assert "tenure_months" not in summary["columns"] and "age" in summary["columns"]
    assert 0.0 <= summary["share"] <= 1.0
    assert summary["columns"]["age"]["method"] == "ks"  # 400 rows: Evidently's small-sample test
    json.dumps(summary, allow_nan=False)


def test_prediction_drift_from_scores(churn_cfg: Any) -> None:
    ref = make_frame(churn_cfg, 3000, 1)
    cur = make_frame(churn_cfg, 3000, 2)
    rng = np.random.default_rng(3)
    ref_scores = rng.beta(2, 5, 3000)
    same = compute_drift(
        churn_cfg, ref, cur, reference_scores=ref_scores, current_scores=rng.beta(2, 5, 3000)
    )
    shifted = rng.beta(4, 3, 3000)
    moved = compute_drift(churn_cfg, ref, cur, reference_scores=ref_scores, current_scores=shifted)
    assert same["prediction_drift"]["method"] == "wasserstein"
    assert same["prediction_drift"]["drifted"] is False
    assert moved["prediction_drift"]["drifted"] is True
    assert moved["prediction_drift"]["n_cur"] == 3000
    assert moved["overall"]["drifted"] is False  # scores do not change the input verdict
    assert compute_drift(churn_cfg, ref, cur)["prediction_drift"] is None


def test_target_drift_reported_when_labels_present(churn_cfg: Any) -> None:
    ref = make_frame(churn_cfg, 3000, 1)
    cur = make_frame(churn_cfg, 3000, 2)
    cur[churn_cfg.data.target] = (np.random.default_rng(5).random(3000) < 0.1).astype(int)
    v = compute_drift(churn_cfg, ref, cur)
    assert v["target_drift"]["drifted"] is True
    assert v["overall"]["drifted"] is False


def test_verdict_is_json_safe(churn_cfg: Any) -> None:
    ref = make_frame(churn_cfg, 2000, 1)
    cur = make_frame(churn_cfg, 2000, 2, numeric_shift=0.4, categorical_shift=True)
    cur["age"] = np.inf
    v = compute_drift(churn_cfg, ref, cur, reference_scores=np.zeros(2000), current_scores=np.ones(2000))
    text = json.dumps(v, allow_nan=False)
    assert json.loads(text) == v


def test_render_verdict_html_escapes() -> None:
    verdict = {
        "model": "<b>m</b>",
        "overall": {"drifted": True, "reason": "x < y & z"},
        "features": {"<script>alert(1)</script>": {"type": "numeric", "status": "ok", "drifted": True}},
        "sampled": {"reference": {"rows": 10, "used": 5, "sampled": True}},
    }
    out = render_verdict_html(verdict)
    assert "<script>" not in out and "&lt;script&gt;" in out
    assert "x &lt; y &amp; z" in out and "DRIFT" in out and "reference 5 of 10 rows" in out


def test_multiclass_prediction_drift_compares_each_class_probability() -> None:
    from airflow_champion.config import load_config
    from airflow_champion_demo.datagen import generate

    cfg = load_config("wine")
    ref, cur = generate("wine", 3000, 1), generate("wine", 3000, 2)
    rng = np.random.default_rng(0)
    same = rng.dirichlet([4, 3, 2], 3000)
    moved = rng.dirichlet([1, 3, 6], 3000)  # mass moves from class 0 to class 2
    v = compute_drift(cfg, ref, cur, reference_scores=same, current_scores=moved)
    pd_ = v["prediction_drift"]
    assert set(pd_["columns"]) == {"p(0)", "p(1)", "p(2)"}
    assert pd_["drifted"] is True and set(pd_["drifted_columns"]) >= {"p(0)", "p(2)"}
    assert (
        compute_drift(cfg, ref, cur, reference_scores=same, current_scores=rng.dirichlet([4, 3, 2], 3000))[
            "prediction_drift"
        ]["drifted"]
        is False
    )
    assert v["target_drift"]["type"] == "categorical"


def test_regression_target_drift_is_numeric() -> None:
    from airflow_champion.config import load_config
    from airflow_champion_demo.datagen import generate

    cfg = load_config("diabetes")
    ref, cur = generate("diabetes", 3000, 1), generate("diabetes", 3000, 2)
    assert compute_drift(cfg, ref, cur)["target_drift"]["drifted"] is False
    shifted = cur.assign(target=cur["target"] * 1.5)
    td = compute_drift(cfg, ref, shifted)["target_drift"]
    assert td["type"] == "numeric" and td["method"] == "wasserstein" and td["drifted"] is True
