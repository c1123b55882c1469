"""Train a challenger: under the `train:<key>` lock, reuse the version this data and config made
before, or fit one (`modeling.fit`) and record it (`modeling.registration`)."""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from airflow_champion.modeling import registration
from airflow_champion.modeling.fit import fit_challenger
from airflow_champion.registry import locks, tags, tracking
from airflow_champion.reports.numbers import fmt

if TYPE_CHECKING:
    import pandas as pd
    from mlflow.tracking import MlflowClient

    from airflow_champion.config import ModelConfig

log = logging.getLogger(__name__)


@dataclass
class TrainResult:
    model: str
    snapshot_id: str
    version: int
    run_id: str
    experiment_id: str
    reused: bool
    idempotency_key: str
    metrics: dict[str, float] = field(default_factory=dict)
    train_rows: int = 0
    holdout_rows: int = 0
    run_url: str = ""
    version_url: str = ""
    duration_s: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _reused(
    client: MlflowClient, cfg: ModelConfig, mv: Any, snapshot_id: str, key: str, t0: float
) -> TrainResult:
    client.set_registered_model_alias(cfg.registered_model_name, tracking.CHALLENGER, mv.version)
    run = client.get_run(mv.run_id) if mv.run_id else None
    if run is not None and run.info.status == "RUNNING":
        # its attempt died after registering (we hold the train lock: no live trainer owns it); the
        # version is complete, so its run is too
        client.set_terminated(str(mv.run_id), status="FINISHED")
    exp_id = run.info.experiment_id if run else tracking.ensure_experiment(cfg)
    metrics = {k: float(v) for k, v in (run.data.metrics.items() if run else []) if k.startswith("holdout_")}
    params = run.data.params if run else {}
    log.info("Reusing %s v%s for %s (idempotency key %s)", cfg.name, mv.version, snapshot_id, key)
    return TrainResult(
        model=cfg.name,
        snapshot_id=snapshot_id,
        version=int(mv.version),
        run_id=str(mv.run_id),
        experiment_id=str(exp_id),
        reused=True,
        idempotency_key=key,
        metrics=metrics,
        train_rows=int(params.get("train_rows", 0)),
        holdout_rows=int(params.get("holdout_rows", 0)),
        run_url=tracking.run_url(str(exp_id), str(mv.run_id)),
        version_url=tracking.model_version_url(cfg.registered_model_name, int(mv.version)),
        duration_s=round(time.monotonic() - t0, 3),
    )


def train_challenger(
    cfg: ModelConfig,
    df: pd.DataFrame,
    *,
    snapshot_id: str,
    snapshot_sha256: str,
    force: bool = False,
    lineage: dict[str, str] | None = None,
) -> TrainResult:
    """The challenger of this snapshot: reused (same data + config, unless `force`) or newly fit."""
    t0 = time.monotonic()
    client = tracking.client()
    key = registration.idempotency_key(cfg, snapshot_sha256)
    run_lineage = {k: str(v) for k, v in (lineage or {}).items() if k in tags.RUN_LINEAGE}

    # One trainer per (model, data, config) at a time: two racing runs must not make two versions.
    with locks.named_lock(f"train:{key}", timeout=1800):
        if not force:
            existing = registration.find_version(client, cfg, key)
            if existing is not None:
                return _reused(client, cfg, existing, snapshot_id, key, t0)
        fitted = fit_challenger(cfg, df, snapshot_id)
        run_id, exp_id, mv = registration.log_and_register(
            cfg,
            fitted,
            snapshot_id=snapshot_id,
            snapshot_sha256=snapshot_sha256,
            key=key,
            lineage=run_lineage,
        )
    score = fitted.holdout_scores.get(cfg.metric.name)
    log.info(
        "Registered %s v%s from snapshot %s (%s=%s)",
        cfg.name,
        mv.version,
        snapshot_id,
        cfg.metric.name,
        fmt(score),
    )
    return TrainResult(
        model=cfg.name,
        snapshot_id=snapshot_id,
        version=int(mv.version),
        run_id=run_id,
        experiment_id=exp_id,
        reused=False,
        idempotency_key=key,
        metrics={f"holdout_{k}": v for k, v in fitted.holdout_scores.items()},
        train_rows=len(fitted.train_df),
        holdout_rows=len(fitted.holdout_df),
        run_url=tracking.run_url(exp_id, run_id),
        version_url=tracking.model_version_url(cfg.registered_model_name, int(mv.version)),
        duration_s=round(time.monotonic() - t0, 3),
    )
