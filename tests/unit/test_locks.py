"""The promotion mutex: exclusive on every backend the project supports."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import pytest

from include import locks
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


def test_postgres_advisory_lock() -> None:
    require_service(_port_open(5432), "PostgreSQL is not listening on 127.0.0.1:5432")
    _exclusive("postgresql://postgres@127.0.0.1:5432/postgres")


def test_redis_lock() -> None:
    require_service(_port_open(6379), "Redis is not listening on 127.0.0.1:6379")
    _exclusive("redis://127.0.0.1:6379/15")


def test_unknown_scheme_is_refused() -> None:
    with pytest.raises(locks.MlopsError, match="MLOPS_LOCK_URL"), locks.named_lock("x", url="ftp://x"):
        pass
