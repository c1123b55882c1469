"""The slice gate: a regression on one slice is caught even when the overall gain hides it, equal models
raise no alarm however many slices, Holm counts every slice of every column, and the slices themselves
(values, bins, "(missing)", min_rows, max_slices, clusters) are what the config says."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import pytest
from airflow_champion.errors import EvaluationError
from airflow_champion.evaluation import slices
from airflow_champion.evaluation.bootstrap import paired_bootstrap
from airflow_champion.evaluation.slices import MISSING, holm, slice_gate, slice_masks
from airflow_champion.tasks import get_metric

pytestmark = pytest.mark.unit

AUC = get_metric("binary", "roc_auc")


@pytest.fixture(scope="module")
def base_cfg() -> Any:
    from airflow_champion.config import load_config

    return load_config("churn")


def _cfg(base: Any, *, samples: int = 300, **slice_spec: Any) -> Any:
    """`base` with these slices (validated as a SliceSpec; model_copy skips the check that the slice
    columns are the config's features, as these tests bring their own columns)."""
    from airflow_champion.config.gate_sections import SliceSpec

    promotion = base.promotion.model_copy(
        update={"bootstrap_samples": samples, "slices": SliceSpec.model_validate(slice_spec)}
    )
    return base.model_copy(update={"promotion": promotion})


def _hidden_regression(seed: int = 0) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, np.ndarray]:
    """A challenger better on "pro" and "team" (less noise) but pure noise on "basic"."""
    rng = np.random.default_rng(seed)
    plan = np.array(["basic"] * 600 + ["pro"] * 1200 + ["team"] * 1200)
    n = plan.size
    y = (rng.random(n) < 0.3).astype(int)
    champion = y + rng.normal(0, 1.0, n)
    challenger = y + rng.normal(0, 0.6, n)
    basic = plan == "basic"
    challenger[basic] = rng.normal(0.3, 0.8, basic.sum())
    return pd.DataFrame({"plan": plan}), y, challenger, champion


# ------------------------------------------------------------------------------------------ holm


def test_holm_matches_hand_computed_values() -> None:
    # sorted 0.01, 0.03, 0.04 -> 3 x 0.01, max(0.03, 2 x 0.03), max(0.06, 1 x 0.04), back in input order
    assert holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])
    assert holm([0.5, 0.9]) == pytest.approx([1.0, 1.0])  # 2 x 0.5, capped at 1
    assert holm([]) == []


def test_holm_is_monotone_and_passes_nan_through() -> None:
    out = holm([0.02, float("nan"), 0.01, 0.04])
    assert math.isnan(out[1])
    assert [out[2], out[0], out[3]] == pytest.approx([0.03, 0.04, 0.04])  # m = 3, NaN not counted
    rng = np.random.default_rng(3)
    p = list(rng.random(30) ** 3)
    adj = holm(p)
    order = np.argsort(p)
    assert np.all(np.diff(np.asarray(adj)[order]) >= 0)
    assert all(a >= q and a <= 1 for a, q in zip(adj, p, strict=True))


# --------------------------------------------------------------------------- bootstrap p-value


def test_bootstrap_p_value_small_when_worse_than_the_margin_large_when_equal() -> None:
    rows, y, good, champion = _hidden_regression()
    basic = rows["plan"].to_numpy() == "basic"
    worse = paired_bootstrap(AUC, y[basic], good[basic], champion[basic], samples=300, alpha=0.05, null=-0.01)
    assert worse["p_value"] == pytest.approx(1 / 301)  # no resample anywhere near -0.01
    equal = paired_bootstrap(AUC, y, champion, champion.copy(), samples=300, alpha=0.05, null=-0.01)
    assert equal["p_value"] == 1.0
    assert "p_value" not in paired_bootstrap(AUC, y, good, champion, samples=50, alpha=0.05)


# ---------------------------------------------------------------------------------- the gate


