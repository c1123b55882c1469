"""A named mutex for compare-and-set on the registry, chosen by URL.

MLflow aliases are last-writer-wins and concurrent writes can fail, so promotion and rollback take
this lock around read-check-write. `file://` suits one machine (the embedded default); PostgreSQL
advisory locks and Redis suit several workers. A lock that cannot be had in time raises LockTimeout.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlparse

from airflow_champion import settings
from airflow_champion.errors import MlopsError

REDIS_LOCK_TTL_S = 15.0
"""Lease of a Redis lock; renewed every third of it while the holder is alive."""


class LockTimeout(MlopsError):
    """Another process held the lock for longer than the timeout."""


def _key64(name: str) -> int:
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


@contextmanager
def _file_lock(path: Path, name: str, timeout: float) -> Iterator[None]:
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
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


@contextmanager
def _postgres_lock(url: str, name: str, timeout: float) -> Iterator[None]:
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
                yield
            finally:
                cur.execute("SELECT pg_advisory_unlock(%s)", (key,))
    finally:
        conn.close()


_REDIS_RELEASE = (
    "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end"
)


_REDIS_RENEW = (
    "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) "
    "else return 0 end"
)


@contextmanager
def _redis_lock(url: str, name: str, timeout: float, ttl: float = REDIS_LOCK_TTL_S) -> Iterator[None]:
    """SET NX with a short TTL that a thread renews while the holder lives.

    A holder killed with SIGKILL (a worker lost mid-task) cannot release the lock; the short TTL frees
    it within `ttl` seconds instead of blocking the task's retry for minutes.
    """
    import threading

    import redis

    r = redis.Redis.from_url(url)
    key = f"mlops:lock:{name}"
    token = uuid.uuid4().hex
    deadline = time.monotonic() + timeout
    stop = threading.Event()
    try:
        while not r.set(key, token, nx=True, px=int(ttl * 1000)):
            if time.monotonic() > deadline:
                raise LockTimeout(f"redis lock {name!r} busy for {timeout:.0f}s")
            time.sleep(0.05)

        def renew() -> None:
            while not stop.wait(ttl / 3):
                try:
                    r.eval(_REDIS_RENEW, 1, key, token, int(ttl * 1000))
                except redis.RedisError:  # transient; the next beat tries again
                    continue

        beat = threading.Thread(target=renew, name=f"lock-renew:{name}", daemon=True)
        beat.start()
        try:
            yield
        finally:
            stop.set()
            beat.join(timeout=5)
            r.eval(_REDIS_RELEASE, 1, key, token)
    finally:
        r.close()


@contextmanager
def named_lock(name: str, *, timeout: float = 60.0, url: str | None = None) -> Iterator[None]:
    """Hold the lock `name` at `url` (default: settings.lock_url())."""
    url = url or settings.lock_url()
    scheme = urlparse(url).scheme
    if scheme == "file":
        path = Path(urlparse(url).path)
        with _file_lock(path, name, timeout):
            yield
    elif scheme.startswith("postgres"):
        with _postgres_lock(url, name, timeout):
            yield
    elif scheme in {"redis", "rediss"}:
        with _redis_lock(url, name, timeout):
            yield
    else:
        raise MlopsError(f"MLOPS_LOCK_URL {url!r}: use file://, postgresql:// or redis://")
