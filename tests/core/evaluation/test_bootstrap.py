"""The paired bootstrap: oriented, deterministic, skips undefined resamples, and its CI separates a
clearly better model from a worse one for every metric in the registry."""

from __future__ import annotations

import numpy as np
import pytest
from airflow_champion.evaluation.bootstrap import paired_bootstrap
from airflow_champion.tasks import REGISTRY, get_metric

pytestmark = pytest.mark.unit

BINARY = sorted(REGISTRY["binary"])


def _synthetic(n: int = 2000, seed: int = 1) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Labels, a good scorer and a noisy (worse) scorer with some tied scores."""
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.3).astype(int)
    good = np.clip(0.3 + 0.45 * (y - 0.3) + rng.normal(0, 0.15, n), 0.001, 0.999).round(2)
    bad = np.clip(good + rng.normal(0, 0.35, n), 0.001, 0.999)
    return y, good, bad


def test_identical_predictions_straddle_zero() -> None:
    y, p, _ = _synthetic()
    r = paired_bootstrap(get_metric("binary", "roc_auc"), y, p, p.copy(), samples=500, alpha=0.05)
    assert r["diff"] == 0.0
    assert r["ci_low"] <= 0.0 <= r["ci_high"]
    assert r["samples_used"] == 500


@pytest.mark.parametrize("name", BINARY)
def test_clearly_better_model_has_positive_lower_bound(name: str) -> None:
    metric = get_metric("binary", name)
    y, good, bad = _synthetic()
    r = paired_bootstrap(metric, y, good, bad, samples=300, alpha=0.05)
    assert r["diff"] > 0 and r["ci_low"] > 0, r
    rev = paired_bootstrap(metric, y, bad, good, samples=300, alpha=0.05)
    assert rev["diff"] == pytest.approx(-r["diff"]) and rev["ci_high"] < 0


def test_minimised_metric_is_oriented() -> None:
    metric = get_metric("binary", "log_loss")
    y, good, bad = _synthetic()
    r = paired_bootstrap(metric, y, good, bad, samples=200, alpha=0.05)
    expected = metric.score(y, bad) - metric.score(y, good)
    assert expected > 0
    assert r["diff"] == pytest.approx(expected)


def test_deterministic_and_skips_single_class_resamples() -> None:
    metric = get_metric("binary", "roc_auc")
    y = np.array([1] + [0] * 9)  # ~35% of resamples hold no positive
    p1 = np.linspace(0.1, 0.9, 10)
    p2 = p1[::-1].copy()
    a = paired_bootstrap(metric, y, p1, p2, samples=400, alpha=0.1, seed=5)
    b = paired_bootstrap(metric, y, p1, p2, samples=400, alpha=0.1, seed=5)
    assert a == b
    assert 0 < a["samples_used"] < 400


def test_rejects_bad_input() -> None:
    metric = get_metric("binary", "roc_auc")
    with pytest.raises(ValueError, match="undefined"):
        paired_bootstrap(metric, [1, 1], [0.2, 0.3], [0.1, 0.4], samples=10, alpha=0.05)
    with pytest.raises(ValueError, match="rows"):
        paired_bootstrap(metric, [0, 1], [0.2, 0.3, 0.5], [0.1, 0.4], samples=10, alpha=0.05)
    with pytest.raises(ValueError, match="alpha"):
        paired_bootstrap(metric, [0, 1], [0.2, 0.3], [0.1, 0.4], samples=10, alpha=1.5)


# ------------------------------------------------------------------- the fast path and the shared pass


def test_roc_auc_from_drawn_rows_is_the_count_statistic_to_the_last_bit() -> None:
    """The row bootstrap computes ROC AUC from the drawn row numbers (a bincount per resample); it must
    be the very number the count-matrix statistic gives, ties and one-class resamples included."""
    from airflow_champion.evaluation.bootstrap import counts_of

    y, good, _ = _synthetic(300)  # scores rounded to 2 decimals: many ties
    stat = get_metric("binary", "roc_auc").weighted(y.astype(float), good)
    idx = np.random.default_rng(0).integers(0, len(y), size=(40, len(y)))
    idx[0] = np.flatnonzero(y == 1)[0]  # one resample of a single positive row: undefined
    fast = stat.of_draws(idx)  # type: ignore[attr-defined]
    slow = stat(counts_of(idx, len(y)))
    assert np.isnan(fast[0]) and np.isfinite(fast[1:]).all()
    assert np.array_equal(fast, slow, equal_nan=True)


def test_extra_statistics_are_computed_on_the_gates_own_resamples() -> None:
    """Calibration's statistics ride along the promotion gate's pass: the same numbers as the gate alone
    and as calibration's own bootstrap with the same seed (rows and clusters)."""
    from airflow_champion.evaluation.bootstrap import paired_bootstrap_with
    from airflow_champion.evaluation.calibration import paired_increases, weighted_ece

    metric = get_metric("binary", "roc_auc")
    y, good, bad = _synthetic(1500)
    clusters = np.random.default_rng(3).integers(0, 60, len(y))
    for cl in (None, clusters):
        extra = {"ece": (weighted_ece(y, good, 10), weighted_ece(y, bad, 10))}
        kw: dict = {"samples": 700, "alpha": 0.05, "seed": 9, "clusters": cl}
        boot, draws = paired_bootstrap_with(metric, y, good, bad, extra=extra, **kw)
        assert boot == paired_bootstrap(metric, y, good, bad, **kw)
        alone = paired_increases(extra, len(y), samples=700, seed=9, clusters=cl)
        assert draws.keys() == {"ece"} and np.array_equal(draws["ece"], alone["ece"])