def test_regression_on_one_slice_is_caught_though_the_overall_gain_hides_it(base_cfg: Any) -> None:
    rows, y, challenger, champion = _hidden_regression()
    cfg = _cfg(base_cfg, by=[{"column": "plan"}], min_rows=100)
    overall = paired_bootstrap(AUC, y, challenger, champion, samples=300, alpha=0.05)
    assert overall["diff"] > 0 and overall["ci_low"] > 0  # the overall gate would promote

    out = slice_gate(cfg, AUC, rows, y, challenger, champion, None, seed=1)
    status = {e["slice"]: e["status"] for e in out["slices"]}
    assert status == {"basic": "worse", "pro": "ok", "team": "ok"}
    assert out["worse"] == ["plan=basic"] and out["tested"] == 3 and out["enabled"] is True
    (blocker,) = out["blockers"]
    assert blocker.startswith("slice plan=basic (600 rows): roc_auc challenger 0.")
    assert "worse than the margin -0.01 (Holm p 0.01 <= 0.05)" in blocker  # 3 x 1/301
    basic = next(e for e in out["slices"] if e["slice"] == "basic")
    assert basic["diff"] < -0.1 and basic["ci_high"] < -0.01
    import json

    json.dumps(out, allow_nan=False)  # JSON-safe as it is


@pytest.mark.parametrize("same_model", [True, False], ids=["identical", "equally-good"])
def test_equal_models_raise_no_alarm_over_twenty_slices(base_cfg: Any, same_model: bool) -> None:
    rng = np.random.default_rng(7)
    n = 4000
    y = (rng.random(n) < 0.4).astype(int)
    champion = y + rng.normal(0, 0.8, n)
    challenger = champion.copy() if same_model else y + rng.normal(0, 0.8, n)
    rows = pd.DataFrame({"segment": rng.integers(0, 20, n).astype(str)})
    cfg = _cfg(base_cfg, by=[{"column": "segment"}], min_rows=50)
    out = slice_gate(cfg, AUC, rows, y, challenger, champion, None, seed=3)
    assert out["tested"] == 20
    assert out["worse"] == [] and out["blockers"] == []
    assert all(e["status"] == "ok" for e in out["slices"])


