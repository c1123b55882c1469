"""`make airflow-ui` as a fresh clone runs it: no activated virtualenv, so .venv/bin is not on PATH.

`airflow standalone` starts its scheduler, dag-processor, triggerer and api-server by running `airflow`
from PATH; without the venv's bin/ on it each one dies with FileNotFoundError and the api-server never
answers. This starts the target on a state of its own (MLOPS_HOME, MLOPS_CONFIG_DIR and the port on the
make command line, as the README shows), waits until /api/v2/monitor/health reports every component
healthy and the DAGs of that config folder are served, logs in as admin with the password standalone
stored in AIRFLOW_HOME, then stops the process group and checks that no process of it is left.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import psutil
import pytest

from tests.integration.conftest import REPO, free_port, http_get, tail

pytestmark = [pytest.mark.airflow, pytest.mark.slow]

STARTUP_TIMEOUT = 300.0
"""First start: db migrate, then four components (30-90 s on two cores)."""
STOP_TIMEOUT = 60.0
COMPONENTS = ("metadatabase", "scheduler", "triggerer", "dag_processor")
VENV_BIN = (REPO / ".venv" / "bin").resolve()
STAMP = ".venv/.installed"


def fresh_shell_env() -> dict[str, str]:
    """This environment as a new shell in a fresh clone has it: no venv on PATH, no VIRTUAL_ENV, no
    Airflow/MLflow/mlops settings, not inside another make."""
    drop = ("AIRFLOW", "MLFLOW_", "MLOPS_", "MAKE", "MFLAGS", "VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME")
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    path = [p for p in env.get("PATH", "/usr/bin:/bin").split(os.pathsep) if p]
    env["PATH"] = os.pathsep.join(p for p in path if Path(p).resolve() != VENV_BIN)
    env.update(
        {"PYTHONUNBUFFERED": "1", "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"}
    )
    return env


def health(url: str) -> dict[str, Any] | None:
    try:
        status, body = http_get(f"{url}/api/v2/monitor/health", timeout=3)
    except OSError:
        return None
    if status != 200:
        return None
    return dict(json.loads(body))


def all_healthy(report: dict[str, Any] | None) -> bool:
    return report is not None and all((report.get(c) or {}).get("status") == "healthy" for c in COMPONENTS)


def token(url: str, password: str) -> str:
    body = json.dumps({"username": "admin", "password": password}).encode()
    req = urllib.request.Request(
        f"{url}/auth/token", data=body, headers={"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(req, timeout=30) as resp:
        return str(json.loads(resp.read())["access_token"])


def dag_ids(url: str, bearer: str) -> set[str]:
    status, body = http_get(
        f"{url}/api/v2/dags?limit=100", timeout=10, headers={"Authorization": f"Bearer {bearer}"}
    )
    assert status == 200, body[:500]
    return {d["dag_id"] for d in json.loads(body)["dags"]}


def group_processes(pgid: int) -> list[psutil.Process]:
    """Live processes of the process group `pgid` (zombies count as gone)."""
    found = []
    for proc in psutil.process_iter():
        with contextlib.suppress(psutil.Error):
            if os.getpgid(proc.pid) == pgid and proc.status() != psutil.STATUS_ZOMBIE:
                found.append(proc)
    return found


def still_alive(procs: list[psutil.Process]) -> list[psutil.Process]:
    alive = []
    for proc in procs:
        with contextlib.suppress(psutil.Error):
            if proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE:
                alive.append(proc)
    return alive


def make_airflow_ui(home: Path, config_dir: Path, port: int) -> list[str]:
    make = shutil.which("make")
    if make is None:
        pytest.skip("no `make` on PATH")
    # -o: never (re)install from here: `install` is its own target, and re-installing into the venv the
    # test session runs from would pull packages from under it.
    return [
        make,
        "-C",
        str(REPO),
        "-o",
        STAMP,
        "airflow-ui",
        f"MLOPS_HOME={home}",
        f"MLOPS_CONFIG_DIR={config_dir}",
        f"AIRFLOW__API__PORT={port}",
    ]


def test_make_airflow_ui_without_venv_on_path(tmp_path: Path) -> None:
    if not (REPO / STAMP).exists():
        pytest.skip(f"{STAMP} missing: run `make install` first")
    home = tmp_path / "state"
    config_dir = tmp_path / "configs"
    config_dir.mkdir()
    shutil.copy(REPO / "include" / "configs" / "churn.yaml", config_dir)  # only churn's DAGs, if it passes
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = tmp_path / "airflow-ui.log"
    env = fresh_shell_env()
    assert not str(shutil.which("airflow", path=env["PATH"]) or "").startswith(str(VENV_BIN))

    started = time.monotonic()
    with log.open("wb") as fh:
        proc = subprocess.Popen(
            make_airflow_ui(home, config_dir, port),
            cwd=str(tmp_path),
            env=env,
            stdout=fh,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    pgid = proc.pid
    members: list[psutil.Process] = []
    try:
        deadline = started + STARTUP_TIMEOUT
        report: dict[str, Any] | None = None
        while not all_healthy(report):
            text = log.read_text(errors="replace")
            assert "FileNotFoundError" not in text, f"a component did not start:\n{tail(log, 60)}"
            assert proc.poll() is None, f"make exited ({proc.returncode}):\n{tail(log, 60)}"
            assert time.monotonic() < deadline, (
                f"not healthy after {STARTUP_TIMEOUT:.0f}s: {report}\n{tail(log, 60)}"
            )
            report = health(url)
            time.sleep(1)
        healthy_after = time.monotonic() - started

        airflow_home = home / "airflow"
        assert (airflow_home / "airflow.db").is_file()
        password_file = airflow_home / "simple_auth_manager_passwords.json.generated"
        password = str(json.loads(password_file.read_text())["admin"])
        assert password in log.read_text(errors="replace"), "the first start prints the admin password"
        bearer = token(url, password)

        ids: set[str] = set()
        while "churn_retrain" not in ids:  # the dag-processor parses dags/ with this config folder
            assert time.monotonic() < deadline, f"churn_retrain never served: {sorted(ids)}\n{tail(log, 60)}"
            ids = dag_ids(url, bearer)
            time.sleep(1)
        assert not any(i.startswith("breast_cancer") for i in ids), sorted(ids)  # MLOPS_CONFIG_DIR passed
        assert "FileNotFoundError" not in log.read_text(errors="replace"), tail(log, 60)
        members = group_processes(pgid)
        names = " ".join(" ".join(p.cmdline()) for p in members)
        for component in ("scheduler", "dag-processor", "triggerer"):  # (the api-server answered above)
            assert f"airflow {component}" in names, names
    finally:
        members = members or group_processes(pgid)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=STOP_TIMEOUT)
        stop_deadline = time.monotonic() + STOP_TIMEOUT
        left = still_alive(members) + group_processes(pgid)
        while left and time.monotonic() < stop_deadline:
            time.sleep(0.5)
            left = still_alive(members) + group_processes(pgid)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGKILL)  # whatever ignored SIGTERM, so nothing outlives the test
        for p in still_alive(members):
            with contextlib.suppress(psutil.Error):
                p.kill()
    assert proc.returncode is not None, "make did not exit on SIGTERM"
    assert not left, f"still running after SIGTERM: {[p.pid for p in left]}"
    print(f"healthy after {healthy_after:.0f}s, {len(members)} processes stopped")
