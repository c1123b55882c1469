"""The calibration gate: the ECE and Brier score (hand-computed), their bootstrap statistics, and the
rule (an increase beyond its limit *and* beyond noise rejects; `max_ece` is absolute)."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
from airflow_champion.config import load_config
from airflow_champion.evaluation.bootstrap import resample_counts
from airflow_champion.evaluation.calibration import (
    brier_score,
    calibration_gate,
    expected_calibration_error,
    paired_increases,
    weighted_ece,
)
from airflow_champion.reports.numbers import fmt, signed
from airflow_champion.tasks import get_metric

pytestmark = pytest.mark.unit

# ------------------------------------------------------------------------------ the numbers


def test_binary_ece_by_hand() -> None:
    y = np.array([0, 1, 0, 1, 1])
    p = np.array([0.1, 0.3, 0.6, 0.8, 0.9])
    # 2 bins: [0, .5) holds rows 0-1 (mean y .5, mean p .2), [.5, 1] rows 2-4 (2/3 vs 2.3/3)
    assert expected_calibration_error(y, p, 2) == pytest.approx(2 / 5 * 0.3 + 3 / 5 * abs(2 / 3 - 2.3 / 3))
    # 10 bins: one row per bin, so the ECE is the mean |y - p|
    assert expected_calibration_error(y, p, 10) == pytest.approx((0.1 + 0.7 + 0.6 + 0.2 + 0.1) / 5)


def test_multiclass_ece_is_the_top_label_one_by_hand() -> None:
    P = np.array([[0.7, 0.2, 0.1], [0.4, 0.35, 0.25], [0.1, 0.8, 0.1], [0.25, 0.3, 0.45]])
    y = np.array([0, 1, 2, 2])  # right, wrong, wrong, right
    # confidences .7 .4 .8 .45; bin [0, .5): rows 1, 3 (accuracy .5, confidence .425);
    # bin [.5, 1]: rows 0, 2 (accuracy .5, confidence .75)
    assert expected_calibration_error(y, P, 2) == pytest.approx(0.5 * 0.075 + 0.5 * 0.25)


def _binary(n: int = 3000, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Calibrated probabilities and labels drawn from them."""
    rng = np.random.default_rng(seed)
    p = rng.uniform(0.02, 0.98, n)
    return (rng.random(n) < p).astype(int), p


