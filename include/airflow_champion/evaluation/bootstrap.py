"""The paired bootstrap of a metric difference: the confidence interval promotion is judged on.

Both models are scored on the *same* resampled rows, so row difficulty cancels out and the interval
is far tighter than comparing two independent ones (evaluation/adr/0001-the-bootstrap-gate.md).
The metric's bootstrap statistic comes from its registry entry (`Metric.weighted`), vectorised over
resamples; memory is bounded by materialising at most _CHUNK_CELLS (resamples x rows) at a time.
A statistic with `of_draws` (ROC AUC) is computed from the drawn row numbers without the count matrix
(the same integers, so the same values); statistics of several gates share one pass of resamples.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from airflow_champion.config import ModelConfig
    from airflow_champion.tasks.metric import Metric, Statistic

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


def counts_of(idx: np.ndarray, n: int) -> np.ndarray:
    """(b x n) row-count matrix of b resamples given as drawn row numbers (b x k); `idx` is kept.
    One bincount per resample: its n counters stay in cache (one over all b x n is ~2x slower)."""
    out = np.empty((idx.shape[0], n), dtype=np.float64)
    for r in range(idx.shape[0]):
        out[r] = np.bincount(idx[r], minlength=n)
    return out


def resample_counts(rng: np.random.Generator, b: int, n: int) -> np.ndarray:
    """(b x n) matrix of how often each of n rows is drawn in each of b resamples of size n."""
    return counts_of(rng.integers(0, n, size=(b, n)), n)


def cluster_counts(rng: np.random.Generator, b: int, clusters: np.ndarray, k: int) -> np.ndarray:
    """(b x n) row weights of b cluster resamples: k clusters drawn with replacement, every row
    weighted by how often its cluster was drawn (rows of one day, or one customer, move together)."""
    drawn = resample_counts(rng, b, k)
    return drawn[:, clusters]


class Resamples:
    """One chunk of b resamples as a statistic wants it: the drawn row numbers (row bootstrap) or
    the row-count matrix W, built once and only when a statistic without `of_draws` asks for it.
    The draws are the ones resample_counts / cluster_counts make from the same generator."""

    def __init__(self, rng: np.random.Generator, b: int, n: int, clusters: np.ndarray | None, k: int) -> None:
        self.n = n
        self.idx = rng.integers(0, n, size=(b, n)) if clusters is None else None
        self._w = None if clusters is None else cluster_counts(rng, b, clusters, k)

    @property
    def w(self) -> np.ndarray:
        if self._w is None:
            assert self.idx is not None
            self._w = counts_of(self.idx, self.n)
        return self._w

    def value(self, stat: Statistic) -> np.ndarray:
        of_draws = getattr(stat, "of_draws", None)
        out = of_draws(self.idx) if self.idx is not None and of_draws is not None else None
        return stat(self.w) if out is None else out


def paired_draws(
    pairs: list[tuple[Statistic, Statistic]],
    n: int,
    *,
    samples: int,
    seed: int,
    clusters: np.ndarray | None,
    label: str | None = None,
) -> list[np.ndarray]:
    """Per pair: first - second of its statistic on each of `samples` shared resamples (finite
    values only). Every pair sees the same resamples (one pass, so the promotion gate and the
    calibration gate share theirs); at most _CHUNK_CELLS cells at a time. With `label`, a long
    bootstrap logs its progress."""
    rng = np.random.default_rng(seed)
    k = int(clusters.max()) + 1 if clusters is not None and clusters.size else 0
    chunk = max(1, _CHUNK_CELLS // max(n, 1))
    kept: list[list[np.ndarray]] = [[] for _ in pairs]
    done = 0
    chunks = -(-samples // chunk)
    while done < samples:
        b = min(chunk, samples - done)
        draws = Resamples(rng, b, n, clusters, k)
        for parts, (first, second) in zip(kept, pairs, strict=True):
            d = draws.value(first) - draws.value(second)
            parts.append(d[np.isfinite(d)])
        done += b
        if label and chunks > 1:  # a long bootstrap (many rows) says how far it is
            log.info("bootstrap of %s: %d/%d resamples of %d rows", label, done, samples, n)
    return [np.concatenate(parts) if parts else np.empty(0) for parts in kept]


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
    return paired_bootstrap_with(
        metric,
        y_true,
        pred_challenger,
        pred_champion,
        samples=samples,
        alpha=alpha,
        seed=seed,
        clusters=clusters,
        null=null,
    )[0]


def paired_bootstrap_with(
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
    extra: dict[str, tuple[Statistic, Statistic]] | None = None,
) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """paired_bootstrap, and on the very same resamples the `extra` statistics (name -> (challenger's,
    champion's)): their finite challenger - champion differences, unsigned (paired_draws)."""
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
    k = int(clusters.max()) + 1 if clusters is not None and clusters.size else 0
    named = list((extra or {}).items())
    main, *others = paired_draws(
        [(stat_ch, stat_cp), *(pair for _, pair in named)],
        n,
        samples=samples,
        seed=seed,
        clusters=clusters,
        label=metric.name,
    )
    all_d = sign * main
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
    return out, {name: d for (name, _), d in zip(named, others, strict=True)}


__all__ = [
    "Resamples",
    "cluster_counts",
    "counts_of",
    "gate_bootstrap",
    "gate_bootstrap_with",
    "paired_bootstrap",
    "paired_bootstrap_with",
    "paired_draws",
    "resample_counts",
]


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
    boot, _ = gate_bootstrap_with(
        cfg, metric, y_true, pred_challenger, pred_champion, clusters=clusters, extra=None
    )
    boot["diff"] = metric.oriented(challenger_score, champion_score)
    return boot


def gate_bootstrap_with(
    cfg: ModelConfig,
    metric: Metric,
    y_true: Any,
    pred_challenger: Any,
    pred_champion: Any,
    *,
    clusters: Any,
    extra: dict[str, tuple[Statistic, Statistic]] | None,
) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """The gate's bootstrap before its `diff` is set, with `extra` statistics on the same resamples
    (the calibration gate's, which uses the same samples, seed and clusters)."""
    return paired_bootstrap_with(
        metric,
        y_true,
        pred_challenger,
        pred_champion,
        samples=cfg.promotion.bootstrap_samples,
        alpha=cfg.promotion.significance,
        seed=cfg.holdout.seed,
        clusters=clusters,
        extra=extra,
    )
