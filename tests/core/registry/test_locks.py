"""The promotion mutex: exclusive on every backend the project supports."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import pytest
from airflow_champion.registry import locks

from tests.conftest import require_service

pytestmark = pytest.mark.unit


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _exclusive(url: str) -> None:
    inside: list[int] = []
    overlaps: list[int] = []

    def worker(i: int) -> None:
        with locks.named_lock("t", url=url, timeout=30):
            if inside:
                overlaps.append(i)
            inside.append(i)
            time.sleep(0.05)
            inside.remove(i)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert overlaps == []


def test_file_lock_is_exclusive_and_times_out(tmp_path: Path) -> None:
    url = tmp_path.as_uri()
    _exclusive(url)
    with (
        locks.named_lock("busy", url=url),
        pytest.raises(locks.LockTimeout, match="busy"),
        locks.named_lock("busy", url=url, timeout=0.2),
    ):
        pass


@pytest.mark.postgres
def test_postgres_advisory_lock() -> None:
    require_service(_port_open(5432), "PostgreSQL is not listening on 127.0.0.1:5432")
    _exclusive("postgresql://postgres@127.0.0.1:5432/postgres")


@pytest.mark.redis
def test_redis_lock() -> None:
    require_service(_port_open(6379), "Redis is not listening on 127.0.0.1:6379")
    _exclusive("redis://127.0.0.1:6379/15")


def test_unknown_scheme_is_refused() -> None:
    with pytest.raises(locks.MlopsError, match="MLOPS_LOCK_URL"), locks.named_lock("x", url="ftp://x"):
        pass


_HOLD = """
import sys, time
from airflow_champion.registry import locks
with locks.named_lock(sys.argv[2], url=sys.argv[1], timeout=10):
    print("held", flush=True)
    time.sleep(600)
"""


@pytest.mark.parametrize(
    "backend",
    [
        "file",
        pytest.param("postgres", marks=pytest.mark.postgres),
        pytest.param("redis", marks=pytest.mark.redis),
    ],
)
def test_a_holder_killed_with_sigkill_frees_the_lock(backend: str, tmp_path: Path) -> None:
    """A worker lost mid-task cannot release its lock; the retry must not wait minutes for it."""
    import os
    import signal
    import subprocess
    import sys
    import uuid

    from tests.conftest import REPO

    port = {"postgres": 5432, "redis": 6379}.get(backend)
    if port:
        require_service(_port_open(port), f"nothing listening on 127.0.0.1:{port}")
    url = {
        "file": tmp_path.as_uri(),
        "postgres": "postgresql://postgres@127.0.0.1:5432/postgres",
        "redis": "redis://127.0.0.1:6379/15",
    }[backend]
    name = f"killed-{uuid.uuid4().hex[:8]}"
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLD, url, name], cwd=REPO, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        # alive (and, on Redis, renewing its lease): still held after a full lease
        busy_for = locks.REDIS_LOCK_TTL_S + 2 if backend == "redis" else 1.0
        with pytest.raises(locks.LockTimeout), locks.named_lock(name, url=url, timeout=busy_for):
            pass
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait(timeout=10)
        # freed by the OS (file, PostgreSQL session) or by the lease running out (Redis)
        with locks.named_lock(name, url=url, timeout=locks.REDIS_LOCK_TTL_S + 10):
            pass
    finally:
        holder.kill()
        holder.wait(timeout=10)
