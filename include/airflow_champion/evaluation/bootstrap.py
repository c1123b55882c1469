"""The paired bootstrap of a metric difference: the confidence interval promotion is judged on.

Both models are scored on the *same* resampled rows, so row difficulty cancels out and the interval
is far tighter than comparing two independent ones (evaluation/adr/0001-the-bootstrap-gate.md).
The metric's bootstrap statistic comes from its registry entry (`Metric.weighted`), vectorised over
resamples; memory is bounded by materialising at most _CHUNK_CELLS (resamples x rows) at a time.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from airflow_champion.config import ModelConfig
    from airflow_champion.tasks.metric import Metric

log = logging.getLogger(__name__)

_CHUNK_CELLS = 2_000_000
"""Cells (resamples x rows) materialised at once: a few tens of MB whatever the holdout size."""


def _as_arrays(y_true: Any, *preds: Any) -> tuple[np.ndarray, ...]:
    y = np.asarray(y_true, dtype=np.float64)
    out = [y.ravel() if y.ndim <= 1 else y]
    for p in preds:
        arr = np.asarray(p, dtype=np.float64)
        if arr.shape[0] != out[0].shape[0]:
            raise ValueError(f"predictions have {arr.shape[0]} rows, labels {out[0].shape[0]}")
        out.append(arr)
    return tuple(out)


def resample_counts(rng: np.random.Generator, b: int, n: int) -> np.ndarray:
    """(b x n) matrix of how often each of n rows is drawn in each of b resamples of size n."""
    idx = rng.integers(0, n, size=(b, n))
    idx += (np.arange(b) * n)[:, None]
    return np.bincount(idx.ravel(), minlength=b * n).reshape(b, n).astype(np.float64)


def cluster_counts(rng: np.random.Generator, b: int, clusters: np.ndarray, k: int) -> np.ndarray:
    """(b x n) row weights of b cluster resamples: k clusters drawn with replacement, every row
    weighted by how often its cluster was drawn (rows of one day, or one customer, move together)."""
    drawn = resample_counts(rng, b, k)
    return drawn[:, clusters]


def paired_bootstrap(
    metric: Metric,
    y_true: Any,
    pred_challenger: Any,
    pred_champion: Any,
    *,
    samples: int,
    alpha: float,
    seed: int = 0,
    clusters: np.ndarray | None = None,
    null: float | None = None,
) -> dict[str, Any]:
    """Paired bootstrap of `metric`(challenger) - `metric`(champion); positive always means "challenger
    better". `ci_low` is the one-sided lower bound at quantile `alpha` (promotion asks for it to be
    > 0), `ci_high` the bound at 1 - alpha. Resamples on which the metric is undefined (a binary one
    without both classes) are skipped and counted out of `samples_used`.

    With `clusters` (an integer code per row: its day, its customer) whole clusters are resampled, as
    the rows of one cluster share what the models cannot see (a day's weather, a customer's habits):
    resampling rows would count them as independent and make the interval too narrow.

    With `null` the result also has `p_value`, the one-sided bootstrap p-value of H0 "diff >= null"
    against H1 "diff < null": (1 + #{resampled diffs >= null}) / (samples_used + 1), NaN if none was
    kept. A small one is evidence the challenger is worse than `null` (the slice gate asks it of
    -margin); the +1s keep it a valid p-value, never 0, so it is at least 1 / (samples + 1).
    """
    if samples < 1 or not 0 < alpha < 1:
        raise ValueError(f"need samples >= 1 and 0 < alpha < 1, got samples={samples}, alpha={alpha}")
    y, p_ch, p_cp = _as_arrays(y_true, pred_challenger, pred_champion)
    n = y.shape[0]
    if n == 0:
        raise ValueError("the bootstrap needs at least one row")
    stat_ch, stat_cp = metric.weighted(y, p_ch), metric.weighted(y, p_cp)
    sign = 1.0 if metric.greater_is_better else -1.0

    full = sign * (stat_ch(np.ones((1, n))) - stat_cp(np.ones((1, n))))
    if not np.isfinite(full[0]):
        raise ValueError(f"{metric.name} is undefined on these rows (e.g. a single class)")
    rng = np.random.default_rng(seed)
    k = int(clusters.max()) + 1 if clusters is not None and clusters.size else 0
    chunk = max(1, _CHUNK_CELLS // n)
    kept: list[np.ndarray] = []
    done = 0
    chunks = -(-samples // chunk)
    while done < samples:
        b = min(chunk, samples - done)
        w = resample_counts(rng, b, n) if clusters is None else cluster_counts(rng, b, clusters, k)
        d = sign * (stat_ch(w) - stat_cp(w))
        kept.append(d[np.isfinite(d)])
        done += b
        if chunks > 1:  # a long bootstrap (many rows) says how far it is
            log.info("bootstrap of %s: %d/%d resamples of %d rows", metric.name, done, samples, n)
    all_d = np.concatenate(kept) if kept else np.empty(0)
    used = int(all_d.size)
    if used == 0:
        ci_low = ci_high = float("nan")
    else:
        ci_low, ci_high = (float(q) for q in np.quantile(all_d, [alpha, 1 - alpha]))
    out: dict[str, Any] = {
        "metric": metric.name,
        "diff": float(full[0]),
        "ci_low": ci_low,
        "ci_high": ci_high,
        "alpha": float(alpha),
        "samples": int(samples),
        "samples_used": used,
        "clusters": k or None,
    }
    if null is not None:
        out["p_value"] = float((1 + np.count_nonzero(all_d >= null)) / (used + 1)) if used else float("nan")
    return out


__all__ = ["cluster_counts", "paired_bootstrap", "resample_counts"]


def gate_bootstrap(
    cfg: ModelConfig,
    metric: Metric,
    y_true: Any,
    pred_challenger: Any,
    pred_champion: Any,
    *,
    clusters: Any,
    challenger_score: float,
    champion_score: float,
) -> dict[str, Any]:
    """The promotion gate's paired bootstrap (the evaluate step and the backtest alike): the config's
    samples, level and seed; `diff` is the point estimate on every judged row (scikit-learn's score),
    not the resamples' mean."""
    boot = paired_bootstrap(
        metric,
        y_true,
        pred_challenger,
        pred_champion,
        samples=cfg.promotion.bootstrap_samples,
        alpha=cfg.promotion.significance,
        seed=cfg.holdout.seed,
        clusters=clusters,
    )
    boot["diff"] = metric.oriented(challenger_score, champion_score)
    return boot
