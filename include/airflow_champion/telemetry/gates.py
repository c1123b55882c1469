"""The hooks: one decorator on each function where a gate decides, so each hook is one line there.

A decorator runs after the decision is final (the ledger entry written, the registry lock released)
and sees a raised conflict too. With metrics off it calls the function and nothing else; with them on,
whatever fails in here is logged once and the decision is returned (or raised) untouched.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from airflow_champion.errors import (
    PromotionConflictError,
    PromotionRefusedError,
    RollbackError,
    ValidationFailedError,
)
from airflow_champion.telemetry import emitter
from airflow_champion.telemetry import names as n
from airflow_champion.telemetry.config import log_once

if TYPE_CHECKING:
    from airflow_champion.config import ModelConfig

P = ParamSpec("P")
R = TypeVar("R")

_FIRST_FAILING = (  # words of evaluation.decision's (and the revocation check's) reasons -> reason tag
    ("never promoted again automatically", "revoked"),
    ("is already the champion", "same_version"),
    ("first model:", "floor"),
    ("relative gain", "min_rel_gain"),
    ("min_abs_gain", "min_abs_gain"),
    ("CI lower bound", "ci"),
    ("CI could not be computed", "ci"),
)
"""Checked in order against the first reason (failing reasons come first); anything else is one of
the verdict's blockers (leakage, too few judged rows, slices, calibration, budgets): `blocker`."""


def reason_class(decision: str, verdict: dict[str, Any], result: dict[str, Any] | None) -> str:
    """A small, fixed set of tag values for why: never a free-text reason (unbounded cardinality)."""
    if decision in {"conflict", "refused"}:
        return "champion_moved" if decision == "conflict" else "bad_verdict"
    decided = (result or {}).get("decision", verdict.get("decision"))
    if decided == "promote":
        return "first_model" if verdict.get("champion_version") is None else "beat_champion"
    reasons = (result or {}).get("reasons") or verdict.get("reasons") or [""]
    first = str(reasons[0])
    return next((cls for words, cls in _FIRST_FAILING if words in first), "blocker")


def _time(iso: Any) -> datetime | None:
    try:
        t = datetime.fromisoformat(str(iso))
    except ValueError:
        return None
    return t if t.tzinfo else t.replace(tzinfo=UTC)


def _seconds_since(iso: Any, now: datetime) -> float | None:
    t = _time(iso)
    return None if t is None else max(0.0, (now - t).total_seconds())


def champion_samples(cfg: ModelConfig, version: int | None = None) -> list[emitter.Sample]:
    """Version and age of the current champion (age: since the ledger entry that gave it the alias)."""
    from airflow_champion.registry.ledger import moved_by, read_ledger
    from airflow_champion.registry.tracking import CHAMPION, alias_version, client

    c = client()
    version = alias_version(cfg, CHAMPION, c) if version is None else int(version)
    if version is None:
        return []
    entry = moved_by(read_ledger(cfg, c), version)
    since = _time(entry["at"]) if entry else None
    tags = {"model": cfg.name}
    return [
        (n.CHAMPION_VERSION, version, tags),
        (n.CHAMPION_SINCE, since.timestamp() if since else None, tags),
        (n.CHAMPION_AGE, _seconds_since(entry["at"], datetime.now(UTC)) if entry else None, tags),
    ]


def landing_seconds(cfg: ModelConfig, snapshot_id: Any) -> float | None:
    """Seconds since the snapshot's manifest says it was created (None: no snapshot or no time)."""
    from airflow_champion.data.manifest import read_manifest

    if not snapshot_id:
        return None
    created = read_manifest(cfg.snapshot_root(), str(snapshot_id)).created_at
    return _seconds_since(created, datetime.now(UTC)) if created else None


def decision_samples(
    cfg: ModelConfig, verdict: dict[str, Any], decision: str, result: dict[str, Any] | None
) -> list[emitter.Sample]:
    tags = {
        "model": cfg.name,
        "decision": decision,
        "verdict": verdict.get("decision"),
        "reason": reason_class(decision, verdict, result),
    }
    samples: list[emitter.Sample] = [(n.GATE_DECISION, 1, tags)]
    if result is None:  # raised: no decision was recorded, so no numbers for it
        return samples
    on = {"model": cfg.name, "metric": verdict.get("metric")}
    landed = safely("landing time", lambda: landing_seconds(cfg, verdict.get("snapshot_id")))
    samples += [
        (n.GATE_GAIN, verdict.get("diff"), on),
        (n.GATE_CI_LOW, verdict.get("ci_low"), on),
        (n.GATE_CI_HIGH, verdict.get("ci_high"), on),
        (n.LANDING_TO_DECISION, landed, {"model": cfg.name, "decision": decision}),
    ]
    return samples + (safely("champion", lambda: champion_samples(cfg)) or [])


