"""Builds the DAGs of one model config. Called once per config from a thin file in dags/.

Parse-time cost matters (the dag-processor re-parses often): this module imports only the Airflow
SDK and the YAML config loader; operators import the heavy core inside execute().
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from typing import Any

from airflow.providers.standard.operators.trigger_dagrun import TriggerDagRunOperator
from airflow.sdk import (
    DAG,
    Asset,
    AssetOrTimeSchedule,
    AssetWatcher,
    CronTriggerTimetable,
    Param,
)

from include.config import ModelConfig, load_config
from operators.claims import ClaimSnapshotOperator, ReleaseClaimOperator
from operators.drift import DriftMonitorOperator
from operators.gates import (
    EvaluateChallengerOperator,
    PromoteModelOperator,
    RollbackModelOperator,
    TrainModelOperator,
    ValidateSnapshotOperator,
)
from sensors.drift_sensor import DriftSensor
from sensors.snapshot_sensor import NewSnapshotSensor
from sensors.triggers import NewSnapshotTrigger

SNAPSHOT_PARAM_PATTERN = r"^(latest|[A-Za-z0-9][A-Za-z0-9._-]{0,63})$"
REASON_PATTERN = r"^[A-Za-z0-9 _.,:;()/@+#'-]*$"
START_DATE = datetime(2026, 1, 1)


def default_args(cfg: ModelConfig) -> dict[str, Any]:
    """Transient faults (tracking server, S3) are retried with back-off; gate refusals never are.

    MLOPS_TASK_RETRIES overrides the count (the in-process test suite sets 0: `dag.test()` sleeps
    through retry delays) and MLOPS_TASK_RETRY_DELAY_SECONDS the first delay.
    """
    return {
        "owner": cfg.owner,
        "retries": int(os.environ.get("MLOPS_TASK_RETRIES", "2")),
        "retry_delay": timedelta(seconds=float(os.environ.get("MLOPS_TASK_RETRY_DELAY_SECONDS", "20"))),
        "retry_exponential_backoff": True,
        "max_retry_delay": timedelta(minutes=10),
        "execution_timeout": timedelta(hours=2),
    }


def retrain_params() -> dict[str, Param]:
    return {
        "snapshot_id": Param(
            "latest",
            type="string",
            pattern=SNAPSHOT_PARAM_PATTERN,
            description='Snapshot to train on: an id such as "2026-11-02", or "latest".',
        ),
        "force": Param(
            False, type="boolean", description="Train a new version even if this snapshot was trained before."
        ),
        "reason": Param(
            "manual",
            type="string",
            maxLength=200,
            pattern=REASON_PATTERN,
            description="Why this run was started (recorded on the model version).",
        ),
    }


def snapshot_asset(cfg: ModelConfig) -> Asset:
    """New snapshots of a model; with `detection: watcher` an AssetWatcher polls the storage for them."""
    watchers = []
    if cfg.snapshots.detection == "watcher":
        watchers = [
            AssetWatcher(
                name=f"{cfg.name}_snapshot_watcher",
                trigger=NewSnapshotTrigger(
                    cfg.name,
                    mode="watch",
                    poll_seconds=cfg.snapshots.poll_seconds,
                    aws_conn_id=cfg.snapshots.aws_conn_id,
                ),
            )
        ]
    return Asset(name=f"{cfg.name}_snapshots", uri=f"mlops://{cfg.name}/snapshots", watchers=watchers)


def champion_asset(cfg: ModelConfig) -> Asset:
    """Updated whenever the champion alias moves (promotion or rollback): downstream serving can listen."""
    return Asset(name=f"{cfg.name}_champion", uri=f"mlops://{cfg.name}/champion")


def retrain_schedule(cfg: ModelConfig) -> Any:
    """The config's cron OR a new-snapshot asset event (unless arrival-triggered retraining is off)."""
    if cfg.snapshots.retrain_on_arrival and cfg.snapshots.detection != "off":
        return AssetOrTimeSchedule(
            timetable=CronTriggerTimetable(cfg.schedule, timezone="UTC"), assets=snapshot_asset(cfg)
        )
    return cfg.schedule


def _in_process_gates(cfg: ModelConfig, claim: ClaimSnapshotOperator) -> tuple[Any, Any, Any]:
    claimed: Any = claim.output  # multiple_outputs: keys are XComArgs
    validate = ValidateSnapshotOperator(
        task_id="validate", model=cfg.name, snapshot_id=claimed["snapshot_id"], multiple_outputs=True
    )
    validated: Any = validate.output
    train = TrainModelOperator(
        task_id="train",
        model=cfg.name,
        snapshot_id=validated["snapshot_id"],
        expected_sha256=validated["sha256"],
        force="{{ params.force }}",
        multiple_outputs=True,
    )
    trained: Any = train.output
    evaluate = EvaluateChallengerOperator(
        task_id="evaluate",
        model=cfg.name,
        snapshot_id=validated["snapshot_id"],
        challenger_version=trained["version"],
    )
    validate >> train >> evaluate
    return validate, train, evaluate


