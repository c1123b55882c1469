"""A named mutex for compare-and-set on the registry, chosen by URL, that tells its holder when it is lost.

MLflow aliases are last-writer-wins and concurrent writes can fail, so promotion and rollback take
this lock around read-check-write. `file://` suits one host (the embedded default) and is refused
when Airflow runs tasks on several (a per-host file excludes nothing there); PostgreSQL advisory
locks and Redis suit several workers. A lock that cannot be had in time raises LockTimeout.

Fencing: a lock can be lost while held (a Redis lease runs out during a stall, a PostgreSQL session
drops), and then another process may be in the same critical section. `named_lock` yields a `Held`
handle and registers it for the current context; every irreversible write under the lock (alias
moves, ledger entries) first calls `ensure_held(action)`, which raises LockLost instead of acting.
This narrows the window to the time between that check and the write (MLflow cannot check a
fencing token itself); the ledger's create-if-absent seqs (registry.ledger) keep even that window
from losing an entry.
"""

from __future__ import annotations

import contextvars
import hashlib
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from airflow_champion import settings
from airflow_champion.errors import ConfigError, LockLost, MlopsError, TransientError

if TYPE_CHECKING:
    import redis.lock

log = logging.getLogger(__name__)

REDIS_LOCK_TTL_S = 15.0
"""Lease of a Redis lock; renewed every third of it while the holder is alive."""


class LockTimeout(TransientError):
    """Another process held the lock for longer than the timeout: transient, the retry waits again
    (in a pod too: the CLI exits 1, not the gate refusal 3)."""


class Held:
    """A held lock as its critical section sees it: asked before every irreversible write."""

    def __init__(self, name: str, where: str) -> None:
        self.name, self.where = name, where
        self.lost: str | None = None
        """Why the lock is no longer ours; None while it is."""

    def _probe(self) -> str | None:
        """Why the lock is not held any more (None: still held). A file lock cannot be lost."""
        return None

    def still_held(self) -> bool:
        if self.lost is None:
            self.lost = self._probe()
        return self.lost is None

    def check(self, action: str) -> None:
        """Raise LockLost rather than let `action` run without the lock."""
        if not self.still_held():
            raise LockLost(
                f"lock {self.name!r} ({self.where}) was lost before {action}: {self.lost}; "
                "nothing was written, and a retry takes the lock again"
            )


_HELD: contextvars.ContextVar[tuple[Held, ...]] = contextvars.ContextVar("mlops_held_locks", default=())


def ensure_held(action: str) -> None:
    """Fencing for the protected writes: every lock this context holds must still be ours.

    A no-op outside any lock, so the writers (ledger, alias moves) can call it unconditionally.
    """
    for held in _HELD.get():
        held.check(action)


@contextmanager
def _registered(held: Held) -> Iterator[Held]:
    token = _HELD.set((*_HELD.get(), held))
    try:
        yield held
    finally:
        _HELD.reset(token)


def _key64(name: str) -> int:
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


def refuse_file_lock_on_several_hosts(url: str) -> None:
    """A file lock excludes only processes of one host: refused when Airflow's executor runs tasks on
    several (Celery, Kubernetes, Edge, ...), where it would let two promoters in at once silently."""
    multi_host = settings.multi_host_executors()
    if multi_host:
        raise ConfigError(
            f"MLOPS_LOCK_URL is a file lock ({url}) but AIRFLOW__CORE__EXECUTOR="
            f"{settings.airflow_executor()!r} runs tasks on several hosts ({', '.join(multi_host)}), where a "
            "per-host file excludes nothing: set MLOPS_LOCK_URL to a postgresql:// (advisory lock) or "
            "redis:// URL that every worker shares"
        )


@contextmanager
def _file_lock(path: Path, name: str, timeout: float) -> Iterator[Held]:
    import fcntl

    path.mkdir(parents=True, exist_ok=True)
    safe = hashlib.sha256(name.encode()).hexdigest()[:16]
    with (path / f"{safe}.lock").open("a+") as fh:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise LockTimeout(f"lock {name!r} busy for {timeout:.0f}s ({path})") from None
                time.sleep(0.05)
        try:
            yield Held(name, f"file lock in {path}")
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


class _PostgresHeld(Held):
    """A session-level advisory lock: held exactly as long as its connection's session lives."""

    def __init__(self, name: str, conn: Any, key: int) -> None:
        super().__init__(name, "PostgreSQL advisory lock")
        self.conn = conn
        unsigned = key & 0xFFFF_FFFF_FFFF_FFFF  # pg_locks shows a bigint key as (classid, objid)
        self.parts = (unsigned >> 32, unsigned & 0xFFFF_FFFF)

    def _probe(self) -> str | None:
        import psycopg2

        try:
            with self.conn.cursor() as cur:
                cur.execute(
                    "SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid() "
                    "AND granted AND classid = %s::oid AND objid = %s::oid AND objsubid = 1",
                    self.parts,
                )
                if cur.fetchone() is None:
                    return "the session no longer holds the advisory lock"
        except psycopg2.Error as exc:
            return f"the session holding it dropped ({type(exc).__name__}: {str(exc).strip()[:200]})"
        return None


