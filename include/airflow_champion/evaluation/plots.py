"""The evaluation report's plots, by the names a task lists (`Task.plots`).

A bare Figure (no pyplot) keeps plotting thread-safe and headless. Each plot takes the judged labels
and one prediction array per model; binary: ROC, precision-recall and confusion matrices.
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


def confusion_matrix(y: np.ndarray, series: Series) -> bytes:
    from sklearn.metrics import confusion_matrix as matrix

    fig = _figure(4.2 * len(series), 4)
    axes = fig.subplots(1, len(series), squeeze=False)[0]
    for ax, (label, p, _) in zip(axes, series, strict=True):
        cm = matrix(y, (p >= THRESHOLD).astype(int), labels=[0, 1])
        _confusion_panel(ax, cm, ["0", "1"], f"{label} @ {THRESHOLD}")
    fig.tight_layout()
    return _png(fig)


PLOTS: dict[str, Callable[[np.ndarray, Series], bytes]] = {
    "roc_curve": roc_curve,
    "pr_curve": pr_curve,
    "confusion_matrix": confusion_matrix,
}


def plots_for(
    task: Task, y: np.ndarray, p_ch: np.ndarray, p_cp: np.ndarray | None, verdict: dict[str, Any]
) -> dict[str, bytes]:
    """`<name>.png` -> PNG bytes for every plot the task lists."""
    series: Series = [(f"challenger v{verdict['challenger_version']}", p_ch, "tab:orange")]
    if p_cp is not None:
        series.insert(0, (f"champion v{verdict['champion_version']}", p_cp, "tab:blue"))
    return {f"{name}.png": PLOTS[name](np.asarray(y), series) for name in task.plots}


__all__ = ["PLOTS", "plots_for"]