def test_holm_family_spans_every_column(base_cfg: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The bootstrap is faked so that each slice's p-value is known: by slice size."""
    p_by_size = {300: 0.01, 200: 0.5, 120: 0.5, 110: 0.5, 100: 0.5, 90: 0.5}

    def fake(metric: Any, y: Any, a: Any, b: Any, **kw: Any) -> dict[str, Any]:
        return {"diff": -0.02, "ci_low": -0.04, "ci_high": -0.015, "p_value": p_by_size[len(y)]}

    monkeypatch.setattr(slices, "paired_bootstrap", fake)
    rng = np.random.default_rng(0)
    n = 500
    y = np.arange(n) % 2
    p = rng.random(n)
    rows = pd.DataFrame(
        {
            "plan": ["basic"] * 300 + ["pro"] * 200,
            "region": ["a"] * 120 + ["b"] * 110 + ["c"] * 100 + ["d"] * 90 + ["e"] * 80,
        }
    )
    alone = slice_gate(_cfg(base_cfg, by=[{"column": "plan"}], min_rows=85), AUC, rows, y, p, p, None, seed=0)
    assert alone["worse"] == ["plan=basic"]  # Holm over 2: 2 x 0.01 = 0.02 <= 0.05

    both = slice_gate(
        _cfg(base_cfg, by=[{"column": "plan"}, {"column": "region"}], min_rows=85),
        AUC,
        rows,
        y,
        p,
        p,
        None,
        seed=0,
    )
    assert both["tested"] == 6  # region=e (80 rows) is below min_rows and not in the family
    basic = next(e for e in both["slices"] if e["slice"] == "basic")
    assert basic["p_value"] == 0.01 and basic["p_holm"] == pytest.approx(0.06)  # would flag unadjusted
    assert basic["status"] == "ok" and both["worse"] == [] and both["blockers"] == []


def test_no_slices_configured_does_no_work(base_cfg: Any) -> None:
    rows, y, challenger, champion = _hidden_regression()
    out = slice_gate(base_cfg, AUC, rows, y, challenger, champion, None, seed=0)
    assert out["enabled"] is False and out["tested"] == 0
    assert out["slices"] == out["skipped"] == out["worse"] == out["blockers"] == []


def test_single_class_slice_is_undefined_not_tested(base_cfg: Any) -> None:
    rows, y, challenger, champion = _hidden_regression()
    rows = rows.assign(flag=np.where(y == 1, "yes", "no"))  # every slice holds a single class
    out = slice_gate(
        _cfg(base_cfg, by=[{"column": "flag"}], min_rows=100),
        AUC,
        rows,
        y,
        challenger,
        champion,
        None,
        seed=0,
    )
    assert {e["status"] for e in out["slices"]} == {"undefined"} and out["tested"] == 0
    assert out["blockers"] == []


# ------------------------------------------------------------------------------ the slices


def test_numeric_bins_labels_and_missing() -> None:
    from airflow_champion.config.gate_sections import SliceBy

    tenure = pd.Series([0, 5.9, 6, 23, 24, 60, None, np.nan])
    found, skipped = slice_masks(
        [SliceBy(column="tenure", bins=[6, 24])], pd.DataFrame({"tenure": tenure}), 50
    )
    assert skipped == []
    got = {s.label: s.mask.nonzero()[0].tolist() for s in found}
    assert got == {"< 6": [0, 1], "[6, 24)": [2, 3], ">= 24": [4, 5], MISSING: [6, 7]}


def test_categorical_missing_small_slice_skipped_and_max_slices(base_cfg: Any) -> None:
    rng = np.random.default_rng(5)
    n = 1000
    plan = np.array(
        ["a"] * 400 + ["b"] * 300 + ["c"] * 150 + ["d"] * 100 + [None] * 30 + ["e"] * 20, dtype=object
    )
    y = (rng.random(n) < 0.5).astype(int)
    p = y + rng.normal(0, 1, n)
    rows = pd.DataFrame({"plan": plan})

    found, _ = slice_masks(_cfg(base_cfg, by=[{"column": "plan"}]).promotion.slices.by, rows, 50)
    assert [(s.label, s.rows) for s in found] == [
        ("a", 400),
        ("b", 300),
        ("c", 150),
        ("d", 100),
        (MISSING, 30),
        ("e", 20),
    ]

    cfg = _cfg(base_cfg, by=[{"column": "plan"}], min_rows=25, max_slices=5)
    out = slice_gate(cfg, AUC, rows, y, p, p, None, seed=0)
    assert [e["slice"] for e in out["slices"]] == ["a", "b", "c", "d", MISSING]
    assert out["skipped"] == [{"column": "plan", "slice": "e", "rows": 20, "reason": "beyond max_slices"}]

    cfg = _cfg(base_cfg, by=[{"column": "plan"}], min_rows=120, max_slices=4)
    out = slice_gate(cfg, AUC, rows, y, p, p, None, seed=0)
    assert out["tested"] == 3
    assert sorted((s["slice"], s["rows"], s["reason"]) for s in out["skipped"]) == [
        (MISSING, 30, "beyond max_slices"),
        ("d", 100, "n < min_rows"),
        ("e", 20, "beyond max_slices"),
    ]


def test_missing_slice_column_is_named(base_cfg: Any) -> None:
    rows = pd.DataFrame({f"feature_{i}": [1, 2] for i in range(30)})
    cfg = _cfg(base_cfg, by=[{"column": "plan"}])
    with pytest.raises(EvaluationError, match=r"'plan'.*feature_0, feature_1.*\(\+10 more\)"):
        slice_gate(cfg, AUC, rows, np.array([0, 1]), np.array([0.1, 0.9]), np.array([0.2, 0.8]), None, seed=0)


def test_clusters_are_recoded_per_slice(base_cfg: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    rows, y, challenger, champion = _hidden_regression()
    # day codes of the whole holdout, sparse in each slice: "team" holds codes 1800..2999 // 10
    clusters = np.arange(y.size) // 10
    seen: list[np.ndarray] = []

    def spy(*args: Any, **kw: Any) -> dict[str, Any]:
        seen.append(kw["clusters"])
        return paired_bootstrap(*args, **kw)

    monkeypatch.setattr(slices, "paired_bootstrap", spy)
    cfg = _cfg(base_cfg, by=[{"column": "plan"}], min_rows=100)
    out = slice_gate(cfg, AUC, rows, y, challenger, champion, clusters, seed=2)
    assert [c.max() + 1 for c in seen] == [120, 120, 60]  # pro, team (1200 rows), basic (600)
    assert all(np.array_equal(np.unique(c), np.arange(c.max() + 1)) for c in seen)
    assert out["worse"] == ["plan=basic"]

    team = rows["plan"].to_numpy() == "team"
    direct = paired_bootstrap(
        AUC,
        y[team],
        challenger[team],
        champion[team],
        samples=300,
        alpha=0.05,
        seed=2,
        clusters=np.arange(team.sum()) // 10,
        null=-0.01,
    )
    entry = next(e for e in out["slices"] if e["slice"] == "team")
    assert (entry["ci_low"], entry["ci_high"], entry["p_value"]) == (
        direct["ci_low"],
        direct["ci_high"],
        direct["p_value"],
    )
