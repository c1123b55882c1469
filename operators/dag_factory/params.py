"""The validated params of the DAGs (JSON schema, checked by the REST API before a run exists)."""

from __future__ import annotations

from airflow.sdk import Param
from airflow_champion.data.ids import OPTIONAL_ID_PATTERN
from airflow_champion.data.ids import PARAM_PATTERN as SNAPSHOT_PARAM_PATTERN
from airflow_champion.pipeline.reasons import REASON_MAX, REASON_PATTERN


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
            "",
            type="string",
            maxLength=REASON_MAX,
            pattern=REASON_PATTERN,
            description="Why this run was started; recorded on the model version as `rest: <reason>` "
            "(empty: `manual: by <user>`).",
        ),
        "shadow": Param(
            False,
            type="boolean",
            description="Shadow run: every gate runs and is recorded, the champion never moves.",
        ),
    }


def drift_params() -> dict[str, Param]:
    return {
        "snapshot_id": Param(
            "latest", type="string", pattern=SNAPSHOT_PARAM_PATTERN, description="Snapshot to check."
        ),
        "force": Param(False, type="boolean", description="Recompute an existing verdict."),
    }


def rollback_params() -> dict[str, Param]:
    return {
        "to_version": Param(
            None,
            type=["null", "integer"],
            minimum=1,
            description="Version to restore; empty = the previous champion in the ledger.",
        ),
        "reason": Param(
            type="string",
            minLength=3,
            maxLength=REASON_MAX,
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
    }


def replay_params() -> dict[str, Param]:
    return {
        "from_id": Param(
            "", type="string", pattern=OPTIONAL_ID_PATTERN, description="First snapshot (empty: oldest)."
        ),
        "to_id": Param(
            "", type="string", pattern=OPTIONAL_ID_PATTERN, description="Last snapshot (empty: newest)."
        ),
        "overrides": Param(
            {},
            type="object",
            description='Config sections to try instead, e.g. {"holdout": {"policy": "time"}} or '
            '{"promotion": {"min_abs_gain": 0.01}}.',
        ),
    }


__all__ = [
    "REASON_PATTERN",
    "SNAPSHOT_PARAM_PATTERN",
    "drift_params",
    "replay_params",
    "retrain_params",
    "rollback_params",
]