def safely(what: str, make: Callable[[], R]) -> R | None:
    """`make()`, or None when it fails (a manifest or the ledger unreadable): logged once, and the
    other metrics of the decision are still sent."""
    try:
        return make()
    except Exception as exc:
        log_once(
            ("hook", what, type(exc).__name__), "metrics: %s not read: %s: %s", what, type(exc).__name__, exc
        )
        return None


def _send(what: str, make: Callable[[], list[emitter.Sample]]) -> None:
    emitter.send(safely(what, make) or [])


def _binder(fn: Callable[..., Any]) -> Callable[..., dict[str, Any] | None]:
    """The call's arguments by name (None when they do not fit: the function then raises itself)."""
    signature = inspect.signature(fn)

    def bind(args: Any, kwargs: Any) -> dict[str, Any] | None:
        try:
            return dict(signature.bind(*args, **kwargs).arguments)
        except TypeError:
            return None

    return bind


def _ledger_action(result: dict[str, Any]) -> str:
    return "shadow" if result.get("shadow") else str(result.get("decision"))


def records_promotion(fn: Callable[P, dict[str, Any]]) -> Callable[P, dict[str, Any]]:
    """On registry.promotion.promote(cfg, verdict, ...): the decision, its numbers, the champion."""
    bind = _binder(fn)

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> dict[str, Any]:
        bound = bind(args, kwargs) if emitter.enabled() else None
        if bound is None:
            return fn(*args, **kwargs)
        cfg, verdict = bound["cfg"], bound.get("verdict")
        verdict = dict(verdict) if isinstance(verdict, dict) else {}
        try:
            result = fn(*args, **kwargs)
        except (PromotionConflictError, PromotionRefusedError) as exc:
            decision = "conflict" if isinstance(exc, PromotionConflictError) else "refused"
            _send("promotion", lambda: decision_samples(cfg, verdict, decision, None))
            raise
        _send("promotion", lambda: decision_samples(cfg, verdict, _ledger_action(result), result))
        return result

    return wrapper


def records_rollback(fn: Callable[P, dict[str, Any]]) -> Callable[P, dict[str, Any]]:
    """On registry.rollback.rollback(cfg, ...): the attempt's outcome, then the champion."""
    bind = _binder(fn)

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> dict[str, Any]:
        bound = bind(args, kwargs) if emitter.enabled() else None
        if bound is None:
            return fn(*args, **kwargs)
        cfg = bound["cfg"]
        tags = {
            "model": getattr(cfg, "name", None),
            "trigger": "automatic" if bound.get("evidence") else "manual",
        }
        try:
            result = fn(*args, **kwargs)
        except (PromotionConflictError, RollbackError) as exc:
            outcome = "conflict" if isinstance(exc, PromotionConflictError) else "refused"
            _send("rollback", lambda: [(n.ROLLBACK, 1, {**tags, "outcome": outcome})])
            raise
        _send(
            "rollback",
            lambda: [
                (n.ROLLBACK, 1, {**tags, "outcome": "rolled_back"}),
                *(safely("champion", lambda: champion_samples(cfg)) or []),
            ],
        )
        return result

    return wrapper


def records_validation(fn: Callable[P, R]) -> Callable[P, R]:
    """On validation.gate.validate_snapshot(cfg, snapshot): passed, or failed and why (the gate raises
    ValidationFailedError `from` the load error when the snapshot was unreadable)."""
    bind = _binder(fn)

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        bound = bind(args, kwargs) if emitter.enabled() else None
        if bound is None:
            return fn(*args, **kwargs)
        cfg = bound["cfg"]
        try:
            result = fn(*args, **kwargs)
        except ValidationFailedError as exc:
            kind = "unreadable" if exc.__cause__ is not None else "expectations"
            _send("validation", lambda: [(n.VALIDATION_FAILED, 1, {"model": cfg.name, "kind": kind})])
            raise
        _send("validation", lambda: [(n.VALIDATION_PASSED, 1, {"model": cfg.name})])
        return result

    return wrapper


__all__ = [
    "champion_samples",
    "decision_samples",
    "landing_seconds",
    "reason_class",
    "records_promotion",
    "records_rollback",
    "records_validation",
    "safely",
]
