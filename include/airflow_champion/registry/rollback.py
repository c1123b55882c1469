"""Rollback: move `champion` back to the previous champion (per the ledger) or a named former one.

Only a version that was champion before and is not revoked may be restored (it passed its gates
then); the version rolled back from is revoked (registry.revocation). An optional
`expected_champion` guard refuses, as a ledger `conflict`, when a promotion landed after the
rollback was decided. A move that cannot be recorded is undone: no unrecorded champion stands.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from airflow_champion.errors import PromotionConflictError, RollbackError
from airflow_champion.registry import ledger, locks, revocation, tracking
from airflow_champion.registry.champion import LOCK_TIMEOUT_S, lock_name, move_and_record
from airflow_champion.telemetry.gates import records_rollback

if TYPE_CHECKING:
    from mlflow.tracking import MlflowClient

    from airflow_champion.config import ModelConfig

log = logging.getLogger(__name__)


def _rollback_conflict(
    client: MlflowClient,
    cfg: ModelConfig,
    *,
    expected: int,
    current: int,
    to_version: int | None,
    entries: list[dict[str, Any]],
    reason: str,
    actor: str,
    context: dict[str, Any] | None,
) -> PromotionConflictError:
    """Record (under the caller's lock) a guarded rollback that found another champion; change nothing."""
    mover = ledger.moved_by(entries, current)
    moved = (
        f"moved by ledger #{mover['seq']}: {mover.get('action')} by {mover.get('actor')}"
        if mover
        else "moved outside the ledger"
    )
    entry = ledger.append(
        client,
        cfg,
        {
            "action": "conflict",
            "from_version": current,
            "to_version": to_version,
            "actor": actor,
            "reason": f"rollback expected champion v{expected} but it is v{current} ({moved}); "
            f"nothing changed; requested because: {reason.strip()}",
            "snapshot_id": None,
            "metric": None,
            "run_id": None,
            "context": ledger.run_context(context),
        },
    )
    return PromotionConflictError(
        f"{cfg.name}: rollback expected champion v{expected} but it is v{current} ({moved}); "
        f"nothing changed (ledger #{entry['seq']}); check the new champion before rolling back again"
    )


@records_rollback
def rollback(
    cfg: ModelConfig,
    *,
    to_version: int | None,
    reason: str,
    actor: str,
    context: dict[str, Any] | None = None,
    expected_champion: int | None = None,
    evidence: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Move `champion` back to the previous champion (per the ledger) or a named former champion.

    `evidence` ({snapshot_id, metric, run_id}) is what an automatic rollback saw; it goes into the
    ledger entry as a promotion's numbers do.

    `expected_champion` guards a decision made earlier: a rollback without `to_version` undoes whatever
    is champion when it runs, so if a promotion landed in between it would undo the new champion. With
    the guard, a champion other than the expected one is recorded as a ledger `conflict` and raised as
    PromotionConflictError; the alias is left alone.
    """
    if not reason or not reason.strip():
        raise RollbackError(f"{cfg.name}: a rollback needs a reason")
    client = tracking.client()
    with locks.named_lock(lock_name(cfg), timeout=LOCK_TIMEOUT_S):
        current = tracking.alias_version(cfg, tracking.CHAMPION, client)
        if current is None:
            raise RollbackError(f"{cfg.name} has no champion; nothing to roll back")
        entries = ledger.read_ledger(cfg, client)
        done = _rolled_back_by(entries, ledger.run_context(context))
        if done is not None:  # a retry of a rollback whose answer was lost: never roll back twice
            log.info("%s: run %s already rolled back (ledger #%s)", cfg.name, done["context"], done["seq"])
            return _rolled_back(done)
        if expected_champion is not None and current != int(expected_champion):
            raise _rollback_conflict(
                client,
                cfg,
                expected=int(expected_champion),
                current=current,
                to_version=int(to_version) if to_version is not None else None,
                entries=entries,
                reason=reason,
                actor=actor,
                context=context,
            )
        target = _target(cfg, entries, current, to_version)
        from mlflow.exceptions import MlflowException

        try:
            client.get_model_version(cfg.registered_model_name, str(target))
        except MlflowException as exc:
            if not tracking.is_absent(exc):
                raise  # the registry blinked: retried, not "no longer exists"
            raise RollbackError(f"{cfg.name} v{target} no longer exists in the registry") from None
        entry = move_and_record(
            client,
            cfg,
            to_version=target,
            from_version=current,
            entry={
                "action": "rollback",
                "from_version": current,
                "to_version": target,
                "actor": actor,
                "reason": reason.strip(),
                "snapshot_id": (evidence or {}).get("snapshot_id"),
                "metric": (evidence or {}).get("metric"),
                "run_id": (evidence or {}).get("run_id"),
                "context": ledger.run_context(context),
            },
        )
        revocation.mark_revoked(client, cfg, current, entry)
    log.info("%s: rolled back champion v%s -> v%s (ledger #%s)", cfg.name, current, target, entry["seq"])
    return _rolled_back(entry)


def _target(cfg: ModelConfig, entries: list[dict[str, Any]], current: int, to_version: int | None) -> int:
    """The version to restore: the named one (a former champion, not revoked), or else the newest
    former champion that is neither the current one nor revoked, so a rollback straight after a
    rollback goes further back instead of re-installing the version just rolled back from."""
    history = ledger.champion_history(entries)
    revoked = revocation.revoking_entries(entries)
    if to_version is not None:
        target = int(to_version)
        if target == current:
            raise RollbackError(f"{cfg.name} v{target} is already the champion")
        if target not in history:
            raise RollbackError(
                f"{cfg.name} v{target} was never champion (former champions: {sorted(set(history))}); "
                "rollback only restores a version that passed its gates"
            )
        if target in revoked:
            raise RollbackError(
                f"{cfg.name} v{target} is revoked ({revocation.describe(revoked[target])}); a revoked "
                "version is not restored by a rollback"
            )
        return target
    candidates = [v for v in reversed(history) if v != current and v not in revoked]
    if not candidates:
        if len(set(history)) <= 1:
            raise RollbackError(
                f"{cfg.name} v{current} is the first champion in the ledger; there is no previous one "
                "(name a version with to_version)"
            )
        raise RollbackError(
            f"{cfg.name}: every former champion other than v{current} is revoked "
            f"({sorted(revoked)}); nothing to roll back to"
        )
    return candidates[0]


def _rolled_back_by(entries: list[dict[str, Any]], context: dict[str, str]) -> dict[str, Any] | None:
    """The rollback this Airflow run already made, if any (a CLI call has no run: never deduplicated)."""
    if not context.get("run_id"):
        return None
    return next((e for e in entries if e.get("action") == "rollback" and e.get("context") == context), None)


def _rolled_back(entry: dict[str, Any]) -> dict[str, Any]:
    return {
        "rolled_back": True,
        "from_version": entry["from_version"],
        "to_version": entry["to_version"],
        "ledger_seq": entry["seq"],
    }
