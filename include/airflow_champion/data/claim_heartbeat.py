"""Claim heartbeats: a run alive for longer than `claim_ttl_hours` keeps its snapshot.

Every step of a retrain run renews its claim (`keep_alive`), and a long step renews it from a thread,
so a claim goes stale only when its run stopped (died, or stalled past the TTL). A run whose claim
was then taken over by another run is stopped at its next step or beat (ClaimLostError), so one
snapshot is never retrained twice at once.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any

from airflow_champion.data import claims
from airflow_champion.data.ids import validate_snapshot_id
from airflow_champion.errors import ClaimLostError
from airflow_champion.reports.jsonsafe import dumps

if TYPE_CHECKING:
    from airflow_champion.config import ModelConfig

log = logging.getLogger(__name__)


def heartbeat(cfg: ModelConfig, snapshot_id: str, run_id: str, *, now: datetime | None = None) -> bool:
    """Renew `run_id`'s active claim (its `heartbeat_at`); True when renewed.

    False when the run holds no active claim on the snapshot (never claimed it, or it is already
    done/released: nothing to keep alive). ClaimLostError when a later generation by another run took
    it over (this run stopped heartbeating for claim_ttl_hours): the caller must stop.
    Rewrites only this run's own generation file; a takeover is a new file, so it is never undone.
    """
    sid = validate_snapshot_id(snapshot_id)
    generation, record = claims.current_claim(cfg, sid)
    if record is not None and record.get("run_id") == run_id:
        if record.get("state") != claims.ACTIVE:
            return False
        record = {**record, "heartbeat_at": (now or claims._now()).isoformat()}
        claims._store(cfg).write_bytes(claims._rel(sid, generation), dumps(record, compact=True).encode())
        return True
    store = claims._store(cfg)
    for older in range(generation - 1, 0, -1):
        mine = json.loads(store.read_bytes(claims._rel(sid, older)))
        if mine.get("run_id") == run_id:
            holder = record or {}
            raise ClaimLostError(
                f"snapshot {sid} of {cfg.name}: the claim of run {run_id} (generation {older}) was taken "
                f"over by run {holder.get('run_id')} ({holder.get('reason') or 'no reason'}) at "
                f"{holder.get('claimed_at')}, after no heartbeat for claim_ttl_hours="
                f"{cfg.snapshots.claim_ttl_hours}; this run stops so the snapshot is not retrained twice"
            )
    return False


class ClaimKeeper:
    """Renews one run's claim from a thread while a long step runs (see `keep_alive`)."""

    def __init__(self, cfg: ModelConfig, snapshot_id: str, run_id: str, interval_s: float) -> None:
        self.cfg, self.snapshot_id, self.run_id, self.interval_s = cfg, snapshot_id, run_id, interval_s
        self.lost: ClaimLostError | None = None
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name=f"claim-heartbeat:{snapshot_id}", daemon=True)

    def beat(self) -> bool:
        """One renewal; False (and `lost` set, if taken over) when there is nothing more to renew."""
        try:
            return heartbeat(self.cfg, self.snapshot_id, self.run_id)
        except ClaimLostError as exc:
            self.lost = exc
            return False
        except Exception:  # storage blinked: the next beat (well within the TTL) tries again
            log.warning("Heartbeat of claim %s (run %s) failed", self.snapshot_id, self.run_id, exc_info=True)
            return True

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s) and self.beat():
            pass

    def stop(self) -> None:
        self._stop.set()
        self.thread.join(timeout=30)


def beat_interval_s(cfg: ModelConfig) -> float:
    """A quarter of the claim's TTL, at most 15 minutes: several beats are missed before it is stale."""
    return min(cfg.snapshots.claim_ttl_hours * 3600 / 4, 900.0)


def claiming_run(run_id: str | None = None, lineage: dict[str, Any] | None = None) -> str | None:
    """The retrain run whose claim a step keeps alive: the one named, else the run in the step's
    lineage, else the Airflow run of the task (Airflow exports AIRFLOW_CTX_DAG_RUN_ID to every task).
    A run that holds no claim on the snapshot renews nothing."""
    return run_id or (lineage or {}).get("run_id") or os.environ.get("AIRFLOW_CTX_DAG_RUN_ID") or None


@contextmanager
def keep_alive(cfg: ModelConfig, snapshot_id: str, run_id: str | None) -> Iterator[ClaimKeeper | None]:
    """Around a step of a retrain run: renew the run's claim now (ClaimLostError if it was taken over)
    and from a thread until the step ends; raise ClaimLostError after the step if it was taken over
    meanwhile. Yields None (and does nothing) when the run holds no active claim on the snapshot.
    The thread is stopped before the step returns, so it never races the step's own claim update.
    """
    if not run_id or not heartbeat(cfg, snapshot_id, run_id):
        yield None
        return
    keeper = ClaimKeeper(cfg, snapshot_id, run_id, beat_interval_s(cfg))
    keeper.thread.start()
    try:
        yield keeper
    finally:
        keeper.stop()
    if keeper.lost is not None:
        raise keeper.lost


__all__ = ["ClaimKeeper", "beat_interval_s", "claiming_run", "heartbeat", "keep_alive"]
