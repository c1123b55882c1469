"""High-cardinality and rare categories: our verdict is Evidently's on the same rows; on other rows
the difference is sampling, and the summaries say so."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd
import pytest
from airflow_champion.monitoring.engine import compute_drift
from airflow_champion.monitoring.evidently_adapter import (
    compare_with_verdict,
    evidently_snapshot,
    parse_evidently_snapshot,
)
from airflow_champion.monitoring.sampling import js_noise_floor
from airflow_champion.monitoring.statistics import categorical_drift, category_labels

pytestmark = [pytest.mark.unit]

K = 120  # categories; the last 5 occur only in current
KNOWN = 20  # categories of `known`, all frequent enough to occur in 700 rows


def shares(shift: float, *, with_new: bool) -> np.ndarray:
    """Zipf-like shares (smallest ~0.1%), optionally moved by `shift` and with the current-only tail."""
    ranks = np.arange(1, K + 1)
    p = (1.0 / ranks**1.1) * np.exp(shift * np.sin(ranks))
    if not with_new:
        p[-5:] = 0.0
    return p / p.sum()


def pair(n: int, shift: float, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per side: `name` (strings, rare + current-only categories), `code` (the same as ints; the
    reference's nulls make it float), `known` (20 categories, none new in current) and `known_code`."""
    rng = np.random.default_rng(seed)
    ri = rng.choice(K, n, p=shares(0.0, with_new=False))
    ci = rng.choice(K, n, p=shares(shift, with_new=True))
    top = shares(0.0, with_new=False)[:KNOWN]
    kr = rng.choice(KNOWN, n, p=top / top.sum())
    moved = shares(shift, with_new=False)[:KNOWN]
    kc = rng.choice(KNOWN, n, p=moved / moved.sum())
    names = np.array([f"c{i:03d}" for i in range(K)], dtype=object)
    ref = pd.DataFrame({"name": names[ri], "code": ri * 1.0, "known": names[kr], "known_code": kr * 1.0})
    cur = pd.DataFrame({"name": names[ci], "code": ci, "known": names[kc], "known_code": kc})
    ref.loc[rng.random(n) < 0.03, list(ref.columns)] = np.nan
    return ref, cur


def evidently_raw(ref: pd.DataFrame, cur: pd.DataFrame) -> dict[str, Any]:
    """Evidently's DataDriftPreset on the raw rows (no cleaning of ours), every column categorical."""
    from evidently import DataDefinition, Dataset, Report
    from evidently.presets import DataDriftPreset

    d = DataDefinition(numerical_columns=[], categorical_columns=list(ref.columns))
    snap = Report([DataDriftPreset()], include_tests=True).run(
        Dataset.from_pandas(cur, data_definition=d), Dataset.from_pandas(ref, data_definition=d)
    )
    return parse_evidently_snapshot(json.loads(snap.json()))["columns"]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("n", "shift", "method"),
    [
        (3000, 0.0, "jensenshannon"),
        (3000, 0.3, "jensenshannon"),
        (700, 0.0, "chisquare"),
        (700, 0.4, "chisquare"),
    ],
)
def test_same_rows_same_verdict_as_evidently(n: int, shift: float, method: str) -> None:
    ref, cur = pair(n, shift, seed=n + int(10 * shift))
    ev = evidently_raw(ref, cur)
    for col in ref.columns:
        ours = categorical_drift(ref[col], cur[col])
        assert ours["method"] == ev[col]["method"] == method, col
        assert ours["statistic"] == pytest.approx(ev[col]["statistic"], rel=1e-6, abs=1e-12), col
        assert ours["drifted"] == ev[col]["drifted"], col
    assert categorical_drift(ref["code"], cur["code"])["statistic"] == pytest.approx(
        categorical_drift(ref["name"], cur["name"])["statistic"], rel=1e-12
    )  # ints against floats-with-nulls are the same categories (the old str() cast made them all new)
    assert ev["known_code"]["statistic"] == pytest.approx(ev["known"]["statistic"], rel=1e-12)
    assert ev["known"]["statistic"] > 0.0  # a chi-square p that is not the trivial 0 of a new category


