"""Revoked versions: a version the champion was rolled back from is never promoted again automatically.

The ledger is the source of truth: a `rollback` entry revokes its `from_version`. A version made from
the same data and config (same idempotency key: training reuse hands it back, or `force` refits the
same model under a new number) is revoked with it, so landing the same data under a new snapshot id
cannot re-promote a rolled-back model. The `mlops.revoked` tag mirrors the decision for the MLflow UI.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow_champion.registry import ledger, tags

if TYPE_CHECKING:
    from mlflow.tracking import MlflowClient

    from airflow_champion.config import ModelConfig


def revoking_entries(entries: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    """{version: the latest ledger entry that rolled the champion back from it}."""
    out: dict[int, dict[str, Any]] = {}
    for e in entries:
        if e.get("action") == "rollback" and e.get("from_version") is not None:
            out[int(e["from_version"])] = e
    return out


def describe(entry: dict[str, Any]) -> str:
    actor, reason = str(entry.get("actor")), str(entry.get("reason") or "")
    reason = reason.removeprefix(f"{actor}: ")  # an automatic rollback's reason starts with its actor
    return f"rolled back from by ledger #{entry.get('seq')} ({actor}: {reason})"


def revoked_reason(
    client: MlflowClient,
    cfg: ModelConfig,
    version: int,
    entries: list[dict[str, Any]] | None = None,
) -> str | None:
    """Why `version` may not be promoted again automatically, or None when it may."""
    entries = ledger.read_ledger(cfg, client) if entries is None else entries
    revoked = revoking_entries(entries)
    if not revoked:
        return None
    if int(version) in revoked:
        return f"v{version} was revoked: {describe(revoked[int(version)])}"
    mine = client.get_model_version(cfg.registered_model_name, str(version))
    key = tags.read(mine, "idempotency_key")
    if not key:
        return None
    for v in sorted(revoked):
        try:
            other = client.get_model_version(cfg.registered_model_name, str(v))
        except Exception:  # a deleted version revokes nothing it could be compared with
            continue
        if tags.read(other, "idempotency_key") == key:
            return (
                f"v{version} was trained on the same data and config as revoked v{v}: {describe(revoked[v])}"
            )
    return None


def mark_revoked(client: MlflowClient, cfg: ModelConfig, version: int, entry: dict[str, Any]) -> None:
    """Mirror a revocation on the version's tags (the ledger entry already decides it)."""
    tags.write(client, cfg, version, {tags.REVOKED: describe(entry)[:500], tags.REVOKED_AT: entry["at"]})


__all__ = ["describe", "mark_revoked", "revoked_reason", "revoking_entries"]
