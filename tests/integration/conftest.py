"""A real, multi-process stack for the integration suite, made once per session and torn down after it.

* PostgreSQL (127.0.0.1:5432, trust auth): two fresh databases, one for Airflow's metadata (and the
  Celery result backend), one for MLflow's backend store. Dropped at the end.
* Redis (127.0.0.1:6379): two empty logical databases, one for the Celery broker, one for the promotion
  lock (MLOPS_LOCK_URL). Flushed at the end.
* moto's S3 server (`moto_server`, its own process, so the in-process moto of other tests cannot reset
  it) with a bucket for snapshots and one for MLflow artifacts.
* `mlflow server` on PostgreSQL, proxying artifacts to the moto bucket.
* Airflow: `db migrate`, then api-server, scheduler, dag-processor, triggerer and two Celery workers
  with distinct hostnames (each worker reports its own name as the task instances' `hostname`).

Every process gets an environment built from scratch (never this process's AIRFLOW_* variables, which
tests/airflow/conftest.py sets for the embedded tests), runs in its own process group and logs to a file
in a temp dir; the group is terminated (then killed) at teardown and the temp dir removed. On a
machine without PostgreSQL or Redis the suite is skipped; under CI=true it fails.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import require_service
from tests.integration.faults import FaultyLink

REPO = Path(__file__).resolve().parents[2]
STACK_MARKS = [
    pytest.mark.integration,
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.s3,
    pytest.mark.mlflow,
    pytest.mark.slow,
]
"""What a test on the real stack needs (PostgreSQL, Redis, an S3 server, an MLflow server)."""
RACES_REDIS_DB = 11
"""The Redis logical database of test_races.py's lock; the stack never picks it."""
BIN = Path(sys.executable).parent
PG_HOST, PG_PORT, PG_USER = "127.0.0.1", 5432, "postgres"
REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
AWS = {
    "AWS_ACCESS_KEY_ID": "testing",
    # distinctive, per session: the secret scan (test_stack_security) looks for it everywhere
    "AWS_SECRET_ACCESS_KEY": f"it-s3-secret-{secrets.token_hex(12)}",
    "AWS_DEFAULT_REGION": "us-east-1",
}
SNAPSHOT_BUCKET = "mlops-it-snapshots"
ARTIFACT_BUCKET = "mlops-it-mlflow"
WORKERS = ("it-worker-1", "it-worker-2")
# PYTHONPATH of the Airflow processes: the workers' hostname_callable and a celery 5.7 shim (see there)
STACK_HOOKS = Path(__file__).resolve().parent / "stack_hooks"


# --------------------------------------------------------------------------------------- helpers
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


def _pg_connect(dbname: str = "postgres") -> Any:
    import psycopg2

    conn = psycopg2.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, dbname=dbname, connect_timeout=5)
    conn.autocommit = True
    return conn


def _pg_ok() -> tuple[bool, str]:
    try:
        conn = _pg_connect()
    except Exception as exc:
        return False, f"PostgreSQL not reachable at {PG_HOST}:{PG_PORT} as {PG_USER}: {exc}".strip()
    conn.close()
    return True, ""


def _redis_ok() -> tuple[bool, str]:
    import redis

    try:
        r = redis.Redis(host=REDIS_HOST, port=REDIS_PORT, socket_connect_timeout=3)
        r.ping()
        r.close()
    except Exception as exc:
        return False, f"Redis not reachable at {REDIS_HOST}:{REDIS_PORT}: {exc}"
    return True, ""


def base_env(**extra: str) -> dict[str, str]:
    """A child environment from scratch: PATH/HOME/locale only, nothing inherited from AIRFLOW_/MLFLOW_/
    MLOPS_/AWS_ variables of the test process."""
    env = {
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}",
        "HOME": os.environ.get("HOME", "/tmp"),
        "LANG": os.environ.get("LANG", "C.UTF-8"),
        "PYTHONUNBUFFERED": "1",
        "PYTHONWARNINGS": "ignore",
        "NO_PROXY": "127.0.0.1,localhost",
        "no_proxy": "127.0.0.1,localhost",
        "GX_ANALYTICS_ENABLED": "false",
        "MLFLOW_ENABLE_TELEMETRY": "false",
        "DO_NOT_TRACK": "1",
    }
    env.update(extra)
    return env