def test_categories_are_compared_by_value_not_dtype() -> None:
    ints = pd.Series([1, 2, 3, 3, 10] * 300)
    floats = pd.Series([1.0, 2.0, 3.0, 3.0, 10.0, np.nan] * 300)
    assert categorical_drift(floats, ints)["statistic"] == 0.0  # was 0.83 ("1.0" vs "1")
    assert categorical_drift(ints, pd.Series(pd.Categorical(ints)))["statistic"] == 0.0
    bools = categorical_drift(pd.Series([True, False] * 600), pd.Series([1, 0] * 600))
    assert bools["statistic"] == 0.0 and bools["n_categories"] == 2  # True == 1, as Evidently counts
    r, c = category_labels(pd.Series([True, None, False]), pd.Series([False, True, True]))
    assert r.tolist() == ["True", None, "False"] and c.tolist() == ["False", "True", "True"]
    r, c = category_labels(pd.Series([1.5, np.inf, 2.0, -np.inf]), pd.Series(["a", 2, None, np.int64(7)]))
    assert r.tolist() == ["1.5", None, "2", None] and c.tolist() == ["a", "2", None, "7"]
    inf = categorical_drift(pd.Series([1.0, 2.0, np.inf, np.nan] * 600), pd.Series([1, 2] * 600))
    assert inf["n_ref"] == 1200 and inf["null_share_ref"] == 0.5 and inf["statistic"] == 0.0  # +-inf dropped


def test_noise_floor_matches_sampling_and_is_reported() -> None:
    rng = np.random.default_rng(3)
    p = shares(0.0, with_new=True)
    for n in (5000, 50_000):
        from airflow_champion.monitoring.statistics import jensenshannon_distance

        js = [
            jensenshannon_distance(rng.multinomial(n, p) * 1.0, rng.multinomial(n, p) * 1.0)
            for _ in range(20)
        ]
        assert np.mean(js) == pytest.approx(js_noise_floor(K, n, n), rel=0.06)
    ref, cur = pair(5000, 0.0, seed=1)
    res = categorical_drift(ref["known"], cur["known"])
    assert res["noise_floor"] == pytest.approx(js_noise_floor(KNOWN, res["n_ref"], res["n_cur"]))
    assert res["statistic"] < 1.2 * res["noise_floor"]  # no shift: the distance is the sampling floor


@pytest.mark.slow
def test_report_on_fewer_rows_is_told_apart_from_the_verdict() -> None:
    """The verdict on all rows and Evidently on a 2,000-row sample: on 120 categories the sample's
    floor (~0.12) alone crosses 0.1, so they disagree; on the verdict's own rows they agree."""
    rng, names = np.random.default_rng(5), np.array([f"c{i:03d}" for i in range(K)], dtype=object)
    ref, cur = (
        pd.DataFrame({"known": names[rng.choice(K, 20_000, p=shares(0.0, with_new=True))]}) for _ in "rc"
    )
    drift = {"features": {"known": categorical_drift(ref["known"], cur["known"])}}
    drift["sampled"] = {
        "max_rows": 200_000,
        "seed": 0,
        "reference": {"rows": 20_000, "used": 20_000, "sampled": False},
        "current": {"rows": 20_000, "used": 20_000, "sampled": False},
    }
    _, small = evidently_snapshot(ref, cur, max_rows=2000)
    cmp = compare_with_verdict(small, drift)
    assert cmp["same_rows"] is False and cmp["disagree"] == ["known"]
    ev = cmp["columns"]["known"]["evidently"]
    assert ev["n_ref"] == 2000 and ev["statistic"] >= 0.1 > drift["features"]["known"]["statistic"]
    assert ev["statistic"] < 1.2 * ev["noise_floor"]  # the report's "drift" is its sample's noise
    _, full = evidently_snapshot(ref, cur, max_rows=200_000)
    cmp = compare_with_verdict(full, drift)
    assert cmp["same_rows"] is True and cmp["n_agree"] == cmp["n_columns"] == 1
    stat = cmp["columns"]["known"]
    assert stat["ours"]["statistic"] == pytest.approx(stat["evidently"]["statistic"], rel=1e-9)


@pytest.mark.slow
def test_p_value_columns_keep_their_threshold_when_nulls_leave_few_rows(churn_cfg: Any) -> None:
    """1,500 sampled rows but 800 non-null in `region`: Evidently tests it with chi-square, whose cut
    must stay 0.05 (as ours), not the config's distance threshold."""
    from tests.core.monitoring.test_engine import make_frame, with_drift

    cfg = with_drift(churn_cfg, categorical_threshold=0.3, numeric_threshold=0.3)
    ref, cur = make_frame(cfg, 1500, 1), make_frame(cfg, 1500, 2)
    ref.loc[:699, ["region", "age"]] = np.nan
    _, ev = evidently_snapshot(ref, cur, max_rows=5000, cfg=cfg)
    ours = compute_drift(cfg, ref, cur)["features"]
    for col in ("region", "age"):
        assert ev["columns"][col]["method"] == ours[col]["method"] in {"chisquare", "ks"}
        assert ev["columns"][col]["threshold"] == 0.05 == ours[col]["threshold"]
    assert ev["columns"]["plan_tier"]["threshold"] == 0.3  # > 1000 rows: a distance, the config's cut
    for col, e in ev["columns"].items():
        assert ours[col]["drifted"] == e["drifted"], col
