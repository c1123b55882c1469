"""Bootstrap statistics of the binary metrics: each as a function of row counts, over resamples.

A resample is a vector of row counts w (how often each original row was drawn), so B resamples are a
(B x n) matrix W and every metric becomes weighted sums: O(B*n), no gathering of rows, no Python loop
per resample. Rank metrics (ROC AUC, average precision) need one sort of the original scores, shared
by every resample. A statistic returns NaN for a resample on which the metric is undefined (for a
binary task: a resample without both classes), and the bootstrap leaves those out.

Each factory is checked against scikit-learn on explicitly resampled rows (tests/core/tasks).
Shared pieces (rank groups, masking) are used by the multiclass statistics too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from airflow_champion.tasks.thresholds import PROBA_CLIP, THRESHOLD

if TYPE_CHECKING:
    import numpy as np

    from airflow_champion.tasks.metric import Statistic


def _binary_counts(y: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(positives, negatives, valid) per resample; valid = both classes drawn."""
    pos = w @ y
    neg = w.sum(axis=1) - pos
    return pos, neg, (pos > 0) & (neg > 0)


def masked(values: np.ndarray, valid: np.ndarray) -> np.ndarray:
    import numpy as np

    return np.where(valid, values, np.nan)


def rank_groups(p: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sort order of the scores, start of each tied-score group, labels in that order."""
    import numpy as np

    order = np.argsort(p, kind="mergesort")
    ps = p[order]
    starts = np.flatnonzero(np.r_[True, ps[1:] != ps[:-1]])
    return order, starts, y[order]


class RocAucStatistic:
    """ROC AUC over resamples from one sort of the scores: of row-count matrices W (the Statistic), and,
    for 0/1 labels, straight from the drawn row indices (`of_draws`, the row bootstrap's fast path:
    one bincount of (label, tie group) codes per resample, which stays in cache, instead of gathering
    W in score order). Both count the same integers, so they give the same AUC to the last bit."""

    def __init__(self, y: np.ndarray, p: np.ndarray) -> None:
        import numpy as np

        self.order, self.starts, self.y_sorted = rank_groups(p, y)
        self.codes: np.ndarray | None = None
        if bool(((y == 0) | (y == 1)).all()):
            group = np.zeros(self.order.size, dtype=np.int64)
            group[self.starts[1:]] = 1
            self.codes = np.empty(self.order.size, dtype=np.int64)
            self.codes[self.order] = self.y_sorted.astype(np.int64) * self.starts.size + np.cumsum(group)

    def __call__(self, w: np.ndarray) -> np.ndarray:
        return weighted_auc(self.order, self.starts, self.y_sorted, w)

    def of_draws(self, idx: np.ndarray) -> np.ndarray | None:
        """AUC of each resample (a row of `idx`, the drawn row numbers); None without 0/1 labels."""
        import numpy as np

        if self.codes is None:
            return None
        b, m = idx.shape
        groups = self.starts.size
        drawn = np.take(self.codes, idx)
        pairs = np.empty(b, dtype=np.int64)  # 2 x (negatives below + half the tied ones), per positive
        neg = np.empty(b, dtype=np.int64)
        for r in range(b):
            counts = np.bincount(drawn[r], minlength=2 * groups)
            gn, gp = counts[:groups], counts[groups:]
            below = np.cumsum(gn)
            below -= gn
            below *= 2
            below += gn
            pairs[r] = gp @ below
            neg[r] = gn.sum()
        pos = m - neg
        with np.errstate(divide="ignore", invalid="ignore"):  # exact integer sums, then one division
            auc = pairs / (2.0 * pos * neg)
        return masked(auc, (pos > 0) & (neg > 0))


def binary_roc_auc(y: np.ndarray, p: np.ndarray) -> Statistic:
    return RocAucStatistic(y, p)


def binary_average_precision(y: np.ndarray, p: np.ndarray) -> Statistic:
    import numpy as np

    order, starts, y_sorted = rank_groups(p, y)

    def stat(w: np.ndarray) -> np.ndarray:
        pos, _neg, valid = _binary_counts(y, w)
        ws = np.take(w, order, axis=1)  # = w[:, order], faster
        wp = ws * y_sorted
        gp = np.add.reduceat(wp, starts, axis=1)[:, ::-1]  # descending thresholds, as sklearn
        gn = np.add.reduceat(ws - wp, starts, axis=1)[:, ::-1]
        ctp = np.cumsum(gp, axis=1)
        denom = ctp + np.cumsum(gn, axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            precision = np.where(denom > 0, ctp / np.where(denom > 0, denom, 1.0), 0.0)
            ap = (gp * precision).sum(axis=1) / pos
        return masked(ap, valid)

    return stat


def _binary_mean_loss(loss: np.ndarray, y: np.ndarray) -> Statistic:
    def stat(w: np.ndarray) -> np.ndarray:
        _pos, _neg, valid = _binary_counts(y, w)
        return masked(w @ loss / w.sum(axis=1), valid)

    return stat


def binary_log_loss(y: np.ndarray, p: np.ndarray) -> Statistic:
    import numpy as np

    pc = np.clip(p, PROBA_CLIP, 1 - PROBA_CLIP)
    return _binary_mean_loss(-(y * np.log(pc) + (1 - y) * np.log1p(-pc)), y)


def binary_brier(y: np.ndarray, p: np.ndarray) -> Statistic:
    return _binary_mean_loss((p - y) ** 2, y)


def _confusion(y: np.ndarray, p: np.ndarray) -> tuple[np.ndarray, ...]:
    """Per-row indicator vectors (tp, tn, fp, fn) at the registry's threshold."""
    import numpy as np

    pred = (p >= THRESHOLD).astype(np.float64)
    return y * pred, (1 - y) * (1 - pred), (1 - y) * pred, y * (1 - pred)


def binary_accuracy(y: np.ndarray, p: np.ndarray) -> Statistic:
    tp, tn, _fp, _fn = _confusion(y, p)

    def stat(w: np.ndarray) -> np.ndarray:
        _pos, _neg, valid = _binary_counts(y, w)
        return masked((w @ tp + w @ tn) / w.sum(axis=1), valid)

    return stat


def binary_balanced_accuracy(y: np.ndarray, p: np.ndarray) -> Statistic:
    import numpy as np

    tp, tn, _fp, _fn = _confusion(y, p)

    def stat(w: np.ndarray) -> np.ndarray:
        pos, neg, valid = _binary_counts(y, w)
        with np.errstate(divide="ignore", invalid="ignore"):
            return masked(0.5 * (w @ tp / pos + w @ tn / neg), valid)

    return stat


def binary_f1(y: np.ndarray, p: np.ndarray) -> Statistic:
    import numpy as np

    tp, _tn, fp, fn = _confusion(y, p)

    def stat(w: np.ndarray) -> np.ndarray:
        _pos, _neg, valid = _binary_counts(y, w)
        t = w @ tp
        denom = 2 * t + w @ fp + w @ fn
        f1 = np.where(denom > 0, 2 * t / np.where(denom > 0, denom, 1.0), 0.0)  # 0 when undefined
        return masked(f1, valid)

    return stat


def weighted_auc(order: np.ndarray, starts: np.ndarray, y_sorted: np.ndarray, w: np.ndarray) -> np.ndarray:
    """ROC AUC of each resample from one sort of the scores (ties count half); NaN without both classes."""
    import numpy as np

    ws = np.take(w, order, axis=1)  # = w[:, order], faster
    wp = ws * y_sorted
    gp = np.add.reduceat(wp, starts, axis=1)
    gn = np.add.reduceat(ws - wp, starts, axis=1)
    below = np.cumsum(gn, axis=1) - gn
    pos, neg = gp.sum(axis=1), gn.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        auc = (gp * (below + 0.5 * gn)).sum(axis=1) / (pos * neg)
    return masked(auc, (pos > 0) & (neg > 0))


__all__ = ["RocAucStatistic", "masked", "rank_groups", "weighted_auc"]
