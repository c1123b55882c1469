"""Multiclass classification: the target is one of the config's declared `labels`; predictions are the
(n x K) probability matrix in the order of those labels."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow_champion.tasks import multiclass_stats as stats
from airflow_champion.tasks.base import TargetCheck, TargetSpec, Task
from airflow_champion.tasks.metric import Metric

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

MULTICLASS = "multiclass"


def _k(P: np.ndarray) -> list[int]:
    return list(range(P.shape[1]))


def _log_loss(y: np.ndarray, P: np.ndarray) -> float:
    from sklearn.metrics import log_loss

    return float(log_loss(y, P, labels=_k(P)))


def _accuracy(y: np.ndarray, P: np.ndarray) -> float:
    from sklearn.metrics import accuracy_score

    return float(accuracy_score(y, P.argmax(axis=1)))


def _balanced_accuracy(y: np.ndarray, P: np.ndarray) -> float:
    from sklearn.metrics import balanced_accuracy_score

    return float(balanced_accuracy_score(y, P.argmax(axis=1)))


def _f1_macro(y: np.ndarray, P: np.ndarray) -> float:
    from sklearn.metrics import f1_score

    return float(f1_score(y, P.argmax(axis=1), average="macro", zero_division=0))


def _f1_weighted(y: np.ndarray, P: np.ndarray) -> float:
    from sklearn.metrics import f1_score

    return float(f1_score(y, P.argmax(axis=1), average="weighted", zero_division=0))


def _roc_auc_ovr(y: np.ndarray, P: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(y, P, multi_class="ovr", average="macro", labels=_k(P)))


METRICS: tuple[Metric, ...] = (
    Metric(
        "log_loss",
        MULTICLASS,
        False,
        "scores",
        _log_loss,
        stats.multiclass_log_loss,
        0.0,
        None,
        0.0,
        "mean negative log-likelihood of the true class",
    ),
    Metric(
        "accuracy",
        MULTICLASS,
        True,
        "labels",
        _accuracy,
        stats.multiclass_accuracy,
        0.0,
        1.0,
        1.0,
        "share of rows whose most probable class is right",
    ),
    Metric(
        "balanced_accuracy",
        MULTICLASS,
        True,
        "labels",
        _balanced_accuracy,
        stats.multiclass_balanced_accuracy,
        0.0,
        1.0,
        1.0,
        "mean recall over the classes",
    ),
    Metric(
        "f1_macro",
        MULTICLASS,
        True,
        "labels",
        _f1_macro,
        stats.multiclass_f1_macro,
        0.0,
        1.0,
        1.0,
        "mean F1 over the classes",
    ),
    Metric(
        "f1_weighted",
        MULTICLASS,
        True,
        "labels",
        _f1_weighted,
        stats.multiclass_f1_weighted,
        0.0,
        1.0,
        1.0,
        "F1 per class weighted by the class's rows",
    ),
    Metric(
        "roc_auc_ovr",
        MULTICLASS,
        True,
        "scores",
        _roc_auc_ovr,
        stats.multiclass_roc_auc_ovr,
        0.0,
        1.0,
        1.0,
        "mean one-vs-rest ROC AUC over the classes",
    ),
)


def _labels(data: TargetSpec) -> list[Any]:
    if not data.labels:
        raise ValueError(f"a multiclass target {data.target!r} needs its labels declared (data.labels)")
    return list(data.labels)


class MulticlassTask(Task):
    name = MULTICLASS
    METRICS = METRICS
    estimator_kind = "classifier"
    default_metric = "log_loss"
    target_type = "categorical"
    plots = ("confusion_matrix",)

    def encode_target(self, values: pd.Series, data: TargetSpec) -> np.ndarray:
        """The index of each value in `data.labels` (compared as text when either side is text)."""
        import numpy as np
        import pandas as pd

        labels = _labels(data)
        as_text = values.dtype == object or any(isinstance(v, str) for v in labels)
        keys = [str(v) for v in labels] if as_text else labels
        column = values.astype(str) if as_text else values
        codes = pd.Series(column).map({k: i for i, k in enumerate(keys)})
        if codes.isna().any():
            unknown = sorted({str(v) for v in column[codes.isna()]})[:5]
            raise ValueError(f"target {data.target!r} holds values outside labels {labels}: {unknown}")
        return codes.to_numpy(dtype=np.int64)

    def check_target(self, values: pd.Series, data: TargetSpec) -> str | None:
        try:
            self.encode_target(values.dropna(), data)
        except ValueError as exc:
            return str(exc)
        return None

    def stratify_labels(self, y: np.ndarray) -> np.ndarray | None:
        import numpy as np

        counts = np.bincount(np.asarray(y, dtype=int))
        return y if counts[counts > 0].min() >= 2 and (counts > 0).sum() >= 2 else None

    def judgeable(self, y: np.ndarray) -> str | None:
        import numpy as np

        if len(y) == 0 or np.unique(y).size < 2:
            return f"{len(y)} rows and a single class; the metrics need at least two classes"
        return None

    def target_checks(self, data: TargetSpec) -> list[TargetCheck]:
        labels = _labels(data)
        return [
            TargetCheck(
                "in_set", f"multiclass target with labels {labels}", {"values": labels, "check": "labels"}
            ),
            TargetCheck(
                "min_count_per_value",
                f"every class needs at least {data.min_per_class} rows (data.min_per_class) to train on",
                {"values": labels, "min_count": data.min_per_class, "check": "class_counts"},
            ),
        ]

    def predict(self, model: Any, X: pd.DataFrame, data: TargetSpec) -> np.ndarray:
        """P(class) in the order of `data.labels`; a class the model never saw gets probability 0."""
        import numpy as np

        k = len(_labels(data))
        proba = np.asarray(model.predict_proba(X), dtype=np.float64)
        classes = [int(c) for c in getattr(model, "classes_", range(proba.shape[1]))]
        out = np.zeros((proba.shape[0], k))
        for j, c in enumerate(classes):
            if not 0 <= c < k:
                raise ValueError(f"model class {c} is not one of the {k} declared labels")
            out[:, c] = proba[:, j]
        return out

    def prediction_columns(self, pred: np.ndarray, data: TargetSpec) -> dict[str, np.ndarray]:
        return {f"p({label})": pred[:, i] for i, label in enumerate(_labels(data))}


__all__ = ["METRICS", "MULTICLASS", "MulticlassTask"]
