"""`<model>_retrain`: claim -> validate -> check_champion -> train -> evaluate -> promote ->
champion_moved, and a teardown that releases the claim of a run that ended without a decision
(pipeline.chain runs the same steps in one process; champion_moved is Airflow's alone: it emits the
champion asset event only when the alias moved)."""

from __future__ import annotations

from typing import Any

from airflow.sdk import DAG
from airflow_champion.config import ModelConfig
from airflow_champion.operators.champion import ChampionMovedOperator, champion_moves
from airflow_champion.operators.claims import ClaimSnapshotOperator, ReleaseClaimOperator
from airflow_champion.operators.dag_factory.approval import approval_task
from airflow_champion.operators.dag_factory.common import (
    START_DATE,
    champion_asset,
    default_args,
    retrain_schedule,
)
from airflow_champion.operators.dag_factory.params import retrain_params
from airflow_champion.operators.gates import (
    CheckChampionOperator,
    EvaluateChallengerOperator,
    PromoteModelOperator,
    TrainModelOperator,
    ValidateSnapshotOperator,
)
from airflow_champion.operators.notifications import notifier


def _in_process_gates(cfg: ModelConfig, claim: ClaimSnapshotOperator) -> tuple[Any, Any, Any]:
    claimed: Any = claim.output  # multiple_outputs: keys are XComArgs
    validate = ValidateSnapshotOperator(
        task_id="validate", model=cfg.name, snapshot_id=claimed["snapshot_id"], multiple_outputs=True
    )
    validated: Any = validate.output
    check = CheckChampionOperator(  # its automatic rollback moves the champion: an event then only
        task_id="check_champion",
        model=cfg.name,
        snapshot_id=validated["snapshot_id"],
        outlets=[champion_moves(cfg.name)],
        on_success_callback=notifier(cfg, "rollback"),
    )
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
    validate >> check >> train >> evaluate
    return validate, train, evaluate


def _pod_gates(cfg: ModelConfig) -> tuple[Any, Any, Any]:
    """The same three gates as pods running the `mlops` CLI (execution.mode: kubernetes)."""
    from airflow_champion.operators.kubernetes import lineage_args, pod_task

    snapshot = "{{ ti.xcom_pull(task_ids='validate')['snapshot_id'] }}"
    validate = pod_task(
        cfg,
        "validate",
        task_id="validate",
        args=["--snapshot", "{{ ti.xcom_pull(task_ids='claim', key='snapshot_id') }}"],
    )
    check = pod_task(
        cfg,
        "check-champion",
        task_id="check_champion",
        args=["--snapshot", snapshot, *lineage_args("{{ ti.xcom_pull(task_ids='claim', key='reason') }}")],
        on_success_callback=notifier(cfg, "rollback"),
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
    validate >> check >> train >> evaluate
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
        approve = approval_task(cfg, evaluate)  # None unless promotion.approval asks for a person
        promote = PromoteModelOperator(
            task_id="promote",
            model=cfg.name,
            verdict=evaluate.output,
            shadow="{{ params.shadow }}",
            approval=approve.output if approve is not None else None,
            retries=2 * default_args(cfg)["retries"],
            on_success_callback=notifier(cfg, "promotion"),
        )
        # The asset event belongs to the alias moving, not to promote succeeding (a rejection succeeds).
        moved = ChampionMovedOperator(
            task_id="champion_moved",
            model=cfg.name,
            promotion=promote.output,
            outlets=[champion_asset(cfg)],
            retries=0,
        )
        # Teardown: runs whenever the claim succeeded, whatever happened after, and does not decide the
        # run's state. It frees the snapshot unless promote already recorded a decision on the claim.
        release = ReleaseClaimOperator(
            task_id="release_claim",
            model=cfg.name,
            snapshot_id="{{ ti.xcom_pull(task_ids='claim', key='snapshot_id') }}",
        )
        promote >> moved >> release.as_teardown(setups=claim)
    return dag
