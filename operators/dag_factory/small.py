"""`<model>_rollback`, `<model>_snapshot_watch` and `<model>_replay`: the small DAGs of a model."""

from __future__ import annotations

from airflow.sdk import DAG
from airflow_champion.config import ModelConfig
from airflow_champion.operators.dag_factory.common import (
    START_DATE,
    champion_asset,
    default_args,
    snapshot_asset,
)
from airflow_champion.operators.dag_factory.params import replay_params, rollback_params
from airflow_champion.operators.gates import RollbackModelOperator
from airflow_champion.operators.notifications import notifier
from airflow_champion.operators.replay import ReplayGateOperator
from airflow_champion.sensors.snapshot_sensor import NewSnapshotSensor


def build_rollback_dag(cfg: ModelConfig) -> DAG:
    with DAG(
        dag_id=f"{cfg.name}_rollback",
        description=f"Move the {cfg.name} champion back, with a reason",
        schedule=None,
        start_date=START_DATE,
        catchup=False,
        max_active_runs=1,
        default_args=default_args(cfg),
        params=rollback_params(),
        tags=["mlops", cfg.name, "rollback"],
    ) as dag:
        RollbackModelOperator(
            task_id="rollback",
            outlets=[champion_asset(cfg)],
            model=cfg.name,
            to_version="{{ params.to_version }}",
            reason="{{ params.reason }}",
            expected_champion="{{ params.expected_champion }}",
            retries=2 * default_args(cfg)["retries"],
            on_success_callback=notifier(cfg, "rollback"),
        )
    return dag


def build_snapshot_watch_dag(cfg: ModelConfig) -> DAG:
    """Runs back to back; each run waits (deferred, no worker slot) for one new snapshot and announces it."""
    with DAG(
        dag_id=f"{cfg.name}_snapshot_watch",
        description=f"Wait for a new complete snapshot of {cfg.name} and announce it (starts the retrain)",
        schedule="@continuous",
        start_date=START_DATE,
        catchup=False,
        max_active_runs=1,
        default_args={**default_args(cfg), "execution_timeout": None},
        tags=["mlops", cfg.name, "sensor"],
    ) as dag:
        NewSnapshotSensor(task_id="wait_for_snapshot", model=cfg.name, outlets=[snapshot_asset(cfg)])
    return dag


def build_replay_dag(cfg: ModelConfig) -> DAG:
    """On demand: the gate backtest over the model's past snapshots, with optional overrides."""
    with DAG(
        dag_id=f"{cfg.name}_replay",
        description=f"Backtest the {cfg.name} gate: its decisions vs the next snapshot's truth",
        schedule=None,
        start_date=START_DATE,
        catchup=False,
        max_active_runs=1,
        default_args=default_args(cfg),
        params=replay_params(),
        render_template_as_native_obj=True,
        tags=["mlops", cfg.name, "replay"],
    ) as dag:
        ReplayGateOperator(
            task_id="replay",
            model=cfg.name,
            from_id="{{ params.from_id }}",
            to_id="{{ params.to_id }}",
            overrides="{{ params.overrides }}",
        )
    return dag
