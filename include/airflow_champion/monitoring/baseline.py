"""What the drift monitor compares a snapshot with: the champion's reference rows, and the rows
whose champion predictions are the prediction-drift baseline.

The feature reference is a sample of the champion's training rows, logged with its training run
(modeling.references). The prediction baseline is the champion's predictions on rows it was *not*
fit on: its holdout (logged too; else recomputed from its training snapshot). Its predictions on
its own training rows are more extreme than on any fresh data, which alone reads as prediction drift
(churn champion, clean data: normed Wasserstein 0.08-0.12 against training-row scores, 0.02 between
two fresh samples), so the training rows are only a last resort, and the verdict says so.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from airflow_champion.data.reading import load_snapshot
from airflow_champion.errors import MlopsError, classified, is_transient
from airflow_champion.modeling import references
from airflow_champion.modeling.holdout import split_holdout
from airflow_champion.modeling.pipeline import features
from airflow_champion.monitoring.sampling import sample_frame
from airflow_champion.registry import tags, tracking
from airflow_champion.tasks import get_task

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from airflow_champion.config import ModelConfig

log = logging.getLogger(__name__)

REFERENCE_SEED = 0
CURRENT_SEED = 1
"""compute_drift samples the reference with seed 0 and the current side with seed 1, so sampling here
with the same seeds picks the very rows it would have picked, only before scoring."""


class DriftReferenceError(MlopsError):
    """The champion's training reference sample cannot be loaded (not logged, or unreadable)."""


def load_reference(cfg: ModelConfig, champion: int) -> pd.DataFrame:
    """The champion's training reference sample; DriftReferenceError (named) when it cannot be had."""
    try:
        return references.load_reference(cfg, champion)
    except Exception as exc:  # MLflow raises several types for a missing or unreadable artifact
        raise classified(
            exc,
            DriftReferenceError,
            f"{cfg.name} v{champion}: cannot load its drift reference ({references.REFERENCE_ARTIFACT} of "
            "its training run)",
        ) from exc


def _snapshot_holdout(cfg: ModelConfig, mv: Any) -> pd.DataFrame:
    """The holdout rows of the champion's training snapshot, split exactly as training split them."""
    sid = tags.read(mv, "snapshot_id")
    if not sid:
        raise ValueError("the version has no mlops.snapshot_id tag")
    params = tracking.client().get_run(str(mv.run_id)).data.params
    logged = (params.get("holdout.fraction"), params.get("holdout.seed"))
    if logged != (str(cfg.holdout.fraction), str(cfg.holdout.seed)):
        raise ValueError(f"holdout settings changed since training (fraction, seed were {logged})")
    df, manifest = load_snapshot(cfg, sid)
    if manifest.sha256 != tags.read(mv, "snapshot_sha256"):
        raise ValueError(f"snapshot {sid} is not the data the champion was trained on (sha256 differs)")
    return split_holdout(cfg, df).judged


def score_baseline(
    cfg: ModelConfig, champion: int, reference: pd.DataFrame
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Rows whose champion scores are the prediction-drift baseline: rows it was not fit on.

    Its scores on its own training rows are more extreme than on any fresh data, which alone reads as
    prediction drift (churn champion, clean data: normed Wasserstein 0.08-0.12 against training-row
    scores, 0.02 between two fresh samples). So the baseline is its holdout (a logged artifact, else
    the holdout of its training snapshot); the training rows only as a last resort, said so.
    """
    mv = tracking.client().get_model_version(cfg.registered_model_name, str(champion))
    trained_on = tags.read(mv, "snapshot_id")
    try:
        if not mv.run_id:
            raise ValueError("the version has no training run")
        holdout = references.load_holdout_sample(mv.run_id)
        source = "holdout artifact"
        if holdout is None:
            holdout, source = _snapshot_holdout(cfg, mv), f"holdout of snapshot {trained_on}"
    except Exception as exc:  # storage, MLflow or a changed config: fall back, and say why
        if is_transient(exc):  # a blink would make this run's prediction drift biased: retry instead
            raise classified(
                exc, DriftReferenceError, f"{cfg.name} v{champion}: cannot load its holdout"
            ) from exc
        note = f"holdout unavailable ({type(exc).__name__}: {exc}); training rows score more extreme"
        log.warning("%s v%s: prediction-drift baseline: %s", cfg.name, champion, note)
        return reference, {"source": "training rows (in-sample, biased towards drift)", "note": note[:2000]}
    baseline, info = sample_frame(holdout, cfg.drift.max_rows, REFERENCE_SEED)
    return baseline, {"source": source, "rows": info["rows"], "note": None}


def score_champion(
    cfg: ModelConfig, champion: int, baseline: pd.DataFrame, current: pd.DataFrame
) -> tuple[np.ndarray | None, np.ndarray | None, dict[str, Any]]:
    """The champion's predictions (as its task defines them) on the baseline and the current rows.

    Data the champion cannot score (a missing or non-numeric column: the monitor may see a snapshot
    before validation does) costs the prediction drift, recorded as an error, not the verdict.
    """
    model = tracking.load_model(cfg, champion)
    info: dict[str, Any] = {"reference_rows": len(baseline), "current_rows": len(current), "error": None}
    try:
        task = get_task(cfg.task)
        return (
            task.predict(model, features(cfg, baseline), cfg.data),
            task.predict(model, features(cfg, current), cfg.data),
            info,
        )
    except (KeyError, ValueError, TypeError) as exc:
        info["error"] = f"{type(exc).__name__}: {exc}"[:2000]
        log.warning("%s v%s cannot score for prediction drift: %s", cfg.name, champion, info["error"])
        return None, None, info
