"""Triggers that poll snapshot storage and drift verdicts from the triggerer, not from a worker slot.

They live outside dags/ so that the triggerer can import them. Everything they need to rebuild
themselves is in `serialize()` (plain JSON types), so they survive a triggerer restart: the new
triggerer re-creates them from the metadata DB and carries on polling; all state that matters
(announced, claimed, quarantined, verdicts) is in storage, none in the trigger object. S3 is reached
with the kwargs' `aws_conn_id` (sensors.connections), the same source the tasks use.

Storage calls are blocking (boto3, files), so they run in a thread (`asyncio.to_thread`). A poll does
little I/O: a data file whose fingerprint (size, mtime / S3 ETag) is unchanged since the last poll is
not hashed again (data.verified_hashes; the one in-memory cache of a run() loop, which may be lost).

A poll that raises does not crash the trigger (an unnamed "trigger failure" with a traceback): it is
logged and retried at the next poll, since most are blips (network, throttling, a restarting MinIO).
After `max_failed_polls` failures in a row, or at once for a config error (retrying cannot fix it), a
task's trigger fires `{"status": "error", "model", "message", "permanent"}` and the sensor fails with
that message (sensors.base.ModelSensor.fail_on_error).
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from airflow.triggers.base import BaseEventTrigger, BaseTrigger, TriggerEvent
from airflow_champion.errors import ConfigError

if TYPE_CHECKING:
    from airflow_champion.data.verified_hashes import VerifiedHashes

log = logging.getLogger(__name__)

MAX_FAILED_POLLS = 5
"""Failed polls in a row before a sensor's trigger gives up: 5 minutes at the default 60 s poll rides
out a blip; longer is an outage the task's own retries (and its log) should show."""


def scan_new_snapshots(
    model: str, aws_conn_id: str | None = None, verified: VerifiedHashes | None = None
) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """Snapshots ready to be announced (as event payloads) and why the others are skipped.

    With `verified` (a trigger's cache, kept across its polls) unchanged data files are not re-hashed.
    """
    from airflow_champion.data import verified_hashes
    from airflow_champion.pipeline import steps
    from airflow_champion.sensors.connections import root_credentials

    cfg = steps.config(model)
    with root_credentials(cfg.snapshot_root(), aws_conn_id):
        if verified is None:
            return steps.new_snapshots(cfg)
        with verified_hashes.remembered(verified):
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


class _FailedPolls:
    """Consecutive failed polls of one trigger: log each, and say when to stop retrying.

    Returns the error event's payload when the trigger should give up: at `limit` failures in a row,
    or at the first config error (a missing or invalid model config does not heal by waiting).
    """

    def __init__(self, model: str, what: str, limit: int) -> None:
        self.model, self.what, self.limit = model, what, max(1, int(limit))
        self.count = 0
        self.reported = False  # the ERROR line of this failure streak was written

    def ok(self) -> None:
        if self.count:
            log.info("%s: %s works again after %d failed polls", self.model, self.what, self.count)
        self.count, self.reported = 0, False

    def failed(self, exc: Exception) -> dict[str, Any] | None:
        self.count += 1
        permanent = isinstance(exc, ConfigError)
        problem = f"{type(exc).__name__}: {exc}"
        if not permanent and self.count < self.limit:
            log.warning(
                "%s: %s failed (poll %d of %d before giving up), retrying: %s",
                self.model,
                self.what,
                self.count,
                self.limit,
                problem,
            )
            return None
        message = (
            f"{self.model}: {self.what} failed on a config error: {problem}"
            if permanent
            else f"{self.model}: {self.what} failed {self.count} polls in a row; last error: {problem}"
        )
        if not self.reported:  # once per streak: a watcher that keeps failing does not flood the log
            self.reported = True
            log.error("%s", message, exc_info=exc)
        return {"status": "error", "model": self.model, "message": message, "permanent": permanent}


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

    Failed polls: in sensor mode, after `max_failed_polls` in a row it fires a named error event. In
    watch mode every event is an asset event (it would start a retrain), so it logs the error, named,
    once per failure streak, and keeps watching until storage answers again.
    """

    max_failed_polls = MAX_FAILED_POLLS  # a constant, not a kwarg: serialize() stays as it was

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
        from airflow_champion.data.verified_hashes import VerifiedHashes

        skip_log = _SkipLog()
        verified = VerifiedHashes()  # this loop's memory of hashed files (see data.verified_hashes)
        failures = _FailedPolls(self.model, "new-snapshot scan", self.max_failed_polls)
        while True:
            try:
                events = await self._poll(skip_log, verified)
            except Exception as exc:  # a poll's error is named, never a trigger crash (module doc)
                error = failures.failed(exc)
                if error is not None and self.mode == "sensor":
                    yield TriggerEvent(error)
                    return
            else:
                failures.ok()
                for event in events:
                    yield event
                    if self.mode == "sensor":
                        return
            await asyncio.sleep(self.poll_seconds)

    async def _poll(self, skip_log: _SkipLog, verified: VerifiedHashes) -> list[TriggerEvent]:
        """One scan: the sensor's first ready snapshot, or each snapshot this watcher announced."""
        ready, skipped = await asyncio.to_thread(scan_new_snapshots, self.model, self.aws_conn_id, verified)
        skip_log(self.model, skipped)
        if self.mode == "sensor":
            return [TriggerEvent({**payload, "status": "new_snapshot"}) for payload in ready[:1]]
        events = []
        for payload in ready:
            sid = payload["snapshot_id"]
            if await asyncio.to_thread(announce, self.model, sid, "asset-watcher", self.aws_conn_id):
                log.info("%s: announcing new snapshot %s", self.model, sid)
                events.append(
                    TriggerEvent({**payload, "status": "new_snapshot", "announced_by": "asset-watcher"})
                )
        return events


class DriftVerdictTrigger(_KwargsSerialized, BaseTrigger):
    """Waits for a drift verdict and fires with the drift policy's decision (retrain or not, and why).

    With `snapshot_id`, it waits for that snapshot's verdict (written by the drift monitor, possibly in
    a pod) and then always fires, so the sensor can say "no retrain, because ...". Without it, it waits
    until the newest verdict crosses the policy (persistence, cooldown, once per snapshot).
    A poll that keeps failing fires a named error event, as NewSnapshotTrigger's sensor mode does.
    """

    max_failed_polls = MAX_FAILED_POLLS

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
        failures = _FailedPolls(self.model, "drift verdict check", self.max_failed_polls)
        while True:
            try:
                decision = await asyncio.to_thread(
                    check_drift, self.model, self.snapshot_id, self.aws_conn_id
                )
            except Exception as exc:  # named, never a trigger crash (module doc)
                if (error := failures.failed(exc)) is not None:
                    yield TriggerEvent(error)
                    return
            else:
                failures.ok()
                if decision is not None and (self.snapshot_id or decision.get("retrain")):
                    yield TriggerEvent(decision)
                    return
            await asyncio.sleep(self.poll_seconds)


__all__ = ["DriftVerdictTrigger", "NewSnapshotTrigger", "announce", "check_drift", "scan_new_snapshots"]
