"""Binary classification: the target is "is it the positive label?", predictions are P(positive)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow_champion.tasks import binary_stats as stats
from airflow_champion.tasks.base import TargetCheck, TargetSpec, Task
from airflow_champion.tasks.metric import Metric
from airflow_champion.tasks.thresholds import PROBA_CLIP, THRESHOLD

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd


# ------------------------------------------------------------------------- point estimates (sklearn)
# y holds 0/1, p the probability of the positive class; label metrics threshold at THRESHOLD.


def _roc_auc(y: np.ndarray, p: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(y, p))


def _average_precision(y: np.ndarray, p: np.ndarray) -> float:
    from sklearn.metrics import average_precision_score

    return float(average_precision_score(y, p))


def _accuracy(y: np.ndarray, p: np.ndarray) -> float:
    from sklearn.metrics import accuracy_score

    return float(accuracy_score(y, (p >= THRESHOLD).astype(int)))


def _balanced_accuracy(y: np.ndarray, p: np.ndarray) -> float:
    from sklearn.metrics import balanced_accuracy_score

    return float(balanced_accuracy_score(y, (p >= THRESHOLD).astype(int)))


def _f1(y: np.ndarray, p: np.ndarray) -> float:
    from sklearn.metrics import f1_score

    return float(f1_score(y, (p >= THRESHOLD).astype(int), zero_division=0))


def _log_loss(y: np.ndarray, p: np.ndarray) -> float:
    import numpy as np
    from sklearn.metrics import log_loss

    return float(log_loss(y, np.clip(p, PROBA_CLIP, 1 - PROBA_CLIP), labels=[0, 1]))


def _brier(y: np.ndarray, p: np.ndarray) -> float:
    from sklearn.metrics import brier_score_loss

    return float(brier_score_loss(y, p))


BINARY = "binary"
METRICS: tuple[Metric, ...] = (
    Metric(
        "roc_auc",
        BINARY,
        True,
        "scores",
        _roc_auc,
        stats.binary_roc_auc,
        0.0,
        1.0,
        1.0,
        "area under the ROC curve",
    ),
    Metric(
        "average_precision",
        BINARY,
        True,
        "scores",
        _average_precision,
        stats.binary_average_precision,
        0.0,
        1.0,
        1.0,
        "area under the precision-recall curve",
    ),
    Metric(
        "accuracy",
        BINARY,
        True,
        "labels",
        _accuracy,
        stats.binary_accuracy,
        0.0,
        1.0,
        1.0,
        f"share of correct labels at threshold {THRESHOLD}",
    ),
    Metric(
        "balanced_accuracy",
        BINARY,
        True,
        "labels",
        _balanced_accuracy,
        stats.binary_balanced_accuracy,
        0.0,
        1.0,
        1.0,
        "mean recall of the two classes",
    ),
    Metric(
        "f1",
        BINARY,
        True,
        "labels",
        _f1,
        stats.binary_f1,
        0.0,
        1.0,
        1.0,
        "harmonic mean of precision and recall of the positive class",
    ),
    Metric(
        "log_loss",
        BINARY,
        False,
        "scores",
        _log_loss,
        stats.binary_log_loss,
        0.0,
        None,
        0.0,
        "mean negative log-likelihood",
    ),
    Metric(
        "brier",
        BINARY,
        False,
        "scores",
        _brier,
        stats.binary_brier,
        0.0,
        1.0,
        0.0,
        "mean squared error of the probability",
    ),
)


class BinaryTask(Task):
    name = BINARY
    METRICS = METRICS
    estimator_kind = "classifier"
    default_metric = "roc_auc"
    plots = ("roc_curve", "pr_curve", "confusion_matrix")

    def encode_target(self, values: pd.Series, data: TargetSpec) -> np.ndarray:
        """1 for the configured positive label, else 0 (compared as text when the column is text)."""
        pos = data.positive_label
        if values.dtype == object or isinstance(pos, str):
            return (values.astype(str) == str(pos)).to_numpy(dtype=int)
        return (values == pos).to_numpy(dtype=int)

    def stratify_labels(self, y: np.ndarray) -> np.ndarray | None:
        import numpy as np

        counts = np.bincount(np.asarray(y, dtype=int), minlength=2)
        return y if counts.min() >= 2 else None

    def check_target(self, values: pd.Series, data: TargetSpec) -> str | None:
        distinct = values.dropna().unique()
        if len(distinct) > 2:
            shown = ", ".join(repr(v) for v in sorted(distinct, key=str)[:6])
            return (
                f"target {data.target!r} has {len(distinct)} distinct values ({shown}); a binary task "
                "needs two (set task: multiclass, or recode the column)"
            )
        return None

    def judgeable(self, y: np.ndarray) -> str | None:
        import numpy as np

        if y.size == 0 or np.unique(y).size < 2:
            return f"{y.size} rows and a single class; AUC-type metrics and the bootstrap need both classes"
        return None

    def target_checks(self, data: TargetSpec) -> list[TargetCheck]:
        checks = []
        labels = _labels_of(data.positive_label)
        if labels is not None:
            checks.append(
                TargetCheck(
                    "in_set",
                    f"binary target with positive_label {data.positive_label!r}",
                    {"values": labels, "check": "labels"},
                )
            )
        checks.append(
            TargetCheck(
                "n_distinct",
                "a binary classifier needs both classes",
                {"min": 2, "max": 2, "check": "both_classes"},
            )
        )
        return checks

    target_type = "categorical"

    def predict(self, model: Any, X: pd.DataFrame, data: TargetSpec) -> np.ndarray:
        """P(positive class) for each row: the column of class 1 in predict_proba."""
        import numpy as np

        proba = np.asarray(model.predict_proba(X))
        classes = [int(c) for c in getattr(model, "classes_", [0, 1])]
        if 1 not in classes:
            raise ValueError(f"model classes {classes} do not include the positive class 1")
        return proba[:, classes.index(1)].astype(np.float64)


def _labels_of(positive: str | int | bool) -> list[Any] | None:
    """The two labels when they follow from the positive label (0/1, False/True), else unknown."""
    if isinstance(positive, bool):
        return [False, True]
    if isinstance(positive, int) and positive in (0, 1):
        return [0, 1]
    return None


__all__ = ["BINARY", "METRICS", "BinaryTask"]