def _multiclass(n: int = 3000, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    P = rng.dirichlet([1.0, 1.0, 1.0], n)
    y = (rng.random(n)[:, None] > P.cumsum(axis=1)).sum(axis=1)
    return y, P


@pytest.mark.parametrize("kind", ["binary", "multiclass"])
def test_weighted_ece_matches_the_point_estimate_and_explicit_resamples(kind: str) -> None:
    y, p = _binary(400) if kind == "binary" else _multiclass(400)
    stat = weighted_ece(y, p, 10)
    assert stat(np.ones((1, len(y))))[0] == pytest.approx(expected_calibration_error(y, p, 10))
    w = resample_counts(np.random.default_rng(3), 5, len(y))
    for row, got in zip(w, stat(w), strict=True):
        idx = np.repeat(np.arange(len(y)), row.astype(int))
        assert got == pytest.approx(expected_calibration_error(y[idx], p[idx], 10))


def test_brier_binary_is_the_registry_entry_and_multiclass_the_original_score() -> None:
    from sklearn.metrics import brier_score_loss

    y, p = _binary(200)
    assert brier_score("binary", y, p) == get_metric("binary", "brier").score(y, p)
    y3, P = _multiclass(200)
    by_hand = np.mean(((P - np.eye(3)[y3]) ** 2).sum(axis=1))
    assert brier_score("multiclass", y3, P) == pytest.approx(by_hand)
    assert brier_score("multiclass", y3, P) == pytest.approx(brier_score_loss(y3, P, labels=[0, 1, 2]))


def test_paired_increases_of_identical_statistics_are_zero() -> None:
    y, p = _binary(300)
    s = weighted_ece(y, p, 10)
    d = paired_increases({"ece": (s, s)}, len(y), samples=150, seed=0, clusters=None)
    assert d["ece"].shape == (150,) and np.all(d["ece"] == 0)


# ------------------------------------------------------------------------------- the gate


def _cfg(name: str = "breast_cancer", samples: int = 300, **calibration: Any) -> Any:
    cfg = load_config(name)
    pr = cfg.promotion
    return cfg.model_copy(
        update={
            "promotion": pr.model_copy(
                update={
                    "bootstrap_samples": samples,
                    "calibration": pr.calibration.model_copy(update=calibration),
                }
            )
        }
    )


def _gate(cfg: Any, y: Any, p_ch: Any, p_cp: Any, clusters: Any = None) -> dict[str, Any]:
    g = calibration_gate(cfg, cfg.task, y, p_ch, p_cp, clusters=clusters, seed=7)
    assert json.loads(json.dumps(g, allow_nan=False)) == g
    return g


def test_squashed_probabilities_with_the_same_ranking_are_blocked_on_ece() -> None:
    y, p = _binary()
    g = _gate(_cfg(), y, p**0.3, p)
    assert g["applicable"] and g["ece_increase"] > 0.03 and g["ece_increase_ci"][0] > 0
    ece = [b for b in g["blockers"] if " ECE " in b and "max_ece_increase 0.03" in b]
    assert len(ece) == 1, g["blockers"]
    assert fmt(g["challenger"]["ece"]) in ece[0] and fmt(g["champion"]["ece"]) in ece[0]
    assert signed(g["ece_increase"]) in ece[0] and "90% interval" in ece[0]
    assert any("Brier" in b and "max_brier_increase" in b for b in g["blockers"])


def test_the_champion_s_own_predictions_are_not_blocked() -> None:
    y, p = _binary()
    g = _gate(_cfg(), y, p, p.copy())
    assert g["blockers"] == []
    assert g["ece_increase"] == 0 and g["ece_increase_ci"] == [0.0, 0.0]
    assert g["brier_increase"] == 0 and g["challenger"] == g["champion"]
    assert g["bootstrap_samples"] == 300 and g["confidence"] == pytest.approx(0.95)


def test_small_noise_within_the_limit_is_not_blocked() -> None:
    y, p = _binary()
    noisy = np.clip(p + np.random.default_rng(1).normal(0, 0.02, len(p)), 0.001, 0.999)
    g = _gate(_cfg(max_ece_increase=0.03), y, noisy, p)
    assert g["blockers"] == [] and abs(g["ece_increase"]) < 0.03


def test_a_real_worsening_below_the_limit_passes_and_above_it_rejects() -> None:
    y, p = _binary(20000)
    shifted = np.clip(p + 0.03, 0.0, 1.0)
    tolerant = _gate(_cfg(max_ece_increase=0.05), y, shifted, p)
    assert tolerant["ece_increase_ci"][0] > 0 and tolerant["ece_increase"] < 0.05  # real, but tolerated
    assert tolerant["blockers"] == []
    strict = _gate(_cfg(max_ece_increase=0.005), y, shifted, p)
    assert [b for b in strict["blockers"] if "max_ece_increase 0.005" in b]


def test_an_increase_beyond_the_limit_that_may_be_noise_is_not_blocked() -> None:
    y, p = _binary(300, seed=2)
    noisy = np.clip(p + np.random.default_rng(7).normal(0, 0.05, len(p)), 0.001, 0.999)
    g = _gate(_cfg(max_ece_increase=0.03), y, noisy, p)
    assert g["ece_increase"] > 0.03 and g["ece_increase_ci"][0] <= 0, g  # above the limit, within noise
    assert not [b for b in g["blockers"] if "ECE" in b]


def test_limits_set_to_none_are_measured_not_gated() -> None:
    y, p = _binary()
    g = _gate(_cfg(max_ece_increase=None, max_brier_increase=None), y, p**0.3, p)
    assert g["blockers"] == [] and g["ece_increase_ci"][0] > 0.03
    assert g["limits"] == {"max_ece_increase": None, "max_brier_increase": None, "max_ece": None}


def test_cluster_resampling_is_used() -> None:
    y, p = _binary(2000)
    ch = np.clip(p + 0.02, 0, 1)
    rows = _gate(_cfg(), y, ch, p)
    singletons = _gate(_cfg(), y, ch, p, clusters=np.arange(len(y)))
    assert singletons["ece_increase_ci"] == rows["ece_increase_ci"]  # one row per cluster = rows
    days = _gate(_cfg(), y, ch, p, clusters=np.arange(len(y)) % 8)
    width = [g["brier_increase_ci"][1] - g["brier_increase_ci"][0] for g in (rows, days)]
    assert width[1] > width[0]


def test_multiclass_overconfidence_is_blocked_on_top_label_ece() -> None:
    y, P = _multiclass()
    sharp = P**4 / (P**4).sum(axis=1, keepdims=True)  # same argmax, overconfident
    g = _gate(_cfg("wine"), y, sharp, P)
    assert any(b.startswith("calibration: top-label ECE") for b in g["blockers"]), g["blockers"]
    assert _gate(_cfg("wine"), y, P, P)["blockers"] == []


def test_regression_is_not_applicable() -> None:
    y = np.linspace(0, 10, 50)
    g = _gate(_cfg("diabetes", max_ece=0.0), y, y + 100, y)
    assert g["applicable"] is False and g["blockers"] == [] and g["challenger"] is None


def test_a_disabled_gate_is_not_applicable() -> None:
    y, p = _binary()
    g = _gate(_cfg(enabled=False, max_ece=0.0), y, p**0.3, p)
    assert g["applicable"] is False and g["blockers"] == []


def test_max_ece_applies_without_a_champion() -> None:
    y, p = _binary()
    g = _gate(_cfg(max_ece=0.05), y, p**0.3, None)
    assert g["champion"] is None and g["ece_increase"] is None and g["ece_increase_ci"] == [None, None]
    assert g["challenger"]["ece"] > 0.05
    assert g["blockers"] == [
        f"calibration: ECE {fmt(g['challenger']['ece'])} > max_ece 0.05 (absolute limit on the challenger)"
    ]
    calibrated = _gate(_cfg(max_ece=0.05), y, p, None)
    assert calibrated["applicable"] and calibrated["blockers"] == []


def test_draws_from_the_shared_pass_give_the_gate_it_computes_alone() -> None:
    """evaluate hands the gate the draws of the promotion gate's pass; same resamples, same gate."""
    from airflow_champion.evaluation.bootstrap import paired_bootstrap_with
    from airflow_champion.evaluation.calibration import calibration_statistics

    cfg = _cfg(samples=400, max_ece_increase=0.0, max_brier_increase=0.0)
    y, p_cp = _binary(600)
    p_ch = np.clip(p_cp + 0.2, 0, 1)  # clearly over-confident in the positive class
    _, draws = paired_bootstrap_with(
        cfg.metric_entry,
        y,
        p_ch,
        p_cp,
        samples=400,
        alpha=cfg.promotion.significance,
        seed=7,
        extra=calibration_statistics(cfg, cfg.task, y, p_ch, p_cp),
    )
    shared = calibration_gate(cfg, cfg.task, y, p_ch, p_cp, clusters=None, seed=7, draws=draws)
    assert shared == _gate(cfg, y, p_ch, p_cp)
    assert shared["blockers"]  # the limits of 0 make it block: the numbers were compared, not skipped
