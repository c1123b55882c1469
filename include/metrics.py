"""The metrics a config may name, on predicted probabilities of the positive class."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

THRESHOLD = 0.5


def _roc_auc(y: np.ndarray, p: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(y, p))


def _average_precision(y: np.ndarray, p: np.ndarray) -> float:
    from sklearn.metrics import average_precision_score

    return float(average_precision_score(y, p))


def _accuracy(y: np.ndarray, p: np.ndarray) -> float:
    return float(np.mean((p >= THRESHOLD).astype(int) == y))


def _balanced_accuracy(y: np.ndarray, p: np.ndarray) -> float:
    from sklearn.metrics import balanced_accuracy_score

    return float(balanced_accuracy_score(y, (p >= THRESHOLD).astype(int)))


def _f1(y: np.ndarray, p: np.ndarray) -> float:
    from sklearn.metrics import f1_score

    return float(f1_score(y, (p >= THRESHOLD).astype(int), zero_division=0))


def _log_loss(y: np.ndarray, p: np.ndarray) -> float:
    from sklearn.metrics import log_loss

    return float(log_loss(y, np.clip(p, 1e-15, 1 - 1e-15), labels=[0, 1]))


def _brier(y: np.ndarray, p: np.ndarray) -> float:
    return float(np.mean((p - y) ** 2))


METRICS: dict[str, Callable[[np.ndarray, np.ndarray], float]] = {
    "roc_auc": _roc_auc,
    "average_precision": _average_precision,
    "accuracy": _accuracy,
    "balanced_accuracy": _balanced_accuracy,
    "f1": _f1,
    "log_loss": _log_loss,
    "brier": _brier,
}


def score(name: str, y_true: Any, proba: Any) -> float:
    if name not in METRICS:
        raise ValueError(f"unknown metric {name!r}; known: {sorted(METRICS)}")
    return METRICS[name](np.asarray(y_true).astype(int), np.asarray(proba, dtype=float))


def all_scores(y_true: Any, proba: Any) -> dict[str, float]:
    """Every metric, so a run's numbers are comparable whatever metric its config promotes on."""
    y = np.asarray(y_true).astype(int)
    p = np.asarray(proba, dtype=float)
    if len(np.unique(y)) < 2:
        return {k: fn(y, p) for k, fn in METRICS.items() if k in {"accuracy", "brier"}}
    return {k: fn(y, p) for k, fn in METRICS.items()}
