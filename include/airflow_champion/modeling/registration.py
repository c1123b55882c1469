"""Recording a challenger in MLflow: its run, its registered version, and the idempotency rules.

Idempotent per (model, snapshot sha256, config hash): the version carries `mlops.idempotency_key`
from the call that creates it, so a retried or cleared task, or a re-run on the same data and config,
finds it and reuses it. What MLflow's HTTP client does on a lost answer (re-send the POST) and what
a dead attempt leaves behind (a RUNNING run) are mended here, under the caller's `train:<key>` lock.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from airflow_champion import settings
from airflow_champion.errors import TransientError, is_transient
from airflow_champion.modeling import dataset_input, fingerprints, recorded_config, references
from airflow_champion.modeling.trusted_types import TRUSTED_TYPES
from airflow_champion.registry import tags, tracking

if TYPE_CHECKING:
    from mlflow.tracking import MlflowClient

    from airflow_champion.config import ModelConfig
    from airflow_champion.modeling.fit import Fitted

log = logging.getLogger(__name__)

PIP_REQUIREMENTS = ["scikit-learn", "skops", "pandas<3", "numpy"]


def idempotency_key(cfg: ModelConfig, snapshot_sha256: str) -> str:
    return f"{cfg.name}:{snapshot_sha256}:{cfg.config_hash}"


def find_version(client: MlflowClient, cfg: ModelConfig, key: str) -> Any | None:
    """The newest registered version carrying this idempotency key, if any (a registry that does not
    answer is a TransientError, not "none": that would train a duplicate version)."""
    from mlflow.exceptions import MlflowException

    try:
        versions = client.search_model_versions(f"name='{cfg.registered_model_name}'")
    except MlflowException as exc:
        if is_transient(exc):
            raise TransientError(f"{cfg.name}: cannot search the registry for {key}: {exc}") from exc
        return None
    hits = [v for v in versions if tags.read(v, "idempotency_key") == key]
    return max(hits, key=lambda v: int(v.version)) if hits else None


def _ensure_registered_model(client: MlflowClient, cfg: ModelConfig) -> None:
    from mlflow.exceptions import MlflowException

    try:
        client.get_registered_model(cfg.registered_model_name)
    except MlflowException:
        try:
            client.create_registered_model(
                cfg.registered_model_name,
                tags={tags.key("owner"): cfg.owner, **cfg.tags},
                description=cfg.description,
            )
        except MlflowException:
            client.get_registered_model(cfg.registered_model_name)  # created concurrently


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
        filter_string=(f"tags.`{tags.key('idempotency_key')}` = '{key}' and attributes.status = 'RUNNING'"),
        max_results=100,
    )
    for run in orphans:
        log.warning("Marking orphaned training run %s FAILED (its attempt died)", run.info.run_id)
        client.set_tag(run.info.run_id, tags.key("superseded"), "attempt died before registering")
        client.set_terminated(run.info.run_id, status="FAILED")


def log_and_register(
    cfg: ModelConfig,
    fitted: Fitted,
    *,
    snapshot_id: str,
    snapshot_sha256: str,
    key: str,
    lineage: dict[str, str],
) -> tuple[str, str, Any]:
    """One training run (params, metrics, samples, the model) and its registered version, aliased
    `challenger`; returns (run id, experiment id, model version)."""
    import mlflow

    settings.import_skops()  # before mlflow.sklearn imports it: see settings.import_skops
    client = tracking.client()
    exp_id = tracking.ensure_experiment(cfg)
    version_tags = tags.prefixed(
        {
            "snapshot_id": snapshot_id,
            "snapshot_sha256": snapshot_sha256,
            "config_hash": cfg.config_hash,
            "code_version": settings.code_version(),
            "idempotency_key": key,
            **lineage,
        }
    )
    _supersede_orphans(client, str(exp_id), key)
    # The run stays open until its version is registered and aliased: an attempt that fails anywhere
    # in between ends FAILED (mlflow.start_run's exit) with its version removed, so a retry never
    # leaves a second FINISHED run with a model for the same snapshot.
    with mlflow.start_run(
        experiment_id=exp_id,
        run_name=f"train-{snapshot_id}",
        tags={**version_tags, tags.key("kind"): "training"},
    ) as run:
        run_id = run.info.run_id
        try:
            info = _log_run(cfg, fitted, snapshot_id, snapshot_sha256)
            mv = _register(client, cfg, fitted, info, run_id, version_tags, snapshot_id)
        except BaseException as exc:
            _abandon(client, cfg, run_id, exc)
            raise
    return run_id, str(exp_id), mv


def _log_run(cfg: ModelConfig, fitted: Fitted, snapshot_id: str, snapshot_sha256: str) -> Any:
    """Params, metrics, the snapshot as a dataset input, samples, fingerprints and the model of the
    active run; the model's info."""
    import mlflow
    import mlflow.sklearn
    from mlflow.models import infer_signature

    mlflow.log_params(
        {
            "estimator": cfg.estimator.class_path,
            **{f"estimator.{k}": v for k, v in cfg.estimator.params.items()},
            "task": cfg.task,
            **{f"holdout.{k}": v for k, v in cfg.holdout.model_dump().items()},
            "fingerprints.scheme": fingerprints.SCHEME,
            "metric": cfg.metric.name,
            "snapshot_id": snapshot_id,
            "train_rows": len(fitted.train_df),
            "holdout_rows": len(fitted.holdout_df),
        }
    )
    mlflow.log_metrics({f"holdout_{k}": v for k, v in fitted.holdout_scores.items()})
    mlflow.log_metric("fit_seconds", fitted.fit_seconds)
    dataset_input.log_snapshot_input(cfg, snapshot_id, snapshot_sha256)
    references.log_samples(cfg, fitted.train_df, fitted.holdout_df)
    references.log_fingerprints(fitted.train_fingerprints)
    recorded_config.log_config(cfg)  # what `mlops reproduce` retrains with
    return mlflow.sklearn.log_model(
        fitted.pipeline,
        name="model",
        serialization_format="skops",
        skops_trusted_types=TRUSTED_TYPES,
        signature=infer_signature(fitted.X_holdout.head(200), fitted.holdout_pred[:200]),
        input_example=fitted.X_holdout.head(3),
        pip_requirements=PIP_REQUIREMENTS,
    )


