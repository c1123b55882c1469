"""Promotion: compare-and-set of `champion` to a challenger whose verdict says promote.

In shadow mode the same decision is recorded as a `shadow` ledger entry and nothing moves; a revoked
version (registry.revocation) is rejected whatever its verdict says.

A rejection is recorded in the ledger, not raised; a champion that moved since the verdict was made
is a `conflict` entry and PromotionConflictError (re-evaluate against the new champion). A retry of
a promotion whose answer was lost, or that died between moving the alias and writing the ledger,
finishes it instead of reporting a conflict (`_finish_interrupted_promotion`).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from airflow_champion.errors import PromotionConflictError, PromotionRefusedError
from airflow_champion.registry import approval as approvals
from airflow_champion.registry import ledger, locks, revocation, tags, tracking
from airflow_champion.registry.champion import LOCK_TIMEOUT_S, lock_name, move_and_record
from airflow_champion.telemetry.gates import records_promotion

if TYPE_CHECKING:
    from mlflow.tracking import MlflowClient

    from airflow_champion.config import ModelConfig

log = logging.getLogger(__name__)


def _metric(verdict: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": verdict.get("metric"),
        "challenger": verdict.get("challenger_score"),
        "champion": verdict.get("champion_score"),
        "ci_low": verdict.get("ci_low"),
    }


def _recorded(
    entries: list[dict[str, Any]], action: str, version: int, eval_run_id: str | None
) -> dict[str, Any] | None:
    """The ledger entry of this very decision (same action, version and evaluation run), if a retry
    finds it: a retried task returns it instead of appending a second one."""
    if not eval_run_id:
        return None
    return next(
        (
            e
            for e in reversed(entries)
            if e.get("action") == action and e.get("to_version") == version and e.get("run_id") == eval_run_id
        ),
        None,
    )


def _shadow(
    client: MlflowClient,
    cfg: ModelConfig,
    entries: list[dict[str, Any]],
    version: int,
    current: int | None,
    decision: str,
    reasons: list[str],
    base: dict[str, Any],
) -> dict[str, Any]:
    """Shadow mode: record what promotion would have done; no alias moves."""
    would = decision == "promote"
    entry = _recorded(entries, "shadow", version, base.get("run_id")) or ledger.append(
        client,
        cfg,
        {
            "action": "shadow",
            "from_version": current,
            "to_version": version,
            "reason": f"shadow: would {'promote' if would else 'reject'}: " + "; ".join(reasons),
            **base,
        },
    )
    log.info("%s: shadow verdict for v%s: would %s (ledger #%s)", cfg.name, version, decision, entry["seq"])
    return {
        "promoted": False,
        "shadow": True,
        "would_promote": would,
        "decision": decision,
        "champion": current,
        "to_version": version,
        "from_version": current,
        "ledger_seq": entry["seq"],
        "reasons": reasons,
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


@records_promotion
def promote(
    cfg: ModelConfig,
    verdict: dict[str, Any],
    *,
    actor: str,
    context: dict[str, Any] | None = None,
    shadow: bool = False,
    evidence_bundle: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Compare-and-set `champion` to the verdict's challenger; a rejection is recorded, not raised.

    `shadow` (or `promotion.mode: shadow`) records what would have happened as a ledger `shadow`
    entry and moves no alias; a revoked challenger is recorded as a rejection whatever its verdict.
    `evidence_bundle` (where the decision's evidence bundle goes, pipeline.evidence_record.locate)
    is written into the ledger entry, so the ledger links each decision to its evidence.
    `context["approval"]` is the answer of the run's approval task (operators/approval.py): where the
    config asks for approval, only `approved` moves the alias; a rejection, a timeout or no answer
    is recorded as a rejection, with who and when in the entry (registry/approval.py).
    """
    client = tracking.client()
    version = _check_verdict(cfg, verdict)
    shadow = shadow or cfg.promotion.mode == "shadow"
    expected = verdict.get("champion_version")
    expected = int(expected) if expected is not None else None
    approval = (context or {}).get("approval")
    base = {
        "actor": actor,
        "snapshot_id": verdict.get("snapshot_id"),
        "metric": _metric(verdict),
        "run_id": verdict.get("eval_run_id"),
        "context": ledger.run_context(context),
        **({"evidence_bundle": evidence_bundle} if evidence_bundle else {}),
        **({"approval": answered} if (answered := approvals.ledger_record(approval)) else {}),
    }
    with locks.named_lock(lock_name(cfg), timeout=LOCK_TIMEOUT_S):
        current = tracking.alias_version(cfg, tracking.CHAMPION, client)
        entries = ledger.read_ledger(cfg, client)
        reasons = list(verdict.get("reasons") or [])
        decision = verdict["decision"]
        revoked = revocation.revoked_reason(client, cfg, version, entries) if decision == "promote" else None
        if revoked:
            decision, reasons = "reject", [f"{revoked}; never promoted again automatically", *reasons]
        refused = approvals.refusal(cfg, verdict, approval) if decision == "promote" and not shadow else None
        if refused:
            decision, reasons = "reject", [refused, *reasons]
        if shadow:
            return _shadow(client, cfg, entries, version, current, decision, reasons, base)
        if decision != "promote":
            recorded = _recorded(entries, "reject", version, verdict.get("eval_run_id"))
            entry = recorded or ledger.append(
                client,
                cfg,
                {
                    "action": "reject",
                    "from_version": current,
                    "to_version": version,
                    "reason": "; ".join(reasons) or "verdict: reject",
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
                "reasons": reasons,
            }
        mv = client.get_model_version(cfg.registered_model_name, str(version))
        if tags.read(mv, tags.VERDICT) != "promote":
            raise PromotionRefusedError(
                f"{cfg.name} v{version} carries no 'promote' verdict from evaluation "
                f"({tags.key(tags.VERDICT)}={tags.read(mv, tags.VERDICT)!r}); refusing to promote"
            )
        if current == version and expected != version:
            return _finish_interrupted_promotion(client, cfg, verdict, version, expected, base)
        if current != expected:
            entry = ledger.append(
                client,
                cfg,
                {
                    "action": "conflict",
                    "from_version": current,
                    "to_version": version,
                    "reason": f"champion moved to v{current} since the verdict was made against "
                    f"v{expected}; re-evaluate against the new champion",
                    **{k: v for k, v in base.items() if k != "evidence_bundle"},  # nothing decided
                },
            )
            raise PromotionConflictError(
                f"{cfg.name}: champion moved to v{current}, but v{version} was judged against v{expected} "
                f"(ledger #{entry['seq']}); re-evaluate against the new champion"
            )
        entry = move_and_record(
            client,
            cfg,
            to_version=version,
            from_version=current,
            entry={
                "action": "promote",
                "from_version": current,
                "to_version": version,
                "reason": "; ".join(verdict.get("reasons") or []),
                **base,
            },
        )
        tags.write(client, cfg, version, {tags.PROMOTED_AT: entry["at"]})
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
    entries = ledger.read_ledger(cfg, client)
    last_move = next((e for e in reversed(entries) if e.get("action") in ledger.MOVES_CHAMPION), None)
    if last_move is not None and int(last_move["to_version"]) == version:
        entry = last_move
        log.info("%s: v%s already promoted (ledger #%s); nothing to do", cfg.name, version, entry["seq"])
    else:
        if expected is not None:
            client.set_registered_model_alias(
                cfg.registered_model_name, tracking.PREVIOUS_CHAMPION, str(expected)
            )
        reasons = "; ".join(verdict.get("reasons") or [])
        entry = ledger.append(
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
        tags.write(client, cfg, version, {tags.PROMOTED_AT: entry["at"]})
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
