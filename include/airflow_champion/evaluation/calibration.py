"""The calibration gate: a challenger whose probabilities got clearly less trustworthy is rejected.

Two numbers per classifier, both lower = better calibrated:
- the expected calibration error (ECE) on equal-width probability bins (`expected_calibration_error`),
- the Brier score (binary: the metric registry's "brier"; multiclass: computed here, see `_brier`).

Each increase (challenger - champion) is paired-bootstrapped on the same resamples as the promotion
gate's (row or cluster resamples, evaluation.bootstrap), so row difficulty cancels out. An increase
rejects only when its point estimate exceeds its limit *and* its lower bound is above 0 (the worsening
is beyond the limit and not noise). `max_ece` is an absolute limit on the challenger's ECE.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from airflow_champion.evaluation.bootstrap import paired_draws
from airflow_champion.reports.jsonsafe import finite_or_none
from airflow_champion.reports.numbers import fmt, pct, signed
from airflow_champion.tasks import get_task

if TYPE_CHECKING:
    from airflow_champion.config import ModelConfig
    from airflow_champion.tasks.metric import Statistic


def _gap_and_bins(y: np.ndarray, p: np.ndarray, bins: int) -> tuple[np.ndarray, np.ndarray]:
    """Per row: the calibration gap (outcome - confidence) and its equal-width bin on [0, 1].

    Binary (p 1-D, P(positive)): outcome y, confidence p. Multiclass (p (n, k)): the top label's,
    outcome "argmax == y", confidence max_k p. Bin b holds [b/bins, (b+1)/bins); 1.0 is in the last.
    """
    y = np.asarray(y).ravel()
    p = np.asarray(p, dtype=np.float64)
    if p.shape[0] != y.shape[0]:
        raise ValueError(f"predictions have {p.shape[0]} rows, labels {y.shape[0]}")
    if p.ndim == 1:
        outcome, conf = y.astype(np.float64), p
    elif p.ndim == 2:
        outcome, conf = (p.argmax(axis=1) == y.astype(np.int64)).astype(np.float64), p.max(axis=1)
    else:
        raise ValueError(f"predictions must be 1-D or (n, k), got shape {p.shape}")
    idx = np.clip(np.floor(conf * bins).astype(np.int64), 0, bins - 1)
    return outcome - conf, idx


def expected_calibration_error(y: Any, p: Any, bins: int) -> float:
    """ECE = sum_b (n_b / n) |mean(outcome_b) - mean(confidence_b)| over `bins` equal-width bins.

    Binary (p = P(positive), 1-D): outcome is y, confidence p: the classic reliability-diagram ECE.
    Multiclass (p = (n, k) probabilities): the top-label ECE, confidence max_k p, outcome whether the
    most probable class is the true one.
    """
    gap, idx = _gap_and_bins(y, p, bins)
    if gap.size == 0:
        raise ValueError("the ECE needs at least one row")
    return float(np.abs(np.bincount(idx, weights=gap, minlength=bins)).sum() / gap.size)


def weighted_ece(y: Any, p: Any, bins: int) -> Statistic:
    """The ECE over row-count matrices W (B x n): sum_b |W @ (gap * 1[bin b])| / W.sum(1).

    Bins are fixed by the original rows, so each resample only reweights rows: the columns are put in
    bin order once and every bin's weighted gap is one `reduceat` over its block of columns.
    """
    gap, idx = _gap_and_bins(y, p, bins)
    if gap.size == 0:
        raise ValueError("the ECE needs at least one row")
    order = np.argsort(idx, kind="mergesort")
    gap_sorted, idx_sorted = gap[order], idx[order]
    starts = np.flatnonzero(np.r_[True, idx_sorted[1:] != idx_sorted[:-1]])  # the non-empty bins

    def stat(w: np.ndarray) -> np.ndarray:
        ordered = np.take(w, order, axis=1)  # the same as w[:, order], about 3x faster
        per_bin = np.add.reduceat(ordered * gap_sorted, starts, axis=1)
        return np.asarray(np.abs(per_bin).sum(axis=1) / w.sum(axis=1))

    return stat


# Multiclass has no "brier" in the metric registry (it is not a promotion metric there), and this gate
# is its only user, so it lives here rather than as a registry entry nobody else asks for. It is the
# original multi-class Brier score: mean over rows of sum_k (p_k - onehot_k)^2, in [0, 2].
def _multiclass_brier_loss(y: np.ndarray, P: np.ndarray) -> np.ndarray:
    onehot = np.zeros_like(P)
    onehot[np.arange(P.shape[0]), np.asarray(y, dtype=np.int64)] = 1.0
    return np.asarray(((P - onehot) ** 2).sum(axis=1))


def _multiclass_brier(y: np.ndarray, P: np.ndarray) -> float:
    return float(_multiclass_brier_loss(y, P).mean())


def _multiclass_brier_weighted(y: np.ndarray, P: np.ndarray) -> Statistic:
    loss = _multiclass_brier_loss(y, P)
    return lambda w: np.asarray(w @ loss / w.sum(axis=1))


def _brier(task_name: str) -> tuple[Callable[[np.ndarray, np.ndarray], float], Callable[..., Statistic]]:
    """(point estimate, bootstrap statistic factory) of the task's Brier score."""
    task = get_task(task_name)
    if "brier" in task.metrics:
        m = task.metric("brier")
        return m.score, m.weighted
    return _multiclass_brier, _multiclass_brier_weighted


