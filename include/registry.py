"""Promotion, rollback and the ledger: the only code that moves the `champion` alias.

Every move is a compare-and-set under a named lock (include.locks): read the alias, check it still is
what the decision was based on, write, read back. Every decision, including rejections and lost
races, is appended to the ledger kept in the registered model's tags, so the registry itself says
who moved the champion, when, why and with which numbers.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from include import locks, tracking
from include.errors import PromotionConflictError, PromotionRefusedError, RollbackError

if TYPE_CHECKING:
    from mlflow.tracking import MlflowClient

    from include.config import ModelConfig

log = logging.getLogger(__name__)

LEDGER_PREFIX = f"{tracking.TAG_PREFIX}ledger."
LEDGER_HEAD = f"{LEDGER_PREFIX}head"
MOVES_CHAMPION = {"promote", "rollback"}
LOCK_TIMEOUT_S = 120.0


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _lock_name(cfg: ModelConfig) -> str:
    return f"registry:{cfg.registered_model_name}"


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
        if key.startswith(LEDGER_PREFIX) and key != LEDGER_HEAD:
            try:
                entries.append(json.loads(value))
            except ValueError:
                log.warning("Unreadable ledger entry %s on %s", key, cfg.name)
    return sorted(entries, key=lambda e: int(e.get("seq", 0)))


def _append(client: MlflowClient, cfg: ModelConfig, entry: dict[str, Any]) -> dict[str, Any]:
    """Append under the caller's lock: seq = head + 1."""
    ledger = read_ledger(cfg, client)
    seq = (int(ledger[-1]["seq"]) if ledger else 0) + 1
    entry = {"seq": seq, **entry, "at": _now()}
    entry["reason"] = str(entry.get("reason") or "")[:500]
    client.set_registered_model_tag(
        cfg.registered_model_name, f"{LEDGER_PREFIX}{seq:06d}", json.dumps(entry, separators=(",", ":"))
    )
    client.set_registered_model_tag(cfg.registered_model_name, LEDGER_HEAD, str(seq))
    return entry


def _set_champion(client: MlflowClient, cfg: ModelConfig, to_version: int, from_version: int | None) -> None:
    """Move champion (and previous_champion) and read back; restore the old alias on any failure."""
    name = cfg.registered_model_name
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


def _restore_aliases(client: MlflowClient, cfg: ModelConfig, *, champion: int, previous: int | None) -> None:
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


def _ctx(context: dict[str, Any] | None) -> dict[str, str]:
    context = context or {}
    return {k: str(context[k]) for k in ("dag_id", "run_id") if context.get(k)}


def _metric(verdict: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": verdict.get("metric"),
        "challenger": verdict.get("challenger_score"),
        "champion": verdict.get("champion_score"),
        "ci_low": verdict.get("ci_low"),
    }


def _check_verdict(cfg: ModelConfig, verdict: dict[str, Any]) -> int:
    if verdict.get("model") != cfg.name:
        raise PromotionRefusedError(f"verdict is for model {verdict.get('model')!r}, not {cfg.name!r}")
    try:
        version = int(verdict["challenger_version"])
    except (KeyError, TypeError, ValueError):
        raise PromotionRefusedError("verdict has no integer challenger_version") from None
    if verdict.get("decision") not in {"promote", "reject"}:
        raise PromotionRefusedError(f"verdict decision {verdict.get('decision')!r} is not promote/reject")
    return version


