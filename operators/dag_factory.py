"""Builds the DAGs of one model config. Called once per config from a thin file in dags/.

Parse-time cost matters (the dag-processor re-parses often): this module imports only the Airflow
SDK and the YAML config loader; operators import the heavy core inside execute().
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from typing import Any

from airflow.sdk import DAG, Param

from include.config import ModelConfig, load_config
from operators.gates import (
    EvaluateChallengerOperator,
    PromoteModelOperator,
    RollbackModelOperator,
    TrainModelOperator,
    ValidateSnapshotOperator,
)

SNAPSHOT_PARAM_PATTERN = r"^(latest|[A-Za-z0-9][A-Za-z0-9._-]{0,63})$"
REASON_PATTERN = r"^[A-Za-z0-9 _.,:;()/@+#'-]*$"
START_DATE = datetime(2026, 1, 1)


def default_args(cfg: ModelConfig) -> dict[str, Any]:
    """Transient faults (tracking server, S3) are retried with back-off; gate refusals never are.

    MLOPS_TASK_RETRIES overrides the count (the in-process test suite sets 0: `dag.test()` sleeps
    through retry delays).
    """
    return {
        "owner": cfg.owner,
        "retries": int(os.environ.get("MLOPS_TASK_RETRIES", "2")),
        "retry_delay": timedelta(seconds=20),
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


def build_retrain_dag(cfg: ModelConfig) -> DAG:
    with DAG(
        dag_id=f"{cfg.name}_retrain",
        description=f"Validate -> train -> evaluate -> promote for {cfg.name}",
        schedule=cfg.schedule,
        start_date=START_DATE,
        catchup=False,
        max_active_runs=1,
        default_args=default_args(cfg),
        params=retrain_params(),
        tags=["mlops", cfg.name, "retrain"],
        doc_md=f"### {cfg.name}: retraining\n\n{cfg.description}\n\nConfig hash `{cfg.config_hash}`.",
    ) as dag:
        validate = ValidateSnapshotOperator(
            task_id="validate", model=cfg.name, snapshot_id="{{ params.snapshot_id }}", multiple_outputs=True
        )
        validated: Any = validate.output  # multiple_outputs: keys are XComArgs
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
        PromoteModelOperator(
            task_id="promote",
            model=cfg.name,
            verdict=evaluate.output,
            retries=2 * default_args(cfg)["retries"],
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
        },
        tags=["mlops", cfg.name, "rollback"],
    ) as dag:
        RollbackModelOperator(
            task_id="rollback",
            model=cfg.name,
            to_version="{{ params.to_version }}",
            reason="{{ params.reason }}",
            retries=2 * default_args(cfg)["retries"],
        )
    return dag


def build_dags(model: str) -> dict[str, DAG]:
    """All DAGs of one model config, keyed by dag_id (for `globals().update(...)` in dags/)."""
    cfg = load_config(model)
    dags = [build_retrain_dag(cfg), build_rollback_dag(cfg)]
    return {d.dag_id: d for d in dags}