def brier_score(task_name: str, y: Any, p: Any) -> float:
    """The task's Brier score: the registry's entry where it has one (binary), else the multiclass one."""
    score, _ = _brier(task_name)
    return float(score(np.asarray(y), np.asarray(p, dtype=np.float64)))


def paired_increases(
    stats: dict[str, tuple[Statistic, Statistic]],
    n: int,
    *,
    samples: int,
    seed: int,
    clusters: np.ndarray | None,
) -> dict[str, np.ndarray]:
    """Per name: challenger - champion of its statistic on each of `samples` shared resamples (finite
    values only). Every statistic sees the same resamples; at most _CHUNK_CELLS cells at a time."""
    draws = paired_draws(list(stats.values()), n, samples=samples, seed=seed, clusters=clusters)
    return dict(zip(stats, draws, strict=True))


def calibration_statistics(
    cfg: ModelConfig, task_name: str, y: Any, p_ch: Any, p_cp: Any
) -> dict[str, tuple[Statistic, Statistic]]:
    """The statistics the gate bootstraps (name -> (challenger's, champion's)); empty when the gate
    has nothing to bootstrap. The evaluation computes them in the promotion gate's pass (same
    samples, seed and clusters, so the same resamples) and hands the draws to calibration_gate."""
    spec = cfg.promotion.calibration
    if get_task(task_name).estimator_kind != "classifier" or not spec.enabled or p_cp is None:
        return {}
    y_arr = np.asarray(y)
    ch, cp = np.asarray(p_ch, dtype=np.float64), np.asarray(p_cp, dtype=np.float64)
    _, brier_weighted = _brier(task_name)
    return {
        "ece": (weighted_ece(y_arr, ch, spec.bins), weighted_ece(y_arr, cp, spec.bins)),
        "brier": (brier_weighted(y_arr, ch), brier_weighted(y_arr, cp)),
    }


def _ci(draws: np.ndarray, alpha: float) -> list[float | None]:
    if draws.size == 0:
        return [None, None]
    low, high = np.quantile(draws, [alpha, 1 - alpha])
    return [finite_or_none(float(low)), finite_or_none(float(high))]


def _not_applicable(bins: int, limits: dict[str, float | None]) -> dict[str, Any]:
    return {
        "applicable": False,
        "bins": bins,
        "challenger": None,
        "champion": None,
        "ece_increase": None,
        "ece_increase_ci": [None, None],
        "brier_increase": None,
        "brier_increase_ci": [None, None],
        "confidence": None,
        "bootstrap_samples": 0,
        "limits": limits,
        "blockers": [],
    }


