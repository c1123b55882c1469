"""Bootstrap statistics of the multiclass metrics, as functions of row counts over resamples.

`y` holds class codes 0..K-1 (the index of the label in the config's `labels`), `P` the (n x K)
probability matrix in the same order. Per-class counts of a resample are one matrix product
(W @ one-hot), so every metric stays O(B*n*K). Checked against scikit-learn on resampled rows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from airflow_champion.tasks.binary_stats import masked, rank_groups, weighted_auc

if TYPE_CHECKING:
    import numpy as np

    from airflow_champion.tasks.metric import Statistic


def _onehot(codes: np.ndarray, k: int) -> np.ndarray:
    import numpy as np

    out = np.zeros((codes.shape[0], k))
    out[np.arange(codes.shape[0]), codes.astype(int)] = 1.0
    return out


def _y_codes(y: np.ndarray) -> np.ndarray:
    import numpy as np

    return np.asarray(y).astype(int)


def multiclass_log_loss(y: np.ndarray, P: np.ndarray) -> Statistic:
    """Mean -log p(true class), with scikit-learn's clipping (float eps) and row normalisation."""
    import numpy as np

    eps = np.finfo(np.float64).eps
    Pc = np.clip(P, eps, 1 - eps)
    Pc = Pc / Pc.sum(axis=1, keepdims=True)
    loss = -np.log(Pc[np.arange(P.shape[0]), _y_codes(y)])
    return lambda w: w @ loss / w.sum(axis=1)


def multiclass_accuracy(y: np.ndarray, P: np.ndarray) -> Statistic:
    import numpy as np

    correct = (P.argmax(axis=1) == _y_codes(y)).astype(np.float64)
    return lambda w: w @ correct / w.sum(axis=1)


def multiclass_balanced_accuracy(y: np.ndarray, P: np.ndarray) -> Statistic:
    """Mean recall over the classes present in the resample's labels (as scikit-learn)."""
    import numpy as np

    codes = _y_codes(y)
    Y = _onehot(codes, P.shape[1])
    hits = Y * (P.argmax(axis=1) == codes)[:, None]

    def stat(w: np.ndarray) -> np.ndarray:
        support = w @ Y
        with np.errstate(divide="ignore", invalid="ignore"):
            recall = np.where(support > 0, (w @ hits) / np.where(support > 0, support, 1.0), 0.0)
        present = (support > 0).sum(axis=1)
        return masked(recall.sum(axis=1) / np.where(present > 0, present, 1), present > 0)

    return stat


def _f1_parts(y: np.ndarray, P: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    Y = _onehot(_y_codes(y), P.shape[1])
    pred = _onehot(P.argmax(axis=1), P.shape[1])
    return Y, pred


def _per_class_f1(
    w: np.ndarray, Y: np.ndarray, pred: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(F1 per class, support per class, class present in labels or predictions) of each resample."""
    import numpy as np

    tp = w @ (Y * pred)
    support = w @ Y
    predicted = w @ pred
    denom = support + predicted  # = 2tp + fp + fn
    with np.errstate(divide="ignore", invalid="ignore"):
        f1 = np.where(denom > 0, 2 * tp / np.where(denom > 0, denom, 1.0), 0.0)
    return f1, support, denom > 0


def multiclass_f1_macro(y: np.ndarray, P: np.ndarray) -> Statistic:
    """Mean F1 over the classes that occur in the labels or the predictions (as scikit-learn)."""
    import numpy as np

    Y, pred = _f1_parts(y, P)

    def stat(w: np.ndarray) -> np.ndarray:
        f1, _support, present = _per_class_f1(w, Y, pred)
        n = present.sum(axis=1)
        return masked((f1 * present).sum(axis=1) / np.where(n > 0, n, 1), n > 0)

    return stat


def multiclass_f1_weighted(y: np.ndarray, P: np.ndarray) -> Statistic:
    """F1 per class weighted by its support in the labels (as scikit-learn's average="weighted")."""
    import numpy as np

    Y, pred = _f1_parts(y, P)

    def stat(w: np.ndarray) -> np.ndarray:
        f1, support, _present = _per_class_f1(w, Y, pred)
        total = support.sum(axis=1)
        return masked((f1 * support).sum(axis=1) / np.where(total > 0, total, 1), total > 0)

    return stat


def multiclass_roc_auc_ovr(y: np.ndarray, P: np.ndarray) -> Statistic:
    """Macro mean of one-vs-rest ROC AUCs; NaN when a class has no positive or no negative row."""
    import numpy as np

    codes = _y_codes(y)
    groups = [rank_groups(P[:, c], (codes == c).astype(np.float64)) for c in range(P.shape[1])]

    def stat(w: np.ndarray) -> np.ndarray:
        aucs = np.stack([weighted_auc(o, s, ys, w) for o, s, ys in groups], axis=1)
        return aucs.mean(axis=1)  # NaN if any class's AUC is undefined, as scikit-learn

    return stat


__all__ = [
    "multiclass_accuracy",
    "multiclass_balanced_accuracy",
    "multiclass_f1_macro",
    "multiclass_f1_weighted",
    "multiclass_log_loss",
    "multiclass_roc_auc_ovr",
]
