"""The ledger: every decision about a model's champion, appended to the registered model's tags.

MLflow keeps no alias history, so the registry itself records who moved the champion, when, why and
with which numbers: one registered-model tag per entry (`mlops.ledger.<seq:06d>`, compact JSON),
including rejections, lost races and rollbacks.

Appending normally happens under the registry lock (`registry.champion`), but the ledger does not
rely on everyone sharing that lock: MLflow tags are last-writer-wins, so each seq is first won with
an atomic create-if-absent on the model's snapshot store (`_ledger/<model>/<seq:06d>.json`, holding
the entry), and only the winner writes tag `<seq>`; a writer that loses a seq takes the next one.
Two writers on different locks (or none) get two entries, never one overwritten
(adr/0004-ledger-seqs-are-won-not-assumed.md).
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from airflow_champion.data import layout
from airflow_champion.data.storage import Store, open_store
from airflow_champion.errors import MlopsError
from airflow_champion.registry import locks, tags, tracking
from airflow_champion.reports.jsonsafe import dumps

if TYPE_CHECKING:
    from mlflow.tracking import MlflowClient

    from airflow_champion.config import ModelConfig

log = logging.getLogger(__name__)

LEDGER_PREFIX = f"{tags.PREFIX}ledger."
MOVES_CHAMPION = {"promote", "rollback"}
"""The only actions that move the `champion` alias."""
MAX_SEQ_TRIES = 1000


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def read_ledger(cfg: ModelConfig, client: MlflowClient | None = None) -> list[dict[str, Any]]:
    """All ledger entries in order (empty if the model is not registered yet)."""
    from mlflow.exceptions import MlflowException

    client = client or tracking.client()
    try:
        rm = client.get_registered_model(cfg.registered_model_name)
    except MlflowException as exc:
        if tracking.is_absent(exc):
            return []
        raise  # a blink is not an empty ledger: the step is retried
    entries = []
    for key, value in (rm.tags or {}).items():
        if key.startswith(LEDGER_PREFIX):
            try:
                entries.append(json.loads(value))
            except ValueError:
                log.warning("Unreadable ledger entry %s on %s", key, cfg.name)
    return sorted(entries, key=lambda e: int(e.get("seq", 0)))


def reservation(cfg: ModelConfig, seq: int) -> tuple[Store, str]:
    """Where ledger seq `seq` of this model is won: (the snapshot store, the relative path)."""
    name = cfg.registered_model_name
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", name)
    if safe != name or safe.startswith("."):  # keep distinct names distinct after sanitising
        safe = f"{safe.lstrip('.')}-{hashlib.sha256(name.encode()).hexdigest()[:8]}"
    return open_store(cfg.snapshot_root()), f"{layout.LEDGER_DIR}/{safe}/{seq:06d}.json"


def append(client: MlflowClient, cfg: ModelConfig, entry: dict[str, Any]) -> dict[str, Any]:
    """Append the entry under the next seq that this caller wins; returns the entry as written.

    The seq is won with create-if-absent (a writer racing on another lock, or a lost lock's holder,
    gets the next one), and under a lock the caller holds, that lock must still be ours (fencing).
    """
    locks.ensure_held(f"writing ledger entry {entry.get('action')!r} of {cfg.name}")
    ledger = read_ledger(cfg, client)
    seq = (int(ledger[-1]["seq"]) if ledger else 0) + 1
    for _try in range(MAX_SEQ_TRIES):
        written = {"seq": seq, **entry, "at": _now()}
        written["reason"] = str(written.get("reason") or "")[:500]
        text = dumps(written, compact=True)
        store, rel = reservation(cfg, seq)
        if store.create_exclusive(rel, text.encode("utf-8")):
            client.set_registered_model_tag(cfg.registered_model_name, f"{LEDGER_PREFIX}{seq:06d}", text)
            return written
        log.info("%s: ledger seq %s was taken by another writer; trying %s", cfg.name, seq, seq + 1)
        seq += 1
    raise MlopsError(
        f"{cfg.name}: no free ledger seq after {MAX_SEQ_TRIES} tries from {seq - MAX_SEQ_TRIES} "
        f"({reservation(cfg, seq)[1]}); is something creating reservations in a loop?"
    )


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