def _register(
    client: MlflowClient,
    cfg: ModelConfig,
    fitted: Fitted,
    info: Any,
    run_id: str,
    version_tags: dict[str, str],
    snapshot_id: str,
) -> Any:
    """The run's one registered version, aliased `challenger`."""
    _ensure_registered_model(client, cfg)
    score = fitted.holdout_scores.get(cfg.metric.name)
    mv = client.create_model_version(
        cfg.registered_model_name,
        source=info.model_uri,
        run_id=run_id,
        model_id=info.model_id,  # MLflow 3 servers refuse a models:/ source without it
        tags={
            **version_tags,
            **({tags.key(tags.holdout_metric(cfg.metric.name)): f"{score:.6f}"} if score is not None else {}),
        },
        description=f"trained on snapshot {snapshot_id}",
    )
    mv = _one_version_per_run(client, cfg, mv, run_id)
    client.set_registered_model_alias(cfg.registered_model_name, tracking.CHALLENGER, mv.version)
    return mv


def _abandon(client: MlflowClient, cfg: ModelConfig, run_id: str, exc: BaseException) -> None:
    """Undo what a failed attempt registered (nothing points at it: the alias is set last) and say why
    on its run. Best effort: if the registry is down for this too, the retry's `_supersede_orphans`
    or `find_version` meets what is left."""
    why = f"attempt failed: {type(exc).__name__}: {exc}"[:4000]
    try:
        client.set_tag(run_id, tags.key("superseded"), why)
        for v in client.search_model_versions(f"run_id='{run_id}'"):
            if v.name == cfg.registered_model_name:
                log.warning("%s: deleting v%s of the failed training attempt %s", cfg.name, v.version, run_id)
                client.delete_model_version(cfg.registered_model_name, str(v.version))
    except Exception as cleanup:
        log.warning("%s: could not clean up failed training run %s: %s", cfg.name, run_id, cleanup)