@contextmanager
def _postgres_lock(url: str, name: str, timeout: float) -> Iterator[Held]:
    import psycopg2

    conn = psycopg2.connect(url.replace("postgresql+psycopg2://", "postgresql://"))
    conn.autocommit = True
    key = _key64(name)
    try:
        with conn.cursor() as cur:
            deadline = time.monotonic() + timeout
            while True:
                cur.execute("SELECT pg_try_advisory_lock(%s)", (key,))
                row = cur.fetchone()
                if row and row[0]:
                    break
                if time.monotonic() > deadline:
                    raise LockTimeout(f"advisory lock {name!r} busy for {timeout:.0f}s")
                time.sleep(0.05)
        try:
            yield _PostgresHeld(name, conn, key)
        finally:
            try:
                with conn.cursor() as cur:
                    cur.execute("SELECT pg_advisory_unlock(%s)", (key,))
            except psycopg2.Error:  # the session is gone, and the lock with it
                log.warning("Advisory lock %r: session lost before unlock (already released)", name)
    finally:
        conn.close()


class _RedisHeld(Held):
    """A redis-py Lock (SET NX PX + token-checked scripts) with its lease renewed by `renew`.

    Renewal errors are not swallowed: a renewal Redis refuses (the key expired or another token holds
    it) loses the lock at once; connection errors lose it once no renewal succeeded for a whole lease,
    because then the key may have expired without this holder knowing.
    """

    def __init__(self, name: str, lock: redis.lock.Lock, *, ttl: float, now: float | None = None) -> None:
        super().__init__(name, "Redis lock")
        self.lock, self.ttl = lock, ttl
        self.renewed_at = time.monotonic() if now is None else now

    def renew(self, now: float | None = None) -> None:
        from redis.exceptions import LockNotOwnedError, RedisError

        try:
            self.lock.reacquire()
            self.renewed_at = time.monotonic() if now is None else now
        except LockNotOwnedError:
            self.lost = "its lease expired (the key is gone or another holder's); another process may hold it"
        except RedisError as exc:
            now = time.monotonic() if now is None else now
            if now - self.renewed_at >= self.ttl:
                self.lost = f"no renewal succeeded for {self.ttl:.0f}s, the lease may have expired ({exc})"
            else:
                log.warning("Redis lock %r: renewal failed (%s); retrying within the lease", self.name, exc)

    def _probe(self) -> str | None:
        from redis.exceptions import RedisError

        try:
            if not self.lock.owned():
                return "its lease expired (the key is gone or another holder's); another process may hold it"
        except RedisError as exc:
            return f"Redis cannot confirm the lease is ours ({exc})"
        return None


@contextmanager
def _redis_lock(url: str, name: str, timeout: float, ttl: float = REDIS_LOCK_TTL_S) -> Iterator[Held]:
    """redis-py's Lock with a short lease that a thread renews while the holder lives.

    A holder killed with SIGKILL (a worker lost mid-task) cannot release the lock; the short lease
    frees it within `ttl` seconds instead of blocking the task's retry for minutes. redis-py's Lock
    rather than our own scripts: its token-checked acquire/reacquire/release are maintained upstream.
    """
    import threading

    import redis
    from redis.exceptions import LockError

    r = redis.Redis.from_url(url)
    # thread_local=False: the renewer thread must see the token the holder acquired
    lock = r.lock(f"mlops:lock:{name}", timeout=ttl, sleep=0.05, thread_local=False)
    try:
        if not lock.acquire(blocking=True, blocking_timeout=timeout):
            raise LockTimeout(f"redis lock {name!r} busy for {timeout:.0f}s")
        held = _RedisHeld(name, lock, ttl=ttl)
        stop = threading.Event()

        def renew() -> None:
            while held.lost is None and not stop.wait(ttl / 3):
                held.renew()
            if held.lost is not None:
                log.error("Redis lock %r lost while held: %s", name, held.lost)

        beat = threading.Thread(target=renew, name=f"lock-renew:{name}", daemon=True)
        beat.start()
        try:
            yield held
        finally:
            stop.set()
            beat.join(timeout=5)
            try:
                lock.release()
            except LockError as exc:  # lost meanwhile: the protected writes refused (ensure_held)
                log.warning("Redis lock %r was no longer ours at release: %s", name, exc)
    finally:
        r.close()


@contextmanager
def named_lock(name: str, *, timeout: float = 60.0, url: str | None = None) -> Iterator[Held]:
    """Hold the lock `name` at `url` (default: settings.lock_url()); yields its `Held` handle."""
    url = url or settings.lock_url()
    scheme = urlparse(url).scheme
    lock: Any
    if scheme == "file":
        refuse_file_lock_on_several_hosts(url)
        lock = _file_lock(Path(urlparse(url).path), name, timeout)
    elif scheme.startswith("postgres"):
        lock = _postgres_lock(url, name, timeout)
    elif scheme in {"redis", "rediss"}:
        lock = _redis_lock(url, name, timeout)
    else:
        raise MlopsError(f"MLOPS_LOCK_URL {url!r}: use file://, postgresql:// or redis://")
    with lock as held, _registered(held):
        yield held


__all__ = [
    "Held",
    "LockLost",
    "LockTimeout",
    "ensure_held",
    "named_lock",
    "refuse_file_lock_on_several_hosts",
]
