"""Every model-version tag the project writes, and the one function that writes them.

Tags are how the registry itself says where a version came from and what was decided about it, so
their names are one list (docs/architecture.md, "Lineage tags"): lineage at creation (set in the
same call that creates the version, so a version never exists without them), the verdict after
evaluation, the time of promotion, the last drift check of a champion.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mlflow.tracking import MlflowClient

    from airflow_champion.config import ModelConfig

PREFIX = "mlops."
LINEAGE = (
    "snapshot_id",
    "snapshot_sha256",
    "config_hash",
    "code_version",
    "idempotency_key",
    "dag_id",
    "run_id",
    "run_type",
    "trigger_reason",
)
"""Written when the version is created (training)."""
RUN_LINEAGE = ("dag_id", "run_id", "run_type", "trigger_reason")
"""The part of LINEAGE that describes the Airflow (or CLI) run that made the version."""
VERDICT = "verdict"
VERDICT_CHAMPION = "verdict_champion"
EVAL_RUN_ID = "eval_run_id"
"""Written by evaluation: the decision, the champion it was judged against, the evaluation run."""
PROMOTED_AT = "promoted_at"
"""Written by promotion when the version became champion."""
LAST_DRIFT_CHECK = "last_drift_check"
"""Written by the drift monitor on the champion: the newest snapshot checked and its verdict."""
REVOKED = "revoked"
REVOKED_AT = "revoked_at"
"""Written by a rollback on the version it moved away from (registry.revocation): never re-promoted."""
POST_PROMOTION_CHECK = "post_promotion_check"
"""Written on a champion once its first newer labelled snapshot judged it against its predecessor."""
EVIDENCE = "evidence_uri"
"""Written by promote once the version's evidence bundle is logged: the artifact URI of its page."""


def key(name: str) -> str:
    """The full tag key of one of the names above (`mlops.<name>`)."""
    return f"{PREFIX}{name}"


def holdout_metric(metric: str) -> str:
    """Name of the tag holding a version's own holdout score of `metric`."""
    return f"holdout_{metric}"


def prefixed(values: dict[str, Any]) -> dict[str, str]:
    """`{name: value}` as tags (`mlops.<name>`: str(value)), e.g. for create_model_version."""
    return {key(k): str(v) for k, v in values.items()}


def read(version: Any, name: str) -> str | None:
    """The value of one of our tags on a ModelVersion (None when absent)."""
    return (getattr(version, "tags", None) or {}).get(key(name))


def write(client: MlflowClient, cfg: ModelConfig, version: int | str, values: dict[str, Any]) -> None:
    """Set tags on one version of this model: the only writer of model-version tags after creation."""
    for name, value in values.items():
        client.set_model_version_tag(cfg.registered_model_name, str(version), key(name), str(value))


__all__ = [
    "EVAL_RUN_ID",
    "EVIDENCE",
    "LAST_DRIFT_CHECK",
    "LINEAGE",
    "POST_PROMOTION_CHECK",
    "PREFIX",
    "PROMOTED_AT",
    "REVOKED",
    "REVOKED_AT",
    "RUN_LINEAGE",
    "VERDICT",
    "VERDICT_CHAMPION",
    "holdout_metric",
    "key",
    "prefixed",
    "read",
    "write",
]
