"""`<model>_drift_monitor`: the drift verdict of the newest snapshot, then the deferrable drift gate,
then (if the policy says so) one retrain run started with the reason."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from airflow.providers.standard.operators.trigger_dagrun import TriggerDagRunOperator
from airflow.sdk import DAG
from airflow_champion.config import ModelConfig
from airflow_champion.operators.dag_factory.common import START_DATE, default_args
from airflow_champion.operators.dag_factory.params import drift_params
from airflow_champion.operators.drift import DriftMonitorOperator
from airflow_champion.operators.notifications import notifier
from airflow_champion.sensors.drift_sensor import DriftSensor


def build_drift_dag(cfg: ModelConfig) -> DAG:
    with DAG(
        dag_id=f"{cfg.name}_drift_monitor",
        description=f"Newest snapshot vs the {cfg.name} champion's training reference; retrain on drift",
        schedule=cfg.drift.schedule,
        start_date=START_DATE,
        catchup=False,
        max_active_runs=1,
        default_args=default_args(cfg),
        params=drift_params(),
        tags=["mlops", cfg.name, "drift"],
    ) as dag:
        if cfg.execution.mode == "kubernetes":
            from airflow_champion.operators.kubernetes import lineage_args, pod_task

            monitor = pod_task(
                cfg,
                "drift",
                task_id="monitor",
                args=[
                    "--snapshot",
                    "{{ params.snapshot_id }}",
                    "--force",
                    "{{ params.force }}",
                    *lineage_args("drift monitor"),
                ],
            )
            checked: Any = "{{ ti.xcom_pull(task_ids='monitor')['snapshot_id'] }}"
        else:
            monitor = DriftMonitorOperator(
                task_id="monitor",
                model=cfg.name,
                snapshot_id="{{ params.snapshot_id }}",
                force="{{ params.force }}",
                multiple_outputs=True,
            )
            verdict: Any = monitor.output  # multiple_outputs: keys are XComArgs
            checked = verdict["snapshot_id"]
        gate = DriftSensor(
            task_id="drift_gate",
            model=cfg.name,
            snapshot_id=checked,
            multiple_outputs=True,
            timeout=timedelta(hours=1).total_seconds(),
        )
        monitor >> gate
        decision: Any = gate.output
        TriggerDagRunOperator(
            task_id="trigger_retrain",
            trigger_dag_id=f"{cfg.name}_retrain",
            trigger_run_id="drift__{{ ti.xcom_pull(task_ids='drift_gate', key='snapshot_id') }}",
            conf=decision["conf"],
            skip_when_already_exists=True,
            on_success_callback=notifier(cfg, "drift_retrain"),
        )
    return dag