def promote(
    cfg: ModelConfig, verdict: dict[str, Any], *, actor: str, context: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Compare-and-set `champion` to the verdict's challenger; a rejection is recorded, not raised."""
    client = tracking.client()
    version = _check_verdict(cfg, verdict)
    expected = verdict.get("champion_version")
    expected = int(expected) if expected is not None else None
    base = {
        "actor": actor,
        "snapshot_id": verdict.get("snapshot_id"),
        "metric": _metric(verdict),
        "run_id": verdict.get("eval_run_id"),
        "context": _ctx(context),
    }
    with locks.named_lock(_lock_name(cfg), timeout=LOCK_TIMEOUT_S):
        current = tracking.alias_version(cfg, tracking.CHAMPION, client)
        if verdict["decision"] != "promote":
            entry = _append(
                client,
                cfg,
                {
                    "action": "reject",
                    "from_version": current,
                    "to_version": version,
                    "reason": "; ".join(verdict.get("reasons") or []) or "verdict: reject",
                    **base,
                },
            )
            return {
                "promoted": False,
                "decision": "reject",
                "champion": current,
                "to_version": version,
                "from_version": current,
                "ledger_seq": entry["seq"],
                "reasons": verdict.get("reasons", []),
            }
        mv = client.get_model_version(cfg.registered_model_name, str(version))
        tags = mv.tags or {}
        if tags.get(f"{tracking.TAG_PREFIX}verdict") != "promote":
            raise PromotionRefusedError(
                f"{cfg.name} v{version} carries no 'promote' verdict from evaluation "
                f"(mlops.verdict={tags.get(f'{tracking.TAG_PREFIX}verdict')!r}); refusing to promote"
            )
        if current == version and expected != version:
            return _finish_interrupted_promotion(client, cfg, verdict, version, expected, base)
        if current != expected:
            entry = _append(
                client,
                cfg,
                {
                    "action": "conflict",
                    "from_version": current,
                    "to_version": version,
                    "reason": f"champion moved to v{current} since the verdict was made against "
                    f"v{expected}; re-evaluate against the new champion",
                    **base,
                },
            )
            raise PromotionConflictError(
                f"{cfg.name}: champion moved to v{current}, but v{version} was judged against v{expected} "
                f"(ledger #{entry['seq']}); re-evaluate against the new champion"
            )
        previous = tracking.alias_version(cfg, tracking.PREVIOUS_CHAMPION, client)
        _set_champion(client, cfg, version, current)
        try:
            entry = _append(
                client,
                cfg,
                {
                    "action": "promote",
                    "from_version": current,
                    "to_version": version,
                    "reason": "; ".join(verdict.get("reasons") or []),
                    **base,
                },
            )
        except Exception:
            # undo the move; if the registry is unreachable the retry finishes it instead (above)
            if current is not None:
                _restore_aliases(client, cfg, champion=current, previous=previous)
            raise
        client.set_model_version_tag(
            cfg.registered_model_name, str(version), "mlops.promoted_at", entry["at"]
        )
    log.info("%s: champion v%s -> v%s (ledger #%s)", cfg.name, current, version, entry["seq"])
    return _promoted(verdict, version, current, entry)


def _finish_interrupted_promotion(
    client: MlflowClient,
    cfg: ModelConfig,
    verdict: dict[str, Any],
    version: int,
    expected: int | None,
    base: dict[str, Any],
) -> dict[str, Any]:
    """The alias already points at this challenger: an earlier attempt of this promotion moved it.

    Either that attempt finished (its answer was lost: return its ledger entry) or it died between
    moving the alias and writing the ledger, and could not undo the move (the registry went away).
    Then the move is what the verdict asked for, so it is completed: previous_champion and the ledger.
    """
    ledger = read_ledger(cfg, client)
    last_move = next((e for e in reversed(ledger) if e.get("action") in MOVES_CHAMPION), None)
    if last_move is not None and int(last_move["to_version"]) == version:
        entry = last_move
        log.info("%s: v%s already promoted (ledger #%s); nothing to do", cfg.name, version, entry["seq"])
    else:
        if expected is not None:
            client.set_registered_model_alias(
                cfg.registered_model_name, tracking.PREVIOUS_CHAMPION, str(expected)
            )
        reasons = "; ".join(verdict.get("reasons") or [])
        entry = _append(
            client,
            cfg,
            {
                "action": "promote",
                "from_version": expected,
                "to_version": version,
                "reason": f"{reasons} (completed on retry: an interrupted attempt had moved the alias)",
                **base,
            },
        )
        client.set_model_version_tag(
            cfg.registered_model_name, str(version), "mlops.promoted_at", entry["at"]
        )
        log.warning(
            "%s: finished an interrupted promotion of v%s (ledger #%s)", cfg.name, version, entry["seq"]
        )
    return _promoted(verdict, version, expected, entry)


def _promoted(
    verdict: dict[str, Any], version: int, from_version: int | None, entry: dict[str, Any]
) -> dict[str, Any]:
    """What promote returns (to XCom) when `version` is the champion per ledger entry `entry`."""
    return {
        "promoted": True,
        "decision": "promote",
        "champion": version,
        "from_version": from_version,
        "to_version": version,
        "ledger_seq": entry["seq"],
        "reasons": verdict.get("reasons", []),
    }


def _champion_history(ledger: list[dict[str, Any]]) -> list[int]:
    return [int(e["to_version"]) for e in ledger if e.get("action") in MOVES_CHAMPION]


def _moved_by(ledger: list[dict[str, Any]], version: int) -> dict[str, Any] | None:
    """The latest ledger entry that made `version` the champion (None: moved outside the ledger)."""
    return next(
        (
            e
            for e in reversed(ledger)
            if e.get("action") in MOVES_CHAMPION and int(e["to_version"]) == version
        ),
        None,
    )


def _rollback_conflict(
    client: MlflowClient,
    cfg: ModelConfig,
    *,
    expected: int,
    current: int,
    to_version: int | None,
    ledger: list[dict[str, Any]],
    reason: str,
    actor: str,
    context: dict[str, Any] | None,
) -> PromotionConflictError:
    """Record (under the caller's lock) a guarded rollback that found another champion; change nothing."""
    mover = _moved_by(ledger, current)
    moved = (
        f"moved by ledger #{mover['seq']}: {mover.get('action')} by {mover.get('actor')}"
        if mover
        else "moved outside the ledger"
    )
    entry = _append(
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
            "context": _ctx(context),
        },
    )
    return PromotionConflictError(
        f"{cfg.name}: rollback expected champion v{expected} but it is v{current} ({moved}); "
        f"nothing changed (ledger #{entry['seq']}); check the new champion before rolling back again"
    )


