"""Triggers that poll snapshot storage and drift verdicts from the triggerer, not from a worker slot.

They live outside dags/ so that the triggerer can import them. Everything they need to rebuild
themselves is in `serialize()` (plain JSON types), so they survive a triggerer restart: the new
triggerer re-creates them from the metadata DB and carries on polling; all state that matters
(announced, claimed, quarantined, verdicts) is in storage, none in the trigger object.

Storage calls are blocking (boto3, files), so they run in a thread (`asyncio.to_thread`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

from airflow.triggers.base import BaseEventTrigger, BaseTrigger, TriggerEvent

log = logging.getLogger(__name__)


def s3_client_for(root: str, aws_conn_id: str | None) -> Any | None:
    """S3 client from the amazon provider's hook (credentials and endpoint from the Airflow connection)."""
    if not root.startswith("s3://") or not aws_conn_id:
        return None
    from airflow.providers.amazon.aws.hooks.s3 import S3Hook

    return S3Hook(aws_conn_id=aws_conn_id).get_conn()


def scan_new_snapshots(
    model: str, aws_conn_id: str | None = None
) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """Snapshots ready to be announced (as event payloads) and why the others are skipped."""
    from include import claims
    from include.config import load_config

    cfg = load_config(model)
    client = s3_client_for(cfg.snapshot_root(), aws_conn_id)
    ready, skipped = claims.find_new_snapshots(cfg, client)
    payloads = [
        {"model": model, "snapshot_id": m.snapshot_id, "sha256": m.sha256, "rows": m.rows} for m in ready
    ]
    return payloads, skipped


class _SkipLog:
    """Logs each (snapshot, reason) once per trigger instance, so a 60 s poll does not flood the log."""

    def __init__(self) -> None:
        self.seen: set[tuple[str, str]] = set()

    def __call__(self, model: str, skipped: dict[str, str]) -> None:
        for sid, why in sorted(skipped.items()):
            if why.startswith(("incomplete", "unusable")) and (sid, why) not in self.seen:
                self.seen.add((sid, why))
                log.warning("%s: snapshot %s is not picked up: %s", model, sid, why)


class _FieldsSerialized:
    """serialize() = (classpath, the constructor kwargs named in `fields`): all a triggerer needs."""

    fields: tuple[str, ...] = ()

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {name: getattr(self, name) for name in self.fields},
        )


class NewSnapshotTrigger(_FieldsSerialized, BaseEventTrigger):
    """Fires when a model has a complete snapshot that nobody announced, claimed or quarantined.

    mode="sensor": fires once with the oldest such snapshot and stops (a deferred sensor resumes, and
    announces it itself). mode="watch" (AssetWatcher): runs for ever, announces each new snapshot
    exactly once (an atomic create-if-absent marker next to the snapshot) and fires one event per
    snapshot, which the scheduler turns into an asset event carrying the snapshot id.
    """

    fields = ("model", "mode", "poll_seconds", "aws_conn_id")

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
                if await asyncio.to_thread(_announce, self.model, payload["snapshot_id"], self.aws_conn_id):
                    log.info("%s: announcing new snapshot %s", self.model, payload["snapshot_id"])
                    yield TriggerEvent({**payload, "status": "new_snapshot", "announced_by": "asset-watcher"})
            await asyncio.sleep(self.poll_seconds)


def _announce(model: str, snapshot_id: str, aws_conn_id: str | None) -> bool:
    from include import claims
    from include.config import load_config

    cfg = load_config(model)
    return claims.announce(cfg, snapshot_id, "asset-watcher", s3_client_for(cfg.snapshot_root(), aws_conn_id))


def check_drift(model: str, snapshot_id: str | None, aws_conn_id: str | None = None) -> dict[str, Any] | None:
    """The drift policy's decision, or None while the awaited verdict does not exist yet."""
    from include import drift_gate
    from include.config import load_config

    cfg = load_config(model)
    return drift_gate.evaluate_policy(cfg, snapshot_id, s3_client_for(cfg.snapshot_root(), aws_conn_id))


class DriftVerdictTrigger(_FieldsSerialized, BaseTrigger):
    """Waits for a drift verdict and fires with the drift policy's decision (retrain or not, and why).

    With `snapshot_id`, it waits for that snapshot's verdict (written by the drift monitor, possibly in
    a pod) and then always fires, so the sensor can say "no retrain, because ...". Without it, it waits
    until the newest verdict crosses the policy (persistence, cooldown, once per snapshot).
    """

    fields = ("model", "snapshot_id", "poll_seconds", "aws_conn_id")

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


__all__ = ["DriftVerdictTrigger", "NewSnapshotTrigger", "check_drift", "s3_client_for", "scan_new_snapshots"]
