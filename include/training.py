"""Fit a challenger, track it in MLflow with its lineage, register it and alias it `challenger`.

Idempotent per (model, snapshot sha256, config hash): a retried or cleared task, or a re-run on the
same data and config, finds the version it made before (by its `mlops.idempotency_key` tag, set
atomically when the version is created) and reuses it, unless `force` is given.
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from include import locks, model_io, settings, tracking
from include.errors import TrainingError

if TYPE_CHECKING:
    import pandas as pd
    from mlflow.tracking import MlflowClient

    from include.config import ModelConfig

log = logging.getLogger(__name__)

REFERENCE_ARTIFACT = "reference/reference.parquet"
PIP_REQUIREMENTS = ["scikit-learn", "skops", "pandas<3", "numpy"]
LINEAGE_KEYS = ("dag_id", "run_id", "run_type", "trigger_reason")


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


def idempotency_key(cfg: ModelConfig, snapshot_sha256: str) -> str:
    return f"{cfg.name}:{snapshot_sha256}:{cfg.config_hash}"


def find_version(client: MlflowClient, cfg: ModelConfig, key: str) -> Any | None:
    """The newest registered version carrying this idempotency key, if any."""
    from mlflow.exceptions import MlflowException

    try:
        versions = client.search_model_versions(f"name='{cfg.registered_model_name}'")
    except MlflowException:
        return None
    hits = [v for v in versions if (v.tags or {}).get(f"{tracking.TAG_PREFIX}idempotency_key") == key]
    return max(hits, key=lambda v: int(v.version)) if hits else None


def _ensure_registered_model(client: MlflowClient, cfg: ModelConfig) -> None:
    from mlflow.exceptions import MlflowException

    try:
        client.get_registered_model(cfg.registered_model_name)
    except MlflowException:
        try:
            client.create_registered_model(
                cfg.registered_model_name,
                tags={f"{tracking.TAG_PREFIX}owner": cfg.owner, **cfg.tags},
                description=cfg.description,
            )
        except MlflowException:
            client.get_registered_model(cfg.registered_model_name)  # created concurrently


def _reused(
    client: MlflowClient, cfg: ModelConfig, mv: Any, snapshot_id: str, key: str, t0: float
) -> TrainResult:
    client.set_registered_model_alias(cfg.registered_model_name, tracking.CHALLENGER, mv.version)
    run = client.get_run(mv.run_id) if mv.run_id else None
    exp_id = run.info.experiment_id if run else tracking.ensure_experiment(cfg)
    metrics = {k: float(v) for k, v in (run.data.metrics.items() if run else []) if k.startswith("holdout_")}
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
        run_url=tracking.run_url(str(exp_id), str(mv.run_id)),
        version_url=tracking.model_version_url(cfg.registered_model_name, int(mv.version)),
        duration_s=round(time.monotonic() - t0, 3),
    )


def _one_version_per_run(client: MlflowClient, cfg: ModelConfig, mv: Any, run_id: str) -> Any:
    """Keep the first version registered from this run and delete any others.

    MLflow's HTTP client re-sends a POST whose answer was lost (it retries every method), so one
    create_model_version call can register the same model twice. We hold the `train:<key>` lock and
    nothing points at the extra versions yet, so deleting them is safe.
    """
    mine = [
        v for v in client.search_model_versions(f"run_id='{run_id}'") if v.name == cfg.registered_model_name
    ]
    if len(mine) <= 1:
        return mv
    keep, *extra = sorted(mine, key=lambda v: int(v.version))
    for v in extra:
        log.warning(
            "%s: v%s duplicates v%s (a re-sent registration); deleting it", cfg.name, v.version, keep.version
        )
        client.delete_model_version(cfg.registered_model_name, str(v.version))
    return keep


def _supersede_orphans(client: MlflowClient, experiment_id: str, key: str) -> None:
    """Close training runs of this key left RUNNING by an attempt that died (worker killed, tracking
    server lost mid-run). We hold the `train:<key>` lock, so no live trainer owns them."""
    orphans = client.search_runs(
        [experiment_id],
        filter_string=(
            f"tags.`{tracking.TAG_PREFIX}idempotency_key` = '{key}' and attributes.status = 'RUNNING'"
        ),
        max_results=100,
    )
    for run in orphans:
        log.warning("Marking orphaned training run %s FAILED (its attempt died)", run.info.run_id)
        client.set_tag(run.info.run_id, f"{tracking.TAG_PREFIX}superseded", "attempt died before registering")
        client.set_terminated(run.info.run_id, status="FAILED")


def train_challenger(
    cfg: ModelConfig,
    df: pd.DataFrame,
    *,
    snapshot_id: str,
    snapshot_sha256: str,
    force: bool = False,
    lineage: dict[str, str] | None = None,
) -> TrainResult:
    import mlflow
    import mlflow.sklearn
    from mlflow.models import infer_signature

    from include import metrics

    t0 = time.monotonic()
    client = tracking.client()
    key = idempotency_key(cfg, snapshot_sha256)
    lineage = {k: str(v) for k, v in (lineage or {}).items() if k in LINEAGE_KEYS}

    # One trainer per (model, data, config) at a time: two racing runs must not make two versions.
    with locks.named_lock(f"train:{key}", timeout=1800):
        if not force:
            existing = find_version(client, cfg, key)
            if existing is not None:
                return _reused(client, cfg, existing, snapshot_id, key, t0)

        train_df, holdout_df = model_io.split_holdout(cfg, df)
        X_train, y_train = model_io.features_and_target(cfg, train_df)
        X_hold, y_hold = model_io.features_and_target(cfg, holdout_df)
        if len(set(y_train.tolist())) < 2:
            raise TrainingError(
                f"{cfg.name}: snapshot {snapshot_id} has a single class in its training split"
            )
        pipeline = model_io.build_pipeline(cfg)
        fit_t0 = time.monotonic()
        try:
            pipeline.fit(X_train, y_train)
        except ValueError as exc:
            raise TrainingError(f"{cfg.name}: fitting {cfg.estimator.class_path} failed: {exc}") from exc
        fit_s = time.monotonic() - fit_t0
        untrusted = model_io.untrusted_types(pipeline)
        if untrusted:
            raise TrainingError(
                f"{cfg.name}: the fitted model contains types not in model_io.TRUSTED_TYPES: {untrusted}; "
                "review them and add them to the list"
            )
        proba = pipeline.predict_proba(X_hold)[:, 1]
        holdout = metrics.all_scores(y_hold, proba)

        exp_id = tracking.ensure_experiment(cfg)
        tags = {
            f"{tracking.TAG_PREFIX}snapshot_id": snapshot_id,
            f"{tracking.TAG_PREFIX}snapshot_sha256": snapshot_sha256,
            f"{tracking.TAG_PREFIX}config_hash": cfg.config_hash,
            f"{tracking.TAG_PREFIX}code_version": settings.code_version(),
            f"{tracking.TAG_PREFIX}idempotency_key": key,
            **{f"{tracking.TAG_PREFIX}{k}": v for k, v in lineage.items()},
        }
        _supersede_orphans(client, str(exp_id), key)
        with mlflow.start_run(
            experiment_id=exp_id, run_name=f"train-{snapshot_id}", tags={**tags, "mlops.kind": "training"}
        ) as run:
            mlflow.log_params(
                {
                    "estimator": cfg.estimator.class_path,
                    **{f"estimator.{k}": v for k, v in cfg.estimator.params.items()},
                    "holdout.fraction": cfg.holdout.fraction,
                    "holdout.seed": cfg.holdout.seed,
                    "metric": cfg.metric.name,
                    "snapshot_id": snapshot_id,
                    "train_rows": len(train_df),
                    "holdout_rows": len(holdout_df),
                }
            )
            mlflow.log_metrics({f"holdout_{k}": v for k, v in holdout.items()})
            mlflow.log_metric("fit_seconds", fit_s)
            reference = train_df.sample(
                n=min(len(train_df), cfg.drift.reference_rows), random_state=cfg.holdout.seed
            )
            _log_reference(reference)
            # The prediction-drift baseline: the champion's scores on rows it was not fit on.
            _log_reference(
                holdout_df.sample(
                    n=min(len(holdout_df), cfg.drift.reference_rows), random_state=cfg.holdout.seed
                ),
                "holdout.parquet",
            )
            info = mlflow.sklearn.log_model(
                pipeline,
                name="model",
                serialization_format="skops",
                skops_trusted_types=model_io.TRUSTED_TYPES,
                signature=infer_signature(X_hold.head(200), proba[:200]),
                input_example=X_hold.head(3),
                pip_requirements=PIP_REQUIREMENTS,
            )
            run_id = run.info.run_id

        _ensure_registered_model(client, cfg)
        mv = client.create_model_version(
            cfg.registered_model_name,
            source=info.model_uri,
            run_id=run_id,
            model_id=info.model_id,  # MLflow 3 servers refuse a models:/ source without it
            tags={
                **tags,
                f"{tracking.TAG_PREFIX}holdout_{cfg.metric.name}": f"{holdout[cfg.metric.name]:.6f}",
            },
            description=f"trained on snapshot {snapshot_id}",
        )
        mv = _one_version_per_run(client, cfg, mv, run_id)
        client.set_registered_model_alias(cfg.registered_model_name, tracking.CHALLENGER, mv.version)

    log.info(
        "Registered %s v%s from snapshot %s (%s=%.4f)",
        cfg.name,
        mv.version,
        snapshot_id,
        cfg.metric.name,
        holdout[cfg.metric.name],
    )
    return TrainResult(
        model=cfg.name,
        snapshot_id=snapshot_id,
        version=int(mv.version),
        run_id=run_id,
        experiment_id=str(exp_id),
        reused=False,
        idempotency_key=key,
        metrics={f"holdout_{k}": v for k, v in holdout.items()},
        train_rows=len(train_df),
        holdout_rows=len(holdout_df),
        run_url=tracking.run_url(str(exp_id), run_id),
        version_url=tracking.model_version_url(cfg.registered_model_name, int(mv.version)),
        duration_s=round(time.monotonic() - t0, 3),
    )


def _log_reference(reference: pd.DataFrame, name: str = "reference.parquet") -> None:
    """The training sample the drift monitor compares fresh data with, stored with the model's run."""
    import tempfile
    from pathlib import Path

    import mlflow

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        reference.to_parquet(path, index=False)
        mlflow.log_artifact(str(path), artifact_path="reference")


def load_reference(cfg: ModelConfig, version: int) -> pd.DataFrame:
    """The reference sample of a registered version (drift monitoring compares against it)."""
    import tempfile

    import mlflow
    import pandas as pd

    client = tracking.client()
    mv = client.get_model_version(cfg.registered_model_name, str(version))
    with tempfile.TemporaryDirectory() as tmp:
        local = mlflow.artifacts.download_artifacts(
            run_id=mv.run_id, artifact_path=REFERENCE_ARTIFACT, dst_path=tmp
        )
        return pd.read_parquet(local)