def http_get(url: str, timeout: float = 5, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return int(resp.status), resp.read()
    except urllib.error.HTTPError as exc:
        return int(exc.code), exc.read()


def http_ok(url: str) -> bool:
    """A readiness probe: 200 from `url`, False while the server is not up yet."""
    try:
        return http_get(url, timeout=3)[0] == 200
    except OSError:
        return False


def tail(path: Path, lines: int = 40) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        return f"<{exc}>"
    return "\n".join(text.splitlines()[-lines:])


@dataclass
class Proc:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path
    args: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)

    def alive(self) -> bool:
        return self.popen.poll() is None


@dataclass
class ProcessGroup:
    """Processes started by this session, each the leader of its own process group."""

    log_dir: Path
    procs: list[Proc] = field(default_factory=list)

    def start(self, name: str, args: list[str], env: dict[str, str], cwd: Path | None = None) -> Proc:
        log = self.log_dir / f"{name}.log"
        fh = log.open("ab")
        try:
            popen = subprocess.Popen(
                args,
                env=env,
                cwd=str(cwd) if cwd else None,
                stdout=fh,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        finally:
            fh.close()
        proc = Proc(name, popen, log, list(args), dict(env))
        self.procs.append(proc)
        return proc

    def get(self, name: str) -> Proc:
        return next(p for p in self.procs if p.name == name)

    def kill(self, name: str) -> Proc:
        """SIGKILL a component's whole process group (a crashed machine, not a clean shutdown)."""
        proc = self.get(name)
        self._signal_group(proc.popen.pid, signal.SIGKILL)
        proc.popen.wait(timeout=30)
        self.procs.remove(proc)
        return proc

    def restart(self, name: str) -> Proc:
        """Kill a component (if still running) and start it again with the same command and env."""
        old = self.kill(name) if any(p.name == name for p in self.procs) else None
        assert old is not None, name
        return self.start(name, old.args, old.env)

    def wait_until(self, proc: Proc, ready: Callable[[], bool], timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not proc.alive():
                code = proc.popen.returncode
                raise RuntimeError(f"{proc.name} exited ({code}) before {what}:\n{tail(proc.log)}")
            if ready():
                return
            time.sleep(0.5)
        raise RuntimeError(f"{proc.name}: no {what} after {timeout:.0f}s:\n{tail(proc.log)}")

    def dead(self) -> list[Proc]:
        return [p for p in self.procs if not p.alive()]

    def dump_logs(self, lines: int = 40) -> str:
        return "\n".join(f"===== {p.name} ({p.log}) =====\n{tail(p.log, lines)}" for p in self.procs)

    @staticmethod
    def _signal_group(pgid: int, sig: int) -> bool:
        try:
            os.killpg(pgid, sig)
        except ProcessLookupError:
            return False
        return True

    def stop_all(self, grace: float = 20.0) -> None:
        """SIGTERM each group (newest first), wait, then SIGKILL whatever of the group is left."""
        for proc in reversed(self.procs):
            self._signal_group(proc.popen.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.popen.wait(timeout=grace)
            # the leader may be gone while its children (uvicorn/celery/task processes) are not
            self._signal_group(proc.popen.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.popen.wait(timeout=10)
        self.procs.clear()


# --------------------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="session")
def it_tmp() -> Iterator[Path]:
    """The session's scratch dir (logs, AIRFLOW_HOME, MLOPS_HOME); removed at the end unless
    MLOPS_IT_KEEP_TMP is set (for debugging a failed run)."""
    path = Path(tempfile.mkdtemp(prefix="mlops-it-"))
    try:
        yield path
    finally:
        if os.environ.get("MLOPS_IT_KEEP_TMP"):  # debugging: keep logs and state, say where
            print(f"\nMLOPS_IT_KEEP_TMP: kept {path}")
        else:
            shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_databases() -> Iterator[dict[str, str]]:
    """Two fresh PostgreSQL databases: {'airflow': name, 'mlflow': name}; dropped at teardown."""
    ok, reason = _pg_ok()
    require_service(ok, reason)
    suffix = secrets.token_hex(4)
    names = {"airflow": f"mlops_it_airflow_{suffix}", "mlflow": f"mlops_it_mlflow_{suffix}"}
    conn = _pg_connect()
    created: list[str] = []
    try:
        with conn.cursor() as cur:
            for name in names.values():
                cur.execute(f'CREATE DATABASE "{name}"')
                created.append(name)
        yield names
    finally:
        with conn.cursor() as cur:
            for name in created:
                cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.close()


@pytest.fixture(scope="session")
def redis_dbs() -> Iterator[dict[str, int]]:
    """Two empty Redis logical databases: {'broker': n, 'lock': m}; flushed at teardown."""
    ok, reason = _redis_ok()
    require_service(ok, reason)
    import redis

    candidates = [n for n in range(1, 16) if n != RACES_REDIS_DB]  # test_races owns that one
    secrets.SystemRandom().shuffle(candidates)
    chosen: list[int] = []
    for n in candidates:
        r = redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=n)
        try:
            if r.dbsize() == 0:
                chosen.append(n)
        finally:
            r.close()
        if len(chosen) == 2:
            break
    require_service(len(chosen) == 2, "Redis has no two empty logical databases among 1..15")
    try:
        yield {"broker": chosen[0], "lock": chosen[1]}
    finally:
        for n in chosen:
            r = redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=n)
            try:
                r.flushdb()
            finally:
                r.close()


@pytest.fixture(scope="session")
def procs(it_tmp: Path, pg_databases: dict[str, str], redis_dbs: dict[str, int]) -> Iterator[ProcessGroup]:
    """Set up after (so torn down before) the databases: no process outlives the DB it uses."""
    log_dir = it_tmp / "logs"
    log_dir.mkdir()
    group = ProcessGroup(log_dir)
    try:
        yield group
    finally:
        group.stop_all()


@dataclass(frozen=True)
class S3Server:
    endpoint: str

    def client(self) -> Any:
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            region_name=AWS["AWS_DEFAULT_REGION"],
            aws_access_key_id=AWS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=AWS["AWS_SECRET_ACCESS_KEY"],
        )


@pytest.fixture(scope="session")
def moto_s3(procs: ProcessGroup) -> S3Server:
    """moto's S3 server as its own process on a free loopback port, with the two buckets."""
    port = free_port()
    args = [str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(port)]
    proc = procs.start("moto", args, base_env(**AWS))
    procs.wait_until(proc, lambda: _port_open("127.0.0.1", port), 60, "listening socket")
    server = S3Server(f"http://127.0.0.1:{port}")
    client = server.client()
    for bucket in (SNAPSHOT_BUCKET, ARTIFACT_BUCKET):
        client.create_bucket(Bucket=bucket)
    return server


@dataclass(frozen=True)
class MlflowServer:
    url: str


@pytest.fixture(scope="session")
def mlflow_server(procs: ProcessGroup, pg_databases: dict[str, str], moto_s3: S3Server) -> MlflowServer:
    """`mlflow server` on the PostgreSQL store, proxying artifacts to s3://ARTIFACT_BUCKET on moto."""
    port = free_port()
    store = f"postgresql+psycopg2://{PG_USER}@{PG_HOST}:{PG_PORT}/{pg_databases['mlflow']}"
    args = [
        str(BIN / "mlflow"),
        "server",
        "--backend-store-uri",
        store,
        "--artifacts-destination",
        f"s3://{ARTIFACT_BUCKET}/",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "1",
    ]
    env = base_env(**AWS, MLFLOW_S3_ENDPOINT_URL=moto_s3.endpoint)
    proc = procs.start("mlflow", args, env)
    url = f"http://127.0.0.1:{port}"

    procs.wait_until(proc, lambda: http_ok(f"{url}/health"), 240, "/health")
    return MlflowServer(url)


@dataclass
class AirflowStack:
    api_url: str
    home: Path
    mlops_home: Path
    env: dict[str, str]
    mlflow: MlflowServer
    s3: S3Server
    procs: ProcessGroup
    redis: dict[str, int]
    mlflow_link: FaultyLink
    """What the stack's tasks reach the MLflow server through; tests cut it to fake an outage."""
    s3_link: FaultyLink
    """What the stack's tasks and triggerer reach S3 through."""
    secrets: dict[str, str] = field(default_factory=dict)
    """Secret values given to the stack: none may show up in logs, XCom, MLflow or reports."""
    startup_seconds: float = 0.0
    _token: str | None = None

    def password(self) -> str:
        generated = self.home / "simple_auth_manager_passwords.json.generated"
        return str(json.loads(generated.read_text())["admin"])

    def token(self) -> str:
        if self._token is None:
            body = json.dumps({"username": "admin", "password": self.password()}).encode()
            req = urllib.request.Request(
                f"{self.api_url}/auth/token",
                data=body,
                headers={"Content-Type": "application/json"},
                method="POST",
            )
            with urllib.request.urlopen(req, timeout=30) as resp:
                self._token = str(json.loads(resp.read())["access_token"])
        return self._token

    def api(self, method: str, path: str, body: Any = None, timeout: float = 30) -> tuple[int, Any]:
        """Call /api/v2 with the admin's token; returns (status, parsed JSON or text)."""
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(
            f"{self.api_url}/api/v2{path}",
            data=data,
            method=method,
            headers={"Authorization": f"Bearer {self.token()}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                status, raw = int(resp.status), resp.read()
        except urllib.error.HTTPError as exc:
            status, raw = int(exc.code), exc.read()
        try:
            return status, json.loads(raw) if raw else None
        except json.JSONDecodeError:
            return status, raw.decode(errors="replace")

    def snapshot_env(self, mp: pytest.MonkeyPatch) -> None:
        """Make this process see the models' snapshots as the stack does (S3 root on moto)."""
        for key in ("MLOPS_HOME", "MLOPS_CONFIG_DIR", *AWS):
            mp.setenv(key, self.env[key])
        mp.setenv("MLOPS_S3_ENDPOINT_URL", self.s3.endpoint)  # straight to S3, whatever the link does

    def check_alive(self) -> None:
        dead = self.procs.dead()
        if dead:
            names = ", ".join(f"{p.name} ({p.popen.returncode})" for p in dead)
            raise AssertionError(f"processes died: {names}\n{self.procs.dump_logs()}")


@pytest.fixture(scope="session")
def airflow_stack(
    it_tmp: Path,
    procs: ProcessGroup,
    pg_databases: dict[str, str],
    redis_dbs: dict[str, int],
    moto_s3: S3Server,
    mlflow_server: MlflowServer,
) -> AirflowStack:
    """Airflow 3 on PostgreSQL + CeleryExecutor (Redis broker), all components as real processes."""
    from cryptography.fernet import Fernet

    started = time.monotonic()
    home = it_tmp / "airflow"
    home.mkdir()
    mlops_home = it_tmp / "mlops"
    mlops_home.mkdir()

    # The models' configs as a user on S3 would have them: snapshots under s3://SNAPSHOT_BUCKET, read
    # through the amazon provider's aws_default connection (moto), polled every 5 s.
    config_dir = it_tmp / "configs"
    shutil.copytree(REPO / "include" / "configs", config_dir)
    churn = yaml.safe_load((config_dir / "churn.yaml").read_text())
    churn["snapshots"].update({"root": f"s3://{SNAPSHOT_BUCKET}/churn", "poll_seconds": 5})
    (config_dir / "churn.yaml").write_text(yaml.safe_dump(churn, sort_keys=False))

    api_port = free_port()
    api_url = f"http://127.0.0.1:{api_port}"
    mlflow_port = int(mlflow_server.url.rsplit(":", 1)[1])
    mlflow_link = FaultyLink("127.0.0.1", mlflow_port)
    s3_link = FaultyLink("127.0.0.1", int(moto_s3.endpoint.rsplit(":", 1)[1]))
    stack_secrets = {
        "aws_secret_access_key": AWS["AWS_SECRET_ACCESS_KEY"],
        "fernet_key": Fernet.generate_key().decode(),
        "api_secret_key": secrets.token_urlsafe(32),
        "jwt_secret": secrets.token_urlsafe(32),
    }
    pg = f"{PG_USER}@{PG_HOST}:{PG_PORT}/{pg_databases['airflow']}"
    env = base_env(
        **AWS,
        AIRFLOW_HOME=str(home),
        AIRFLOW__CORE__DAGS_FOLDER=str(REPO / "dags"),
        AIRFLOW__CORE__PLUGINS_FOLDER=str(REPO / "plugins"),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__CORE__UNIT_TEST_MODE="False",
        AIRFLOW__CORE__EXECUTOR="CeleryExecutor",
        AIRFLOW__CORE__FERNET_KEY=stack_secrets["fernet_key"],
        AIRFLOW__CORE__EXECUTION_API_SERVER_URL=f"{api_url}/execution/",
        AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION="True",
        AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=f"postgresql+psycopg2://{pg}",
        AIRFLOW__CELERY__BROKER_URL=f"redis://{REDIS_HOST}:{REDIS_PORT}/{redis_dbs['broker']}",
        AIRFLOW__CELERY__RESULT_BACKEND=f"db+postgresql+psycopg2://{pg}",
        AIRFLOW__API__SECRET_KEY=stack_secrets["api_secret_key"],
        AIRFLOW__API_AUTH__JWT_SECRET=stack_secrets["jwt_secret"],
        # a lost worker's task is failed (and retried) after 20 s without heartbeat, not 5 min
        AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT="20",
        AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT_DETECTION_INTERVAL="5",
        # a killed scheduler's work is adopted by the next one within seconds
        AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_THRESHOLD="15",
        AIRFLOW__SCHEDULER__ORPHANED_TASKS_CHECK_INTERVAL="10",
        AIRFLOW__API__BASE_URL=api_url,
        AIRFLOW__LOGGING__LOGGING_LEVEL="INFO",
        AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT=str(free_port()),
        AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT=str(free_port()),
        AIRFLOW__DAG_PROCESSOR__PARSING_PROCESSES="1",
        # the code of this checkout (not whichever one is installed editable), then the hooks
        PYTHONPATH=os.pathsep.join([str(REPO), str(STACK_HOOKS)]),
        # production-like retries (transient faults are retried), with short delays for the tests
        MLOPS_TASK_RETRIES="2",
        MLOPS_TASK_RETRY_DELAY_SECONDS="6",
        # MLflow's client retries every request itself (POSTs too); fewer, faster tries here
        MLFLOW_HTTP_REQUEST_MAX_RETRIES="2",
        MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR="1",
        MLFLOW_HTTP_REQUEST_TIMEOUT="30",
        MLOPS_HOME=str(mlops_home),
        MLFLOW_TRACKING_URI=mlflow_link.url,
        MLFLOW_UI_URL=mlflow_server.url,
        # experiments store artifacts through the tracking server's proxy (-> s3://ARTIFACT_BUCKET)
        MLOPS_ARTIFACT_ROOT="mlflow-artifacts:/mlops",
        MLOPS_LOCK_URL=f"redis://{REDIS_HOST}:{REDIS_PORT}/{redis_dbs['lock']}",
        MLOPS_S3_ENDPOINT_URL=s3_link.url,
        MLOPS_CONFIG_DIR=str(config_dir),
        AIRFLOW_CONN_AWS_DEFAULT=json.dumps(
            {
                "conn_type": "aws",
                "login": AWS["AWS_ACCESS_KEY_ID"],
                "password": AWS["AWS_SECRET_ACCESS_KEY"],
                "extra": {"endpoint_url": s3_link.url, "region_name": AWS["AWS_DEFAULT_REGION"]},
            }
        ),
    )
    airflow = str(BIN / "airflow")
    with (procs.log_dir / "db-migrate.log").open("wb") as fh:
        rc = subprocess.run(
            [airflow, "db", "migrate"], env=env, stdout=fh, stderr=subprocess.STDOUT, timeout=900
        ).returncode
    if rc != 0:
        raise RuntimeError(f"airflow db migrate failed ({rc}):\n{tail(procs.log_dir / 'db-migrate.log', 60)}")

    api = procs.start(
        "api-server", [airflow, "api-server", "--host", "127.0.0.1", "--port", str(api_port), "-w", "1"], env
    )

    health = f"{api_url}/api/v2/monitor/health"
    procs.wait_until(api, lambda: http_ok(health), 240, "/api/v2/monitor/health")
    for name in ("scheduler", "dag-processor", "triggerer"):
        procs.start(name, [airflow, name], env)
    for worker in WORKERS:
        procs.start(
            worker,
            [airflow, "celery", "worker", "--celery-hostname", f"{worker}@%h", "--concurrency", "2", "-s"],
            {
                **env,
                "MLOPS_IT_WORKER_NAME": worker,
                "AIRFLOW__CORE__HOSTNAME_CALLABLE": "mlops_it_hostname.worker_name",
            },
        )
    time.sleep(2)
    stack = AirflowStack(
        api_url,
        home,
        mlops_home,
        env,
        mlflow_server,
        moto_s3,
        procs,
        redis_dbs,
        mlflow_link=mlflow_link,
        s3_link=s3_link,
        secrets=stack_secrets,
    )
    stack.check_alive()
    stack.startup_seconds = round(time.monotonic() - started, 1)
    return stack


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Chromium for the UI tests (tests/integration/browser.py)."""
    from tests.integration.browser import chromium

    yield from chromium()
