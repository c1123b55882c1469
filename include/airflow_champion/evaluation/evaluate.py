"""Gate 3: champion vs challenger on the same judged rows -> the verdict (the "blessing" promotion reads).

The judged rows are the challenger snapshot's holdout (by the config's holdout policy) minus every row
either model was trained on (evaluation.judged). The metric, its direction and its bootstrap statistic
come from the registry; the predictions from the model's task; possible leakage rejects (evaluation.
leakage), and so do the slice, calibration, budget and revocation checks (evaluation.checks). The
verdict is recorded by `evaluation.record`.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import numpy as np

from airflow_champion.errors import EvaluationError
from airflow_champion.evaluation import leakage
from airflow_champion.evaluation.bootstrap import gate_bootstrap_with
from airflow_champion.evaluation.calibration import calibration_statistics
from airflow_champion.evaluation.checks import run_checks
from airflow_champion.evaluation.decision import decide
from airflow_champion.evaluation.judged import Judged, champion_training, judged_rows
from airflow_champion.evaluation.predictions import (
    load_version,
    predict_loaded,
    predict_rows,
    predict_version,
)
from airflow_champion.evaluation.record import find_recorded_verdict, record_verdict
from airflow_champion.registry import revocation, tracking
from airflow_champion.reports.jsonsafe import finite_or_none
from airflow_champion.tasks import Task, get_task

if TYPE_CHECKING:
    import pandas as pd

    from airflow_champion.config import ModelConfig
    from airflow_champion.tasks.metric import Metric

log = logging.getLogger(__name__)


def _score(cfg: ModelConfig, metric: Metric, y: np.ndarray, pred: np.ndarray, role: str) -> float:
    try:
        return float(metric.score(y, pred))
    except ValueError as exc:
        raise EvaluationError(
            f"{cfg.name}: {metric.name} of the {role} is undefined on the judged rows: {exc}"
        ) from exc


def _blockers(cfg: ModelConfig, judged: Judged, metric: Metric, ch_score: float) -> list[str]:
    out = leakage.holdout_blockers(cfg, judged.info)
    if cfg.promotion.leakage_checks:
        out += leakage.perfect_score(metric, ch_score, len(judged.y), "challenger")
        X_train, y_train = leakage.training_sample(cfg, judged.split.train)
        out += leakage.single_feature_leaks(cfg, X_train, y_train, judged.X, judged.y)
    return out


def _shared_bootstrap(
    cfg: ModelConfig, task: Task, metric: Metric, judged: Judged, p_ch: np.ndarray, p_cp: np.ndarray
) -> tuple[dict[str, Any], dict[str, np.ndarray] | None] | ValueError:
    """The promotion gate's paired bootstrap and, on the same resamples (same samples, seed and
    clusters), the calibration gate's: one pass instead of two, the same numbers. A failure is
    returned, to be raised where the gate's bootstrap runs; calibration then bootstraps on its own."""
    try:
        extra = calibration_statistics(cfg, task.name, judged.y, p_ch, p_cp)
    except ValueError:  # calibration_gate meets it again and raises it where it always did
        extra = {}
    try:
        boot, draws = gate_bootstrap_with(
            cfg, metric, judged.y, p_ch, p_cp, clusters=judged.clusters, extra=extra
        )
    except ValueError as exc:
        return exc
    return boot, (draws or None)


def evaluate_challenger(
    cfg: ModelConfig,
    df: pd.DataFrame,
    *,
    snapshot_id: str,
    challenger_version: int,
    champion_version: int | None,
    snapshot_sha256: str | None = None,
) -> dict[str, Any]:
    """Score challenger and champion on the snapshot's judged rows and return the verdict (JSON-safe).

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
    if recorded is not None and revocation.revoked_reason(tracking.client(), cfg, challenger_version):
        recorded = None  # judged before it was revoked: that verdict no longer stands
    if recorded is not None:
        log.info(
            "%s: v%s vs %s was judged on these data before: %s (reused)",
            cfg.name,
            challenger_version,
            champion_version,
            recorded.get("decision"),
        )
        return {**recorded, "reused": True}

    same = champion_version is not None and int(champion_version) == int(challenger_version)
    seen_by_champion = (
        champion_training(cfg, int(champion_version)) if champion_version is not None and not same else None
    )
    judged = judged_rows(cfg, df, champion_training=seen_by_champion)
    X, y = judged.X, judged.y
    why = task.judgeable(y)
    if why:
        raise EvaluationError(
            f"{cfg.name}: the judged rows of snapshot {snapshot_id} have {why} "
            f"(challenger v{challenger_version}; {judged.info})"
        )
    challenger_model = load_version(cfg, challenger_version, "challenger")
    p_ch = predict_loaded(cfg, task, challenger_model, challenger_version, "challenger", X)
    p_cp = None
    if champion_version is not None:
        p_cp = (
            p_ch
            if same
            else predict_rows(cfg, task, int(champion_version), "champion", df, X, judged.positions)
        )
    sections: dict[str, Any] = {"slices": None, "calibration": None, "budgets": None, "revoked": None}
    check_blockers: list[str] = []
    shared = None if p_cp is None or same else _shared_bootstrap(cfg, task, metric, judged, p_ch, p_cp)
    if not same:
        sections, check_blockers = run_checks(
            cfg,
            task,
            judged,
            challenger_model=challenger_model,
            challenger_version=int(challenger_version),
            p_ch=p_ch,
            p_cp=p_cp,
            calibration_draws=shared[1] if isinstance(shared, tuple) else None,
        )

    ch_score = _score(cfg, metric, y, p_ch, "challenger")
    cp_score = _score(cfg, metric, y, p_cp, "champion") if p_cp is not None else None
    boot: dict[str, Any] | None = None
    if shared is not None:
        assert cp_score is not None
        if isinstance(shared, ValueError):  # raised where the bootstrap always failed: after the checks
            raise EvaluationError(f"{cfg.name}: the bootstrap of {metric.name} failed: {shared}") from shared
        boot = shared[0]
        boot["diff"] = metric.oriented(ch_score, cp_score)
    decision, reasons, rel_gain = decide(
        cfg,
        challenger_version=challenger_version,
        champion_version=champion_version,
        challenger_score=ch_score,
        champion_score=cp_score,
        boot=boot,
        blockers=[] if same else [*check_blockers, *_blockers(cfg, judged, metric, ch_score)],
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
        "judged": judged.info,
        "floor": float(cfg.promotion.floor),
        "evaluated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "eval_run_id": None,
        "eval_run_url": None,
        "reused": False,
        "report_uri": None,
        **sections,
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


__all__ = ["evaluate_challenger", "load_version", "predict_loaded", "predict_rows", "predict_version"]
