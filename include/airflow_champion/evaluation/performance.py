"""The champion's measured score on newly labelled data: the monitor that needs no estimation.

Every snapshot carries labels, so the champion can simply be scored on it. Rows any of the compared
versions was trained on are left out first (an overlapping extract would flatter them), and the
score is set against the one the version was promoted on (its ledger entry), so a drop is in the
promotion metric's own units and direction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from airflow_champion.errors import EvaluationError
from airflow_champion.evaluation.judged import champion_training, clusters_of
from airflow_champion.modeling import fingerprints
from airflow_champion.modeling.pipeline import features, target
from airflow_champion.registry import ledger
from airflow_champion.reports.jsonsafe import finite_or_none

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from airflow_champion.config import ModelConfig


@dataclass
class Unseen:
    """Labelled rows none of `versions` was trained on, as the models see them."""

    rows: pd.DataFrame
    X: pd.DataFrame
    y: np.ndarray
    clusters: np.ndarray | None
    info: dict[str, Any] = field(default_factory=dict)
    positions: np.ndarray | None = None
    """Where each unseen row is in `df` (to share predictions of its rows)."""


def unseen_rows(cfg: ModelConfig, df: pd.DataFrame, versions: list[int]) -> Unseen:
    """The rows of `df` that no version in `versions` was trained on (by row fingerprint)."""
    import numpy as np

    X_all = features(cfg, df)  # once: the fingerprints and the unseen rows' features both need it
    fp = fingerprints.shared_fingerprints(cfg, df, X_all)
    seen = np.zeros(fp.shape[0], dtype=bool)
    per_version: dict[str, int] = {}
    for v in versions:
        mask = fingerprints.seen(fp, champion_training(cfg, int(v)))
        per_version[f"v{v}"] = int(mask.sum())
        seen |= mask
    fresh = not seen.any()  # a new snapshot: every row, no copy of the frame
    rows, X = (df, X_all) if fresh else (df[~seen], X_all[~seen])
    info = {"rows": len(df), "unseen_rows": int((~seen).sum()), "trained_on_by": per_version}
    return Unseen(
        rows=rows,
        X=X,
        y=np.asarray(target(cfg, rows)),
        clusters=clusters_of(cfg, rows),
        info=info,
        positions=np.flatnonzero(~seen),
    )


def promoted_score(entries: list[dict[str, Any]], version: int) -> float | None:
    """The promotion metric the version was promoted on (its latest `promote` ledger entry)."""
    for e in reversed(entries):
        if e.get("action") == "promote" and int(e.get("to_version") or -1) == int(version):
            value = (e.get("metric") or {}).get("challenger")
            return float(value) if value is not None else None
    return None


def champion_performance(
    cfg: ModelConfig, df: pd.DataFrame, champion: int, *, entries: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """The champion's metric on the labelled rows of `df` it was not trained on, and how far it fell
    from the score it was promoted on (`drop` > 0 means worse, in metric units)."""
    from airflow_champion.evaluation.predictions import predict_rows
    from airflow_champion.tasks import get_task

    metric, task = cfg.metric_entry, get_task(cfg.task)
    entries = ledger.read_ledger(cfg) if entries is None else entries
    unseen = unseen_rows(cfg, df, [champion])
    out: dict[str, Any] = {
        "version": int(champion),
        "metric": metric.name,
        "direction": metric.direction,
        **unseen.info,
        "score": None,
        "promoted_score": finite_or_none(promoted_score(entries, champion)),
        "drop": None,
        "status": "ok",
    }
    if len(unseen.y) < cfg.drift.signals.min_labelled_rows:
        out["status"] = (
            f"{len(unseen.y)} unseen labelled rows < min_labelled_rows {cfg.drift.signals.min_labelled_rows}"
        )
        return out
    why = task.judgeable(unseen.y)
    if why:
        out["status"] = f"not scorable: {why}"
        return out
    pred = predict_rows(cfg, task, champion, "champion", df, unseen.X, unseen.positions)
    try:
        score = float(metric.score(unseen.y, pred))
    except ValueError as exc:
        raise EvaluationError(
            f"{cfg.name}: {metric.name} of champion v{champion} is undefined on the new rows: {exc}"
        ) from exc
    out["score"] = finite_or_none(score)
    if out["promoted_score"] is not None:
        out["drop"] = finite_or_none(metric.oriented(out["promoted_score"], score))
    return out


__all__ = ["Unseen", "champion_performance", "promoted_score", "unseen_rows"]
