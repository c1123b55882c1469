"""The ledger: every decision about a model's champion, appended to the registered model's tags.

MLflow keeps no alias history, so the registry itself records who moved the champion, when, why and
with which numbers: one registered-model tag per entry (`mlops.ledger.<seq:06d>`, compact JSON),
including rejections, lost races and rollbacks. Appending happens under the registry lock
(`registry.champion`), so `seq` is the previous entry's + 1.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from airflow_champion.registry import tags, tracking
from airflow_champion.reports.jsonsafe import dumps

if TYPE_CHECKING:
    from mlflow.tracking import MlflowClient

    from airflow_champion.config import ModelConfig

log = logging.getLogger(__name__)

LEDGER_PREFIX = f"{tags.PREFIX}ledger."
MOVES_CHAMPION = {"promote", "rollback"}
"""The only actions that move the `champion` alias."""


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def read_ledger(cfg: ModelConfig, client: MlflowClient | None = None) -> list[dict[str, Any]]:
    """All ledger entries in order (empty if the model is not registered yet)."""
    from mlflow.exceptions import MlflowException

    client = client or tracking.client()
    try:
        rm = client.get_registered_model(cfg.registered_model_name)
    except MlflowException:
        return []
    entries = []
    for key, value in (rm.tags or {}).items():
        if key.startswith(LEDGER_PREFIX):
            try:
                entries.append(json.loads(value))
            except ValueError:
                log.warning("Unreadable ledger entry %s on %s", key, cfg.name)
    return sorted(entries, key=lambda e: int(e.get("seq", 0)))


def append(client: MlflowClient, cfg: ModelConfig, entry: dict[str, Any]) -> dict[str, Any]:
    """Append under the caller's lock: seq = the last entry's + 1; returns the entry as written."""
    ledger = read_ledger(cfg, client)
    seq = (int(ledger[-1]["seq"]) if ledger else 0) + 1
    entry = {"seq": seq, **entry, "at": _now()}
    entry["reason"] = str(entry.get("reason") or "")[:500]
    client.set_registered_model_tag(
        cfg.registered_model_name, f"{LEDGER_PREFIX}{seq:06d}", dumps(entry, compact=True)
    )
    return entry


def champion_history(ledger: list[dict[str, Any]]) -> list[int]:
    return [int(e["to_version"]) for e in ledger if e.get("action") in MOVES_CHAMPION]


def moved_by(ledger: list[dict[str, Any]], version: int) -> dict[str, Any] | None:
    """The latest ledger entry that made `version` the champion (None: moved outside the ledger)."""
    return next(
        (
            e
            for e in reversed(ledger)
            if e.get("action") in MOVES_CHAMPION and int(e["to_version"]) == version
        ),
        None,
    )


def run_context(context: dict[str, Any] | None) -> dict[str, str]:
    """The Airflow run a decision was made in ({dag_id, run_id}), as the ledger records it."""
    context = context or {}
    return {k: str(context[k]) for k in ("dag_id", "run_id") if context.get(k)}
