"""Builds the DAGs of a model config; the thin files in dags/ call `build_dags`.

Parse-time cost matters (the dag-processor re-parses often): these modules import only the Airflow
SDK, the config loader and the operator classes; operators import the heavy core inside execute().
"""

from __future__ import annotations

from airflow.sdk import DAG
from airflow_champion.config import load_config
from airflow_champion.operators.dag_factory.drift import build_drift_dag
from airflow_champion.operators.dag_factory.retrain import build_retrain_dag
from airflow_champion.operators.dag_factory.small import (
    build_replay_dag,
    build_rollback_dag,
    build_snapshot_watch_dag,
)


def build_dags(model: str) -> dict[str, DAG]:
    """All DAGs of one model config, keyed by dag_id (for `globals().update(...)` in dags/)."""
    cfg = load_config(model)
    dags = [build_retrain_dag(cfg), build_rollback_dag(cfg), build_replay_dag(cfg)]
    if cfg.snapshots.detection == "sensor":
        dags.append(build_snapshot_watch_dag(cfg))
    if cfg.drift.enabled:
        dags.append(build_drift_dag(cfg))
    return {d.dag_id: d for d in dags}


__all__ = ["build_dags"]