def _pod_gates(cfg: ModelConfig) -> tuple[Any, Any, Any]:
    """The same three gates as pods running the `mlops` CLI (execution.mode: kubernetes)."""
    from operators.kubernetes import lineage_args, pod_task

    snapshot = "{{ ti.xcom_pull(task_ids='validate')['snapshot_id'] }}"
    validate = pod_task(
        cfg,
        "validate",
        task_id="validate",
        args=["--snapshot", "{{ ti.xcom_pull(task_ids='claim', key='snapshot_id') }}"],
    )
    train = pod_task(
        cfg,
        "train",
        task_id="train",
        args=[
            "--snapshot",
            snapshot,
            "--expected-sha256",
            "{{ ti.xcom_pull(task_ids='validate')['sha256'] }}",
            "--force",
            "{{ params.force }}",
            *lineage_args("{{ ti.xcom_pull(task_ids='claim', key='reason') }}"),
        ],
    )
    evaluate = pod_task(
        cfg,
        "evaluate",
        task_id="evaluate",
        args=["--snapshot", snapshot, "--challenger", "{{ ti.xcom_pull(task_ids='train')['version'] }}"],
    )
    validate >> train >> evaluate
    return validate, train, evaluate


def build_retrain_dag(cfg: ModelConfig) -> DAG:
    with DAG(
        dag_id=f"{cfg.name}_retrain",
        description=f"Claim -> validate -> train -> evaluate -> promote for {cfg.name}",
        schedule=retrain_schedule(cfg),
        start_date=START_DATE,
        catchup=False,
        max_active_runs=1,
        default_args=default_args(cfg),
        params=retrain_params(),
        tags=["mlops", cfg.name, "retrain"],
        doc_md=f"### {cfg.name}: retraining\n\n{cfg.description}\n\nConfig hash `{cfg.config_hash}`.",
    ) as dag:
        claim = ClaimSnapshotOperator(
            task_id="claim",
            model=cfg.name,
            snapshot_id="{{ params.snapshot_id }}",
            force="{{ params.force }}",
            multiple_outputs=True,
        )
        validate, _train, evaluate = (
            _pod_gates(cfg) if cfg.execution.mode == "kubernetes" else _in_process_gates(cfg, claim)
        )
        claim >> validate
        promote = PromoteModelOperator(
            task_id="promote",
            model=cfg.name,
            verdict=evaluate.output,
            outlets=[champion_asset(cfg)],
            retries=2 * default_args(cfg)["retries"],
        )
        # Teardown: runs whenever the claim succeeded, whatever happened after, and does not decide the
        # run's state. It frees the snapshot unless promote already recorded a decision on the claim.
        release = ReleaseClaimOperator(
            task_id="release_claim",
            model=cfg.name,
            snapshot_id="{{ ti.xcom_pull(task_ids='claim', key='snapshot_id') }}",
        )
        promote >> release.as_teardown(setups=claim)
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


def build_drift_dag(cfg: ModelConfig) -> DAG:
    with DAG(
        dag_id=f"{cfg.name}_drift_monitor",
        description=f"Newest snapshot vs the {cfg.name} champion's training reference; retrain on drift",
        schedule=cfg.drift.schedule,
        start_date=START_DATE,
        catchup=False,
        max_active_runs=1,
        default_args=default_args(cfg),
        params={
            "snapshot_id": Param(
                "latest", type="string", pattern=SNAPSHOT_PARAM_PATTERN, description="Snapshot to check."
            ),
            "force": Param(False, type="boolean", description="Recompute an existing verdict."),
        },
        tags=["mlops", cfg.name, "drift"],
    ) as dag:
        if cfg.execution.mode == "kubernetes":
            from operators.kubernetes import lineage_args, pod_task

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
        )
    return dag


def build_rollback_dag(cfg: ModelConfig) -> DAG:
    with DAG(
        dag_id=f"{cfg.name}_rollback",
        description=f"Move the {cfg.name} champion back, with a reason",
        schedule=None,
        start_date=START_DATE,
        catchup=False,
        max_active_runs=1,
        default_args=default_args(cfg),
        params={
            "to_version": Param(
                None,
                type=["null", "integer"],
                minimum=1,
                description="Version to restore; empty = the previous champion in the ledger.",
            ),
            "reason": Param(
                type="string",
                minLength=3,
                maxLength=200,
                pattern=REASON_PATTERN,
                description="Why (recorded in the promotion ledger).",
            ),
            "expected_champion": Param(
                None,
                type=["null", "integer"],
                minimum=1,
                description="The champion version you decided to roll back; if a promotion has replaced "
                "it by the time this runs, nothing changes (a 'conflict' is logged) instead of undoing "
                "the new champion. Empty = no check.",
            ),
        },
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
        )
    return dag


def build_dags(model: str) -> dict[str, DAG]:
    """All DAGs of one model config, keyed by dag_id (for `globals().update(...)` in dags/)."""
    cfg = load_config(model)
    dags = [build_retrain_dag(cfg), build_rollback_dag(cfg)]
    if cfg.snapshots.detection == "sensor":
        dags.append(build_snapshot_watch_dag(cfg))
    if cfg.drift.enabled:
        dags.append(build_drift_dag(cfg))
    return {d.dag_id: d for d in dags}
