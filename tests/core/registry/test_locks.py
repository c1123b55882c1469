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


# ------------------------------------------------------------------ fencing: a lost lock stops its holder
REDIS_URL = "redis://127.0.0.1:6379/15"
PG_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


@pytest.mark.redis
def test_a_redis_holder_whose_lease_ran_out_stops_before_acting() -> None:
    """A holder stalled past its lease (GC pause, frozen VM): the key expired and another process may
    now hold the lock. Its next protected action must raise LockLost, not act."""
    import uuid

    import redis

    require_service(_port_open(6379), "Redis is not listening on 127.0.0.1:6379")
    name = f"stall-{uuid.uuid4().hex[:8]}"
    r = redis.Redis.from_url(REDIS_URL)
    try:
        with locks.named_lock(name, url=REDIS_URL, timeout=5) as held:
            held.check("the first write")  # still ours
            r.delete(f"mlops:lock:{name}")  # the lease ran out while the holder stalled
            with locks.named_lock(name, url=REDIS_URL, timeout=5):  # a second holder gets it
                pass
            assert not held.still_held()
            with pytest.raises(locks.LockLost, match=f"lock {name!r}.*before promote"):
                locks.ensure_held("promote")
    finally:
        r.close()


def test_a_renewal_that_keeps_failing_for_a_lease_is_a_lost_lock() -> None:
    """Renewal errors are not swallowed: once no renewal succeeded for a whole lease, the holder
    cannot know whether the key expired, so the lock counts as lost."""
    import redis

    class Unreachable:
        def reacquire(self) -> None:
            raise redis.ConnectionError("connection refused")

    held = locks._RedisHeld("t", Unreachable(), ttl=15.0, now=100.0)  # type: ignore[arg-type]
    held.renew(now=110.0)
    assert held.lost is None  # transient so far: less than a lease without renewal
    held.renew(now=115.5)
    assert held.lost is not None and "no renewal succeeded for 15s" in held.lost
    with pytest.raises(locks.LockLost, match="no renewal succeeded"):
        held.check("write the ledger")


def test_a_renewal_refused_by_redis_is_a_lost_lock() -> None:
    from redis.exceptions import LockNotOwnedError

    class Expired:
        def reacquire(self) -> None:
            raise LockNotOwnedError("Cannot reacquire a lock that's no longer owned")

    held = locks._RedisHeld("t", Expired(), ttl=15.0, now=0.0)  # type: ignore[arg-type]
    held.renew(now=5.0)
    assert held.lost is not None and "lease expired" in held.lost


@pytest.mark.postgres
def test_a_postgres_holder_whose_session_died_stops_before_acting() -> None:
    """An advisory lock lives as long as its session: a dropped connection frees it for others."""
    import uuid

    import psycopg2

    require_service(_port_open(5432), "PostgreSQL is not listening on 127.0.0.1:5432")
    name = f"pg-session-{uuid.uuid4().hex[:8]}"
    key = locks._key64(name) & 0xFFFF_FFFF_FFFF_FFFF  # pg_locks shows a bigint key as two oids
    with locks.named_lock(name, url=PG_URL, timeout=5) as held:
        held.check("the first write")
        killer = psycopg2.connect(PG_URL)
        killer.autocommit = True
        try:
            with killer.cursor() as cur:
                cur.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' "
                    "AND classid = %s::oid AND objid = %s::oid AND objsubid = 1",
                    (key >> 32, key & 0xFFFF_FFFF),
                )
                assert cur.fetchall() == [(True,)]  # exactly our holder's session was cut
        finally:
            killer.close()
        with pytest.raises(locks.LockLost, match=name):
            held.check("move the champion")


@pytest.mark.parametrize(
    "executor",
    [
        "CeleryExecutor",
        "KubernetesExecutor",
        "airflow.providers.edge3.executors.EdgeExecutor",
        "LocalExecutor,CeleryExecutor",
    ],
)
def test_a_file_lock_is_refused_when_tasks_run_on_several_hosts(
    executor: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file lock only excludes processes of one host: with workers on several, it excludes nothing."""
    from airflow_champion.errors import ConfigError

    monkeypatch.setenv("AIRFLOW__CORE__EXECUTOR", executor)
    with (
        pytest.raises(ConfigError, match=r"MLOPS_LOCK_URL.*AIRFLOW__CORE__EXECUTOR.*postgresql://.*redis://"),
        locks.named_lock("x", url=tmp_path.as_uri()),
    ):
        pass


@pytest.mark.parametrize("executor", ["LocalExecutor", "SequentialExecutor", ""])
def test_a_file_lock_is_fine_on_one_host(
    executor: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AIRFLOW__CORE__EXECUTOR", executor)
    with locks.named_lock("x", url=tmp_path.as_uri()) as held:
        held.check("write")
