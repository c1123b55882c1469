"""Gate 3: champion vs challenger on the same holdout -> the verdict (the "blessing" promotion reads).

The holdout is the deterministic split training left out, so both models are judged on rows neither
was fit on. The metric, its direction and its bootstrap statistic come from the registry; the
predictions from the model's task. The verdict is recorded by `evaluation.record`.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import numpy as np

from airflow_champion.errors import EvaluationError
from airflow_champion.evaluation.bootstrap import paired_bootstrap
from airflow_champion.evaluation.decision import decide
from airflow_champion.evaluation.record import find_recorded_verdict, record_verdict
from airflow_champion.modeling.holdout import split_holdout
from airflow_champion.modeling.pipeline import features_and_target
from airflow_champion.registry import tracking
from airflow_champion.reports.jsonsafe import finite_or_none
from airflow_champion.tasks import Task, get_task

if TYPE_CHECKING:
    import pandas as pd

    from airflow_champion.config import ModelConfig

log = logging.getLogger(__name__)


def predict_version(cfg: ModelConfig, task: Task, version: int, role: str, X: pd.DataFrame) -> np.ndarray:
    """Predictions of one registered version; any failure names the model, version and cause."""
    try:
        model = tracking.load_model(cfg, version)
    except Exception as exc:
        raise EvaluationError(
            f"{cfg.name}: cannot load {role} v{version} from the registry: {type(exc).__name__}: {exc}"
        ) from exc
    try:
        pred = task.predict(model, X)
    except Exception as exc:
        raise EvaluationError(
            f"{cfg.name}: {role} v{version} cannot score the holdout: {type(exc).__name__}: {exc}"
        ) from exc
    if not np.isfinite(pred).all():
        raise EvaluationError(f"{cfg.name}: {role} v{version} returned non-finite predictions")
    return pred


def evaluate_challenger(
    cfg: ModelConfig,
    df: pd.DataFrame,
    *,
    snapshot_id: str,
    challenger_version: int,
    champion_version: int | None,
    snapshot_sha256: str | None = None,
) -> dict[str, Any]:
    """Score challenger and champion on the snapshot's holdout and return the verdict (JSON-safe).

    With `snapshot_sha256` (the data's identity), an earlier finished evaluation of the same data,
    versions and config is returned (`reused: True`) instead of judging and recording again.
    """
    task = get_task(cfg.task)
    metric = cfg.metric_entry
    recorded = (
        find_recorded_verdict(cfg, snapshot_sha256, challenger_version, champion_version)
        if snapshot_sha256
        else None
    )
    if recorded is not None:
        log.info(
            "%s: v%s vs %s on %s was judged before: %s (reused)",
            cfg.name,
            challenger_version,
            champion_version,
            snapshot_id,
            recorded.get("decision"),
        )
        return {**recorded, "reused": True}
    _, holdout = split_holdout(cfg, df)
    X, y = features_and_target(cfg, holdout)
    why = task.judgeable(np.asarray(y))
    if why:
        raise EvaluationError(
            f"{cfg.name}: holdout of snapshot {snapshot_id} has {why} (challenger v{challenger_version})"
        )

    same = champion_version is not None and int(champion_version) == int(challenger_version)
    p_ch = predict_version(cfg, task, challenger_version, "challenger", X)
    p_cp = None
    if champion_version is not None:
        p_cp = p_ch if same else predict_version(cfg, task, int(champion_version), "champion", X)

    ch_score = float(metric.score(y, p_ch))
    cp_score = float(metric.score(y, p_cp)) if p_cp is not None else None
    boot: dict[str, Any] | None = None
    if p_cp is not None and not same:
        boot = paired_bootstrap(
            metric,
            y,
            p_ch,
            p_cp,
            samples=cfg.promotion.bootstrap_samples,
            alpha=cfg.promotion.significance,
            seed=cfg.holdout.seed,
        )
        assert cp_score is not None
        boot["diff"] = metric.oriented(ch_score, cp_score)  # the point estimate is scikit-learn's
    decision, reasons, rel_gain = decide(
        cfg,
        challenger_version=challenger_version,
        champion_version=champion_version,
        challenger_score=ch_score,
        champion_score=cp_score,
        boot=boot,
    )
    diff = boot["diff"] if boot else (0.0 if same else None)
    verdict: dict[str, Any] = {
        "model": cfg.name,
        "task": task.name,
        "snapshot_id": snapshot_id,
        "snapshot_sha256": snapshot_sha256,
        "challenger_version": int(challenger_version),
        "champion_version": None if champion_version is None else int(champion_version),
        "decision": decision,
        "reasons": reasons,
        "metric": metric.name,
        "direction": metric.direction,
        "challenger_score": finite_or_none(ch_score),
        "champion_score": finite_or_none(cp_score),
        "diff": finite_or_none(diff),
        "rel_gain": finite_or_none(rel_gain),
        "ci_low": finite_or_none(boot["ci_low"]) if boot else None,
        "ci_high": finite_or_none(boot["ci_high"]) if boot else None,
        "confidence": float(1 - cfg.promotion.significance),
        "bootstrap_samples": int(boot["samples_used"]) if boot else 0,
        "holdout_rows": len(y),
        "floor": float(cfg.promotion.floor),
        "evaluated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "eval_run_id": None,
        "eval_run_url": None,
        "reused": False,
        "report_uri": None,
        "challenger_scores": {k: finite_or_none(v) for k, v in task.all_scores(y, p_ch).items()},
        "champion_scores": (
            {k: finite_or_none(v) for k, v in task.all_scores(y, p_cp).items()} if p_cp is not None else None
        ),
    }
    record_verdict(cfg, verdict, y, p_ch, None if same else p_cp, tag_version=not same)
    log.info(
        "%s: challenger v%s vs champion %s -> %s (%s)",
        cfg.name,
        challenger_version,
        champion_version,
        decision,
        "; ".join(reasons),
    )
    return verdict


__all__ = ["evaluate_challenger", "predict_version"]
