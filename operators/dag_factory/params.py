"""The validated params of the DAGs (JSON schema, checked by the REST API before a run exists)."""

from __future__ import annotations

from typing import Any

from airflow.sdk import Param
from airflow_champion.data.ids import OPTIONAL_ID_PATTERN
from airflow_champion.data.ids import PARAM_PATTERN as SNAPSHOT_PARAM_PATTERN
from airflow_champion.pipeline.reasons import REASON_MAX, REASON_PATTERN

JSON_SCHEMA_DIALECT = "http://json-schema.org/draft-07/schema#"
"""What the params' schemas are written in (type, pattern, min/maxLength, minimum: all draft 7).

Declared because Airflow validates the params of every scheduled DAG at each parse with
`jsonschema.validate`, which first checks the schema against its dialect's meta-schema; without a
`$schema` that is 2020-12's, about 3.5x slower to check than draft 7's. The same values pass and fail.
"""


def _param(*args: Any, **kwargs: Any) -> Param:
    """airflow.sdk.Param, with the schema's dialect declared (JSON_SCHEMA_DIALECT)."""
    kwargs["$schema"] = JSON_SCHEMA_DIALECT
    return Param(*args, **kwargs)


def retrain_params() -> dict[str, Param]:
    return {
        "snapshot_id": _param(
            "latest",
            type="string",
            pattern=SNAPSHOT_PARAM_PATTERN,
            description='Snapshot to train on: an id such as "2026-11-02", or "latest".',
        ),
        "force": _param(
            False, type="boolean", description="Train a new version even if this snapshot was trained before."
        ),
        "reason": _param(
            "",
            type="string",
            maxLength=REASON_MAX,
            pattern=REASON_PATTERN,
            description="Why this run was started; recorded on the model version as `rest: <reason>` "
            "(empty: `manual: by <user>`).",
        ),
        "shadow": _param(
            False,
            type="boolean",
            description="Shadow run: every gate runs and is recorded, the champion never moves.",
        ),
    }


def drift_params() -> dict[str, Param]:
    return {
        "snapshot_id": _param(
            "latest", type="string", pattern=SNAPSHOT_PARAM_PATTERN, description="Snapshot to check."
        ),
        "force": _param(False, type="boolean", description="Recompute an existing verdict."),
    }


def rollback_params() -> dict[str, Param]:
    return {
        "to_version": _param(
            None,
            type=["null", "integer"],
            minimum=1,
            description="Version to restore; empty = the previous champion in the ledger.",
        ),
        "reason": _param(
            type="string",
            minLength=3,
            maxLength=REASON_MAX,
            pattern=REASON_PATTERN,
            description="Why (recorded in the promotion ledger).",
        ),
        "expected_champion": _param(
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
        "from_id": _param(
            "", type="string", pattern=OPTIONAL_ID_PATTERN, description="First snapshot (empty: oldest)."
        ),
        "to_id": _param(
            "", type="string", pattern=OPTIONAL_ID_PATTERN, description="Last snapshot (empty: newest)."
        ),
        "overrides": _param(
            {},
            type="object",
            description='Config sections to try instead, e.g. {"holdout": {"policy": "time"}} or '
            '{"promotion": {"min_abs_gain": 0.01}}.',
        ),
    }


__all__ = [
    "JSON_SCHEMA_DIALECT",
    "REASON_PATTERN",
    "SNAPSHOT_PARAM_PATTERN",
    "drift_params",
    "replay_params",
    "retrain_params",
    "rollback_params",
]
