"""Triggers that poll snapshot storage and drift verdicts from the triggerer, not from a worker slot.

They live outside dags/ so that the triggerer can import them. Everything they need to rebuild
themselves is in `serialize()` (plain JSON types), so they survive a triggerer restart: the new
triggerer re-creates them from the metadata DB and carries on polling; all state that matters
(announced, claimed, quarantined, verdicts) is in storage, none in the trigger object. S3 is reached
with the kwargs' `aws_conn_id` (sensors.connections), the same source the tasks use.

Storage calls are blocking (boto3, files), so they run in a thread (`asyncio.to_thread`).
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import AsyncIterator
from typing import Any

from airflow.triggers.base import BaseEventTrigger, BaseTrigger, TriggerEvent

log = logging.getLogger(__name__)


def scan_new_snapshots(
    model: str, aws_conn_id: str | None = None
) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """Snapshots ready to be announced (as event payloads) and why the others are skipped."""
    from airflow_champion.pipeline import steps
    from airflow_champion.sensors.connections import root_credentials

    cfg = steps.config(model)
    with root_credentials(cfg.snapshot_root(), aws_conn_id):
        return steps.new_snapshots(cfg)


def announce(model: str, snapshot_id: str, by: str, aws_conn_id: str | None = None) -> bool:
    """Announce a snapshot (atomic create-if-absent); only the first caller gets True."""
    from airflow_champion.pipeline import steps
    from airflow_champion.sensors.connections import root_credentials

    cfg = steps.config(model)
    with root_credentials(cfg.snapshot_root(), aws_conn_id):
        return steps.announce(cfg, snapshot_id, by)


def check_drift(model: str, snapshot_id: str | None, aws_conn_id: str | None = None) -> dict[str, Any] | None:
    """The drift policy's decision, or None while the awaited verdict does not exist yet."""
    from airflow_champion.pipeline import steps
    from airflow_champion.sensors.connections import root_credentials

    cfg = steps.config(model)
    with root_credentials(cfg.snapshot_root(), aws_conn_id):
        return steps.drift_decision(cfg, snapshot_id)


class _SkipLog:
    """Logs each (snapshot, reason) once per trigger instance, so a 60 s poll does not flood the log."""

    def __init__(self) -> None:
        self.seen: set[tuple[str, str]] = set()

    def __call__(self, model: str, skipped: dict[str, str]) -> None:
        for sid, why in sorted(skipped.items()):
            if why.startswith(("incomplete", "unusable")) and (sid, why) not in self.seen:
                self.seen.add((sid, why))
                log.warning("%s: snapshot %s is not picked up: %s", model, sid, why)


class _KwargsSerialized:
    """serialize() = (classpath, every constructor kwarg): exactly what the triggerer rebuilds from.

    The kwargs are read from the signature of `__init__`, each from the attribute of the same name, so
    a new argument cannot be forgotten in serialize() (the conformance suite checks the round trip).
    """

    def serialize(self) -> tuple[str, dict[str, Any]]:
        names = [p for p in inspect.signature(type(self).__init__).parameters if p != "self"]
        return f"{type(self).__module__}.{type(self).__qualname__}", {n: getattr(self, n) for n in names}


class NewSnapshotTrigger(_KwargsSerialized, BaseEventTrigger):
    """Fires when a model has a complete snapshot that nobody announced, claimed or quarantined.

    mode="sensor": fires once with the oldest such snapshot and stops (a deferred sensor resumes, and
    announces it itself). mode="watch" (AssetWatcher): runs for ever, announces each new snapshot
    exactly once (an atomic create-if-absent marker next to the snapshot) and fires one event per
    snapshot, which the scheduler turns into an asset event carrying the snapshot id.
    """

    def __init__(
        self,
        model: str,
        *,
        mode: str = "sensor",
        poll_seconds: float = 60.0,
        aws_conn_id: str | None = None,
    ) -> None:
        super().__init__()
        if mode not in {"sensor", "watch"}:
            raise ValueError(f"mode must be 'sensor' or 'watch', not {mode!r}")
        self.model = model
        self.mode = mode
        self.poll_seconds = float(poll_seconds)
        self.aws_conn_id = aws_conn_id

    async def run(self) -> AsyncIterator[TriggerEvent]:
        skip_log = _SkipLog()
        while True:
            ready, skipped = await asyncio.to_thread(scan_new_snapshots, self.model, self.aws_conn_id)
            skip_log(self.model, skipped)
            for payload in ready:
                if self.mode == "sensor":
                    yield TriggerEvent({**payload, "status": "new_snapshot"})
                    return
                sid = payload["snapshot_id"]
                if await asyncio.to_thread(announce, self.model, sid, "asset-watcher", self.aws_conn_id):
                    log.info("%s: announcing new snapshot %s", self.model, sid)
                    yield TriggerEvent({**payload, "status": "new_snapshot", "announced_by": "asset-watcher"})
            await asyncio.sleep(self.poll_seconds)


class DriftVerdictTrigger(_KwargsSerialized, BaseTrigger):
    """Waits for a drift verdict and fires with the drift policy's decision (retrain or not, and why).

    With `snapshot_id`, it waits for that snapshot's verdict (written by the drift monitor, possibly in
    a pod) and then always fires, so the sensor can say "no retrain, because ...". Without it, it waits
    until the newest verdict crosses the policy (persistence, cooldown, once per snapshot).
    """

    def __init__(
        self,
        model: str,
        *,
        snapshot_id: str | None = None,
        poll_seconds: float = 60.0,
        aws_conn_id: str | None = None,
    ) -> None:
        super().__init__()
        self.model = model
        self.snapshot_id = snapshot_id or None
        self.poll_seconds = float(poll_seconds)
        self.aws_conn_id = aws_conn_id

    async def run(self) -> AsyncIterator[TriggerEvent]:
        while True:
            decision = await asyncio.to_thread(check_drift, self.model, self.snapshot_id, self.aws_conn_id)
            if decision is not None and (self.snapshot_id or decision.get("retrain")):
                yield TriggerEvent(decision)
                return
            await asyncio.sleep(self.poll_seconds)


__all__ = ["DriftVerdictTrigger", "NewSnapshotTrigger", "announce", "check_drift", "scan_new_snapshots"]
