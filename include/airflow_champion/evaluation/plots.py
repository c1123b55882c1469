"""The evaluation report's plots, by the names a task lists (`Task.plots`).

A bare Figure (no pyplot) keeps plotting thread-safe and headless. Each plot takes the judged labels,
one prediction array per model and the class names; binary: ROC, precision-recall and confusion
matrices; multiclass: confusion matrices; regression: predicted vs actual and residuals.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from airflow_champion.tasks.thresholds import THRESHOLD

if TYPE_CHECKING:
    from airflow_champion.tasks import Task

Series = list[tuple[str, np.ndarray, str]]
"""(label, predictions, colour) per model: the champion first, then the challenger."""


def _png(fig: Any) -> bytes:

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    return buf.getvalue()


def _figure(width: float = 5, height: float = 4.5) -> Any:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height))
    FigureCanvasAgg(fig)
    return fig


def roc_curve(y: np.ndarray, series: Series) -> bytes:
    from sklearn.metrics import auc
    from sklearn.metrics import roc_curve as curve

    fig = _figure()
    ax = fig.add_subplot()
    for label, p, color in series:
        fpr, tpr, _ = curve(y, p)
        ax.plot(fpr, tpr, color=color, label=f"{label} (AUC {auc(fpr, tpr):.4f})")
    ax.plot([0, 1], [0, 1], color="grey", linestyle=":", linewidth=1)
    ax.set(xlabel="false positive rate", ylabel="true positive rate", title="ROC curve (holdout)")
    ax.legend(loc="lower right")
    return _png(fig)


def pr_curve(y: np.ndarray, series: Series) -> bytes:
    from sklearn.metrics import precision_recall_curve

    fig = _figure()
    ax = fig.add_subplot()
    for label, p, color in series:
        prec, rec, _ = precision_recall_curve(y, p)
        ax.step(rec, prec, where="post", color=color, label=label)
    ax.axhline(float(y.mean()), color="grey", linestyle=":", linewidth=1, label="prevalence")
    ax.set(xlabel="recall", ylabel="precision", title="Precision-recall curve (holdout)", ylim=(0, 1.02))
    ax.legend(loc="lower left")
    return _png(fig)


def _confusion_panel(ax: Any, cm: np.ndarray, labels: list[str], title: str) -> None:
    ax.imshow(cm, cmap="Blues")
    mid = (cm.min() + cm.max()) / 2  # imshow normalises min..max, so dark cells are above the midpoint
    for (i, j), v in np.ndenumerate(cm):
        ax.text(j, i, str(v), ha="center", va="center", color="white" if v > mid else "black")
    ticks = list(range(len(labels)))
    ax.set(
        xticks=ticks,
        yticks=ticks,
        xticklabels=labels,
        yticklabels=labels,
        xlabel="predicted",
        ylabel="actual",
        title=title,
    )


def confusion_matrix(y: np.ndarray, series: Series, labels: list[str]) -> bytes:
    """One panel per model: binary at the threshold, multiclass by the most probable class."""
    from sklearn.metrics import confusion_matrix as matrix

    fig = _figure(4.2 * len(series), 4)
    axes = fig.subplots(1, len(series), squeeze=False)[0]
    codes = list(range(len(labels)))
    for ax, (label, p, _) in zip(axes, series, strict=True):
        binary = p.ndim == 1
        pred = (p >= THRESHOLD).astype(int) if binary else p.argmax(axis=1)
        cm = matrix(y, pred, labels=codes)
        _confusion_panel(ax, cm, labels, f"{label} @ {THRESHOLD}" if binary else label)
    fig.tight_layout()
    return _png(fig)


def predicted_vs_actual(y: np.ndarray, series: Series, labels: list[str]) -> bytes:
    fig = _figure()
    ax = fig.add_subplot()
    for label, p, color in series:
        ax.scatter(y, p, s=6, alpha=0.5, color=color, label=label)
    lo, hi = (
        float(min(y.min(), *(p.min() for _, p, _ in series))),
        float(max(y.max(), *(p.max() for _, p, _ in series))),
    )
    ax.plot([lo, hi], [lo, hi], color="grey", linestyle=":", linewidth=1)
    ax.set(xlabel="actual", ylabel="predicted", title="Predicted vs actual (judged rows)")
    ax.legend(loc="upper left")
    return _png(fig)


def residuals(y: np.ndarray, series: Series, labels: list[str]) -> bytes:
    fig = _figure()
    ax = fig.add_subplot()
    for label, p, color in series:
        ax.scatter(p, y - p, s=6, alpha=0.5, color=color, label=label)
    ax.axhline(0.0, color="grey", linestyle=":", linewidth=1)
    ax.set(xlabel="predicted", ylabel="actual - predicted", title="Residuals (judged rows)")
    ax.legend(loc="upper left")
    return _png(fig)


PLOTS: dict[str, Callable[[np.ndarray, Series, list[str]], bytes]] = {
    "roc_curve": lambda y, series, _labels: roc_curve(y, series),
    "pr_curve": lambda y, series, _labels: pr_curve(y, series),
    "confusion_matrix": confusion_matrix,
    "predicted_vs_actual": predicted_vs_actual,
    "residuals": residuals,
}


def plots_for(
    task: Task,
    y: np.ndarray,
    p_ch: np.ndarray,
    p_cp: np.ndarray | None,
    verdict: dict[str, Any],
    labels: list[str],
) -> dict[str, bytes]:
    """`<name>.png` -> PNG bytes for every plot the task lists (labels: the class names, if any)."""
    series: Series = [(f"challenger v{verdict['challenger_version']}", p_ch, "tab:orange")]
    if p_cp is not None:
        series.insert(0, (f"champion v{verdict['champion_version']}", p_cp, "tab:blue"))
    return {f"{name}.png": PLOTS[name](np.asarray(y), series, labels) for name in task.plots}


__all__ = ["PLOTS", "plots_for"]