def rollback(
    cfg: ModelConfig,
    *,
    to_version: int | None,
    reason: str,
    actor: str,
    context: dict[str, Any] | None = None,
    expected_champion: int | None = None,
) -> dict[str, Any]:
    """Move `champion` back to the previous champion (per the ledger) or a named former champion.

    `expected_champion` guards a decision made earlier: a rollback without `to_version` undoes whatever
    is champion when it runs, so if a promotion landed in between it would undo the new champion. With
    the guard, a champion other than the expected one is recorded as a ledger `conflict` and raised as
    PromotionConflictError; the alias is left alone.
    """
    if not reason or not reason.strip():
        raise RollbackError(f"{cfg.name}: a rollback needs a reason")
    client = tracking.client()
    with locks.named_lock(_lock_name(cfg), timeout=LOCK_TIMEOUT_S):
        current = tracking.alias_version(cfg, tracking.CHAMPION, client)
        if current is None:
            raise RollbackError(f"{cfg.name} has no champion; nothing to roll back")
        ledger = read_ledger(cfg, client)
        if expected_champion is not None and current != int(expected_champion):
            raise _rollback_conflict(
                client,
                cfg,
                expected=int(expected_champion),
                current=current,
                to_version=int(to_version) if to_version is not None else None,
                ledger=ledger,
                reason=reason,
                actor=actor,
                context=context,
            )
        history = _champion_history(ledger)
        if to_version is None:
            made_current = _moved_by(ledger, current)
            target = made_current.get("from_version") if made_current else None
            if target is None:
                raise RollbackError(
                    f"{cfg.name} v{current} is the first champion in the ledger; there is no previous one "
                    "(name a version with to_version)"
                )
            target = int(target)
        else:
            target = int(to_version)
            if target == current:
                raise RollbackError(f"{cfg.name} v{target} is already the champion")
            if target not in history:
                raise RollbackError(
                    f"{cfg.name} v{target} was never champion (former champions: {sorted(set(history))}); "
                    "rollback only restores a version that passed its gates"
                )
        from mlflow.exceptions import MlflowException

        try:
            client.get_model_version(cfg.registered_model_name, str(target))
        except MlflowException:
            raise RollbackError(f"{cfg.name} v{target} no longer exists in the registry") from None
        previous = tracking.alias_version(cfg, tracking.PREVIOUS_CHAMPION, client)
        _set_champion(client, cfg, target, current)
        try:
            entry = _append(
                client,
                cfg,
                {
                    "action": "rollback",
                    "from_version": current,
                    "to_version": target,
                    "actor": actor,
                    "reason": reason.strip(),
                    "snapshot_id": None,
                    "metric": None,
                    "run_id": None,
                    "context": _ctx(context),
                },
            )
        except Exception:  # an unrecorded move must not stand: put both aliases back
            _restore_aliases(client, cfg, champion=current, previous=previous)
            raise
    log.info("%s: rolled back champion v%s -> v%s (ledger #%s)", cfg.name, current, target, entry["seq"])
    return {"rolled_back": True, "from_version": current, "to_version": target, "ledger_seq": entry["seq"]}


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
        tags = mv.tags or {}
        rows.append(
            {
                "version": int(mv.version),
                "snapshot_id": tags.get(f"{tracking.TAG_PREFIX}snapshot_id"),
                cfg.metric.name: tags.get(f"{tracking.TAG_PREFIX}holdout_{cfg.metric.name}"),
                "verdict": tags.get(f"{tracking.TAG_PREFIX}verdict"),
                "trigger_reason": tags.get(f"{tracking.TAG_PREFIX}trigger_reason"),
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
        "ledger": read_ledger(cfg, client),
    }
