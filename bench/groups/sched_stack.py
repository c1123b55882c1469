"""A real Airflow 3 stack for the `scheduler` group: api-server, scheduler and dag-processor as their
own processes, LocalExecutor, metadata in a throwaway PostgreSQL database, all state in the group's
throwaway MLOPS_HOME.

The api-server is not optional: with Airflow 3 a task process reports to the execution API it serves.
Every process is the leader of its own session; the task processes put themselves in process groups
of their own (the Task SDK's supervisor calls setpgid), so stopping, CPU and memory go by the process
tree (ppid) of the leaders, not by process group. Every wait has a deadline: a broken stack is an
error in the results, never a hang.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness import BIN, BenchError, base_env

PG_HOST, PG_PORT, PG_USER = "127.0.0.1", 5432, "postgres"
TICK = os.sysconf("SC_CLK_TCK")
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: never via a proxy


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pg_connect(dbname: str = "postgres") -> Any:
    import psycopg2

    conn = psycopg2.connect(
        host=PG_HOST,
        port=PG_PORT,
        user=PG_USER,
        dbname=dbname,
        connect_timeout=10,
        options="-c statement_timeout=60000",
    )
    conn.autocommit = True
    return conn


@contextmanager
def throwaway_db(name: str) -> Iterator[str]:
    """A fresh database `name` (a leftover of a dead run of the same pid is dropped first), dropped at
    the end whatever happened (WITH (FORCE): a process that outlived its stop cannot keep it)."""
    conn = pg_connect()
    try:
        with conn.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            cur.execute(f'CREATE DATABASE "{name}"')
        yield name
    finally:
        with conn.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.close()


def stack_env(home: Path, db: str) -> dict[str, str]:
    """The bench's clean env (harness.base_env: state under `home`) with Airflow as a deployment runs
    it: LocalExecutor, PostgreSQL, the api-server on a free loopback port, one JWT secret for all the
    processes (each would generate its own otherwise, and the tasks' tokens would not verify), Airflow's
    default log level, no retries (a retried task would hide in the wall time; it fails the run)."""
    from cryptography.fernet import Fernet

    env = base_env(home, home / "configs")
    env.pop("AIRFLOW__LOGGING__LOGGING_LEVEL", None)
    port = free_port()
    api_url = f"http://127.0.0.1:{port}"
    env.update(
        {
            "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"postgresql+psycopg2://{PG_USER}@{PG_HOST}:{PG_PORT}/{db}",
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
            "AIRFLOW__CORE__FERNET_KEY": Fernet.generate_key().decode(),
            "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW__API__PORT": str(port),
            "AIRFLOW__API__BASE_URL": api_url,
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{api_url}/execution/",
            "AIRFLOW__API__SECRET_KEY": secrets.token_urlsafe(32),
            "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_urlsafe(32),
            "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),  # not 8793: others' stacks
            "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(free_port()),
            "MLOPS_TASK_RETRIES": "0",
            "NO_PROXY": "127.0.0.1,localhost",
            "no_proxy": "127.0.0.1,localhost",
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def _stat(pid: int) -> tuple[int, int, int] | None:
    """(ppid, CPU ticks of the process and its reaped children, start time) from /proc/<pid>/stat."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            raw = fh.read()
    except OSError:
        return None
    f = raw[raw.rindex(b")") + 2 :].split()
    return int(f[1]), sum(int(x) for x in f[11:15]), int(f[19])


def _hwm_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


@dataclass
class Stack:
    """The processes of one stack, each the leader of its own session, logging to `log_dir`."""

    env: dict[str, str]
    log_dir: Path
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    triggered: set[str] = field(default_factory=set)
    """run ids of the runs the bench created (any other run is an error: it would skew the timing)."""
    _token: str | None = None

    @property
    def api_url(self) -> str:
        return self.env["AIRFLOW__API__BASE_URL"]

    def start(self, name: str, args: list[str]) -> None:
        with (self.log_dir / f"{name}.log").open("ab") as fh:
            self.procs[name] = subprocess.Popen(
                args,
                env=self.env,
                stdout=fh,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )

    def airflow(self, *args: str, timeout_s: float = 900) -> None:
        """One `airflow` CLI call to its end (db migrate), logged; an error with the log's tail."""
        log = self.log_dir / f"airflow-{args[0]}-{args[1] if len(args) > 1 else ''}.log"
        with log.open("wb") as fh:
            try:
                rc = subprocess.run(
                    [str(BIN / "airflow"), *args], env=self.env, stdout=fh, stderr=subprocess.STDOUT,
                    timeout=timeout_s, start_new_session=True,
                ).returncode  # fmt: skip
            except subprocess.TimeoutExpired:
                rc = -1
        if rc != 0:
            raise BenchError(f"{tail(log)}\nairflow {' '.join(args)} exited {rc}")

    def check_alive(self) -> None:
        dead = {n: p.returncode for n, p in self.procs.items() if p.poll() is not None}
        if dead:
            logs = "\n".join(f"== {n} ==\n{tail(self.log_dir / f'{n}.log', 25)}" for n in dead)
            raise BenchError(f"{logs}\nAirflow processes died: {dead}")  # the summary last (run.py)

    def wait_until(
        self, what: str, ready: Callable[[], bool], timeout_s: float, poll_s: float = 0.5
    ) -> float:
        """Seconds until `ready()`; an error if a process dies or the deadline passes first."""
        t0 = time.perf_counter()
        while time.perf_counter() - t0 < timeout_s:
            self.check_alive()
            if ready():
                return time.perf_counter() - t0
            time.sleep(poll_s)
        raise BenchError(f"{self.dump_logs()}\nno {what} after {timeout_s:.0f} s")

    def dump_logs(self, lines: int = 15) -> str:
        return "\n".join(f"== {n} ==\n{tail(self.log_dir / f'{n}.log', lines)}" for n in self.procs)

    # ------------------------------------------------------------------------------- REST API
    def http(self, method: str, path: str, body: Any = None, token: str | None = None) -> tuple[int, Any]:
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(f"{self.api_url}{path}", data=data, method=method, headers=headers)
        try:
            with _DIRECT.open(req, timeout=60) as resp:
                status, raw = int(resp.status), resp.read()
        except urllib.error.HTTPError as exc:
            status, raw = int(exc.code), exc.read()
        except OSError as exc:
            return 0, str(exc)
        try:
            return status, json.loads(raw) if raw else None
        except json.JSONDecodeError:
            return status, raw.decode(errors="replace")

    def api(self, method: str, path: str, body: Any = None) -> Any:
        """/api/v2 as the simple auth manager's admin (its generated password); an error unless 2xx."""
        if self._token is None:
            pw_file = Path(self.env["AIRFLOW_HOME"]) / "simple_auth_manager_passwords.json.generated"
            password = json.loads(pw_file.read_text())["admin"]
            status, got = self.http("POST", "/auth/token", {"username": "admin", "password": password})
            if status not in (200, 201):
                raise BenchError(f"POST /auth/token: {status} {got}")
            self._token = str(got["access_token"])
        status, got = self.http(method, f"/api/v2{path}", body, self._token)
        if not 200 <= status < 300:
            raise BenchError(f"{method} /api/v2{path}: {status} {got}")
        return got

    # ------------------------------------------------------------------------- process tree
    def tree(self) -> dict[int, tuple[int, int]]:
        """pid -> (CPU ticks, start time) of the leaders and all their descendants, now."""
        stats = {}
        for entry in os.scandir("/proc"):
            if entry.name.isdigit() and (s := _stat(int(entry.name))) is not None:
                stats[int(entry.name)] = s
        children: dict[int, list[int]] = {}
        for pid, (ppid, _, _) in stats.items():
            children.setdefault(ppid, []).append(pid)
        todo = [p.pid for p in self.procs.values() if p.pid in stats]
        out: dict[int, tuple[int, int]] = {}
        while todo:
            pid = todo.pop()
            if pid not in out:
                out[pid] = stats[pid][1:]
                todo += children.get(pid, [])
        return out

    def cpu_s(self, tree: dict[int, tuple[int, int]] | None = None) -> float:
        """CPU of the whole stack so far (live processes + the children they reaped)."""
        return sum(t for t, _ in (tree or self.tree()).values()) / TICK

    @staticmethod
    def peak_rss_mb(tree: dict[int, tuple[int, int]]) -> float:
        return max((_hwm_mb(pid) for pid in tree), default=0.0)

    def stop(self, grace_s: float = 20) -> None:
        """SIGTERM every leader's group, wait, then SIGKILL every process of the tree still alive
        (the same pid and start time as collected: never a pid reused meanwhile)."""
        seen = self.tree()
        for proc in self.procs.values():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + grace_s
        for proc in self.procs.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        for pid, (_, started) in {**seen, **self.tree()}.items():
            if (s := _stat(pid)) is not None and s[2] == started:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        for proc in self.procs.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=10)
        self.procs.clear()


def tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError as exc:
        return f"<{exc}>"


@contextmanager
def running_stack(env: dict[str, str], log_dir: Path) -> Iterator[Stack]:
    """Migrate the metadata DB, start api-server (ready = its health answers), scheduler and
    dag-processor; stop all of them on the way out, whatever happened."""
    log_dir.mkdir(parents=True, exist_ok=True)
    stack = Stack(env, log_dir)
    try:
        stack.airflow("db", "migrate")
        port = env["AIRFLOW__API__PORT"]
        stack.start(
            "api-server", [str(BIN / "airflow"), "api-server", "-H", "127.0.0.1", "-p", port, "-w", "1"]
        )
        stack.wait_until(
            "api-server health", lambda: stack.http("GET", "/api/v2/monitor/health")[0] == 200, 300
        )
        for name in ("scheduler", "dag-processor"):
            stack.start(name, [str(BIN / "airflow"), name])
        yield stack
    finally:
        stack.stop()