def calibration_gate(
    cfg: ModelConfig,
    task_name: str,
    y: Any,
    p_ch: Any,
    p_cp: Any | None,
    *,
    clusters: np.ndarray | None,
    seed: int,
    draws: dict[str, np.ndarray] | None = None,
) -> dict[str, Any]:
    """Measure both models' calibration on the judged rows and the blockers it gives (JSON-safe).

    Not applicable (no blockers) for a regression task or with `promotion.calibration.enabled` off.
    Without a champion (`p_cp` None) only `max_ece` can block. Limits set to None are measured only.
    `draws`: the bootstrap differences of calibration_statistics, already computed on these resamples
    (the evaluation's shared pass); None computes them here.
    """
    spec = cfg.promotion.calibration
    limits = {
        "max_ece_increase": spec.max_ece_increase,
        "max_brier_increase": spec.max_brier_increase,
        "max_ece": spec.max_ece,
    }
    task = get_task(task_name)
    if task.estimator_kind != "classifier" or not spec.enabled:
        return _not_applicable(spec.bins, limits)

    y_arr = np.asarray(y)
    ch = np.asarray(p_ch, dtype=np.float64)
    brier_score_fn, _ = _brier(task_name)
    label = "ECE" if ch.ndim == 1 else "top-label ECE"
    ch_ece = expected_calibration_error(y_arr, ch, spec.bins)
    ch_brier = float(brier_score_fn(y_arr, ch))
    out = _not_applicable(spec.bins, limits)
    out.update(applicable=True, challenger={"ece": finite_or_none(ch_ece), "brier": finite_or_none(ch_brier)})
    blockers: list[str] = []
    if spec.max_ece is not None and ch_ece > spec.max_ece:
        blockers.append(
            f"calibration: {label} {fmt(ch_ece)} > max_ece {fmt(spec.max_ece)} "
            "(absolute limit on the challenger)"
        )

    if p_cp is not None:
        cp = np.asarray(p_cp, dtype=np.float64)
        cp_ece = expected_calibration_error(y_arr, cp, spec.bins)
        cp_brier = float(brier_score_fn(y_arr, cp))
        alpha = cfg.promotion.significance
        if draws is None:
            draws = paired_increases(
                calibration_statistics(cfg, task_name, y_arr, ch, cp),
                y_arr.shape[0],
                samples=cfg.promotion.bootstrap_samples,
                seed=seed,
                clusters=clusters,
            )
        conf = pct(1 - 2 * alpha)  # (alpha, 1 - alpha) quantiles: a two-sided (1 - 2 alpha) interval
        for name, shown, ch_v, cp_v, limit in (
            ("ece", label, ch_ece, cp_ece, spec.max_ece_increase),
            ("brier", "Brier", ch_brier, cp_brier, spec.max_brier_increase),
        ):
            inc = ch_v - cp_v
            low, high = _ci(draws[name], alpha)
            out[f"{name}_increase"] = finite_or_none(inc)
            out[f"{name}_increase_ci"] = [low, high]
            if limit is not None and inc > limit and low is not None and low > 0:
                blockers.append(
                    f"calibration: {shown} {fmt(ch_v)} vs champion {fmt(cp_v)} ({signed(inc)}, "
                    f"{conf} interval [{signed(low)}, {signed(high)}], lower bound > 0) > "
                    f"max_{name}_increase {fmt(limit)}"
                )
        out.update(
            champion={"ece": finite_or_none(cp_ece), "brier": finite_or_none(cp_brier)},
            confidence=float(1 - alpha),
            bootstrap_samples=int(min(draws["ece"].size, draws["brier"].size)),
        )
    out["blockers"] = blockers
    return out


__all__ = [
    "brier_score",
    "calibration_gate",
    "calibration_statistics",
    "expected_calibration_error",
    "paired_increases",
    "weighted_ece",
]
