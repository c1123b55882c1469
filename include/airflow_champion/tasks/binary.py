"""Binary classification: the target is "is it the positive label?", predictions are P(positive)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow_champion.tasks.base import TargetCheck, TargetSpec, Task
from airflow_champion.tasks.metrics import BINARY

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd


class BinaryTask(Task):
    name = BINARY
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

    def predict(self, model: Any, X: pd.DataFrame) -> np.ndarray:
        """P(positive class) for each row: the column of class 1 in predict_proba."""
        import numpy as np

        proba = np.asarray(model.predict_proba(X))
        classes = [int(c) for c in getattr(model, "classes_", [0, 1])]
        if 1 not in classes:
            raise ValueError(f"model classes {classes} do not include the positive class 1")
        return proba[:, classes.index(1)].astype(np.float64)

    def prediction_columns(self, pred: np.ndarray) -> dict[str, np.ndarray]:
        return {"prediction": pred}


def _labels_of(positive: str | int | bool) -> list[Any] | None:
    """The two labels when they follow from the positive label (0/1, False/True), else unknown."""
    if isinstance(positive, bool):
        return [False, True]
    if isinstance(positive, int) and positive in (0, 1):
        return [0, 1]
    return None


__all__ = ["BinaryTask"]
