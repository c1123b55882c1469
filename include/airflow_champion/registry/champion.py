"""Moving the `champion` alias: the registry lock, the move with read-back, and its undo.

MLflow aliases are last-writer-wins and have no compare-and-set, so every move happens under the
per-model registry lock (registry.locks): read the alias, check it is what the decision was based on,
check the lock is still held (fencing), write, read back. Promotion and rollback are the only callers
(registry/adr/0001-compare-and-set-promotion.md).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from airflow_champion.errors import PromotionConflictError
from airflow_champion.registry import ledger, locks, tracking

if TYPE_CHECKING:
    from mlflow.tracking import MlflowClient

    from airflow_champion.config import ModelConfig

log = logging.getLogger(__name__)

LOCK_TIMEOUT_S = 120.0


def lock_name(cfg: ModelConfig) -> str:
    """The registry lock of one model: held around every read-check-write of its aliases."""
    return f"registry:{cfg.registered_model_name}"


def set_champion(client: MlflowClient, cfg: ModelConfig, to_version: int, from_version: int | None) -> None:
    """Move champion (and previous_champion) and read back; restore the old alias on any failure.

    Refused (LockLost) before anything moves when the caller's registry lock is no longer its own.
    """
    name = cfg.registered_model_name
    locks.ensure_held(f"moving the champion of {name} to v{to_version}")
    try:
        client.set_registered_model_alias(name, tracking.CHAMPION, str(to_version))
        if tracking.alias_version(cfg, tracking.CHAMPION, client) != to_version:
            raise PromotionConflictError(f"{name}: champion did not read back as v{to_version}")
        if from_version is not None:
            client.set_registered_model_alias(name, tracking.PREVIOUS_CHAMPION, str(from_version))
    except Exception:
        if from_version is not None:
            client.set_registered_model_alias(name, tracking.CHAMPION, str(from_version))
        else:
            try:
                client.delete_registered_model_alias(name, tracking.CHAMPION)
            except Exception:  # nothing to undo
                log.warning("Could not remove champion alias of %s after a failed move", name)
        raise


def restore_aliases(client: MlflowClient, cfg: ModelConfig, *, champion: int, previous: int | None) -> None:
    """Put `champion` and `previous_champion` back as they were before a move that is being undone."""
    name = cfg.registered_model_name
    client.set_registered_model_alias(name, tracking.CHAMPION, str(champion))
    if previous is not None:
        client.set_registered_model_alias(name, tracking.PREVIOUS_CHAMPION, str(previous))
    else:
        try:
            client.delete_registered_model_alias(name, tracking.PREVIOUS_CHAMPION)
        except Exception:  # it may never have been set
            log.warning("Could not remove previous_champion alias of %s while undoing a move", name)


def move_and_record(
    client: MlflowClient,
    cfg: ModelConfig,
    *,
    to_version: int,
    from_version: int | None,
    entry: dict[str, Any],
) -> dict[str, Any]:
    """Move `champion` (and `previous_champion`) and append the decision's ledger entry, under the
    caller's registry lock. A move that cannot be recorded is undone: no unexplained champion stands.
    (If the registry is unreachable for the undo too, the retry of a promotion finishes the record.)"""
    previous = tracking.alias_version(cfg, tracking.PREVIOUS_CHAMPION, client)
    set_champion(client, cfg, to_version, from_version)
    try:
        return ledger.append(client, cfg, entry)
    except Exception:
        if from_version is not None:
            restore_aliases(client, cfg, champion=from_version, previous=previous)
        raise
