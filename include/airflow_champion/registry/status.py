"""What `mlops status` shows: champion, challenger, versions with their lineage, and the ledger."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow_champion.registry import ledger, tags, tracking

if TYPE_CHECKING:
    from airflow_champion.config import ModelConfig


def status(cfg: ModelConfig) -> dict[str, Any]:
    """Champion, challenger, versions with their lineage, and the ledger: what `mlops status` shows."""
    from mlflow.exceptions import MlflowException

    client = tracking.client()
    try:
        versions: list[Any] = list(client.search_model_versions(f"name='{cfg.registered_model_name}'"))
    except MlflowException:
        versions = []
    rows = []
    for mv in sorted(versions, key=lambda v: int(v.version)):
        rows.append(
            {
                "version": int(mv.version),
                "snapshot_id": tags.read(mv, "snapshot_id"),
                cfg.metric.name: tags.read(mv, tags.holdout_metric(cfg.metric.name)),
                "verdict": tags.read(mv, tags.VERDICT),
                "trigger_reason": tags.read(mv, "trigger_reason"),
                "run_id": mv.run_id,
            }
        )
    return {
        "model": cfg.name,
        "registered_model": cfg.registered_model_name,
        "tracking_uri": tracking.redacted_uri(),
        "champion": tracking.alias_version(cfg, tracking.CHAMPION, client),
        "challenger": tracking.alias_version(cfg, tracking.CHALLENGER, client),
        "previous_champion": tracking.alias_version(cfg, tracking.PREVIOUS_CHAMPION, client),
        "versions": rows,
        "ledger": ledger.read_ledger(cfg, client),
    }
