"""The README's "Your own model" section, run word for word in a fresh copy of the repository.

The copy holds what a clone holds (tracked and new files; no .venv, no .mlops), and the lines run in
bash with no activated virtualenv and none of this test session's AIRFLOW_/MLFLOW_/MLOPS_ variables.
Every line but the last runs as one script (its `export` carries over, as in a terminal); the last,
`make airflow-ui`, runs in the background with the same exports, on a free port (AIRFLOW__API__PORT,
the only addition), until the UI is healthy and its "Models" page shows the champion. The wall time
of each line goes to test-artifacts/walkthrough.json (the issue's note quotes it).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.conftest import free_port, http_get, http_ok, tail

pytestmark = [pytest.mark.airflow, pytest.mark.mlflow, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
MODEL = "my_wine"
STARTUP_TIMEOUT = 420.0


def walkthrough() -> list[str]:
    """The command lines of the README's walkthrough block, as written."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    block = text.split("<!-- walkthrough:start -->", 1)[1].split("<!-- walkthrough:end -->", 1)[0]
    code = block.split("```bash\n", 1)[1].split("```", 1)[0]
    return [line for line in code.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def test_the_walkthrough_block_is_what_this_test_runs() -> None:
    lines = walkthrough()
    assert lines[0].startswith("make install")
    assert lines[-1].startswith("make airflow-ui")
    assert any(f"mlops init {MODEL} " in line for line in lines)


def _fresh_copy(dest: Path) -> Path:
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", "-z"],
        cwd=REPO,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for rel in filter(None, listed.split("\0")):
        src = REPO / rel
        if src.is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)
    return dest


def _clean_env() -> dict[str, str]:
    """A newcomer's shell: no venv on PATH, none of the test session's settings."""
    venv_bin = str(REPO / ".venv" / "bin")
    path = os.pathsep.join(
        p for p in os.environ.get("PATH", "/usr/bin:/bin").split(os.pathsep) if p != venv_bin
    )
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("AIRFLOW", "MLFLOW_", "MLOPS_", "AWS_", "PYTEST", "VIRTUAL_ENV"))
    }
    return env | {"PATH": path, "PYTHONWARNINGS": "ignore", "GX_ANALYTICS_ENABLED": "false"}


def _script(lines: list[str]) -> str:
    """The lines as one bash script that marks where each line's output starts and its wall time."""
    out = ["set -euo pipefail"]
    for i, line in enumerate(lines):
        out += [f"echo '### {i} start' $(date +%s.%N)", line, f"echo '### {i} end' $(date +%s.%N)"]
    return "\n".join(out) + "\n"


def _sections(log: str, lines: list[str]) -> tuple[dict[str, str], dict[str, float]]:
    outputs, seconds = {}, {}
    for i, line in enumerate(lines):
        rest = log.split(f"### {i} start ", 1)[1]
        body, after = rest.split(f"### {i} end ", 1)
        started = float(body.split("\n", 1)[0])
        outputs[line] = body.split("\n", 1)[1] if "\n" in body else ""
        seconds[line] = round(float(after.split("\n", 1)[0]) - started, 1)
        log = after
    return outputs, seconds


@pytest.fixture(scope="module")
def walked(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    clone = _fresh_copy(tmp_path_factory.mktemp("clone"))
    lines = walkthrough()
    env = _clean_env()
    log = clone / "walkthrough.log"
    t0 = time.monotonic()
    with log.open("w", encoding="utf-8") as fh:
        proc = subprocess.run(
            ["bash", "-c", _script(lines[:-1])], cwd=clone, env=env, stdout=fh, stderr=subprocess.STDOUT
        )
    text = log.read_text(encoding="utf-8", errors="replace")
    assert proc.returncode == 0, tail(log, 60)
    outputs, seconds = _sections(text, lines[:-1])
    yield {
        "clone": clone,
        "lines": lines,
        "env": env,
        "outputs": outputs,
        "seconds": seconds,
        "wall_s": time.monotonic() - t0,
    }


def _out(walked: dict[str, Any], needle: str) -> str:
    (line,) = [line for line in walked["outputs"] if needle in line]
    return str(walked["outputs"][line])


def test_init_writes_the_config_and_the_snapshot_lands(walked: dict[str, Any]) -> None:
    clone = walked["clone"]
    config = clone / "my_models" / f"{MODEL}.yaml"
    assert config.is_file() and (clone / "my_models" / "expectations" / f"{MODEL}.yaml").is_file()
    assert "task: multiclass" in config.read_text()
    assert "guessed task multiclass" in _out(walked, "mlops init")
    snapshot = clone / ".mlops" / "mine" / "snapshots" / MODEL / "2026-12-01"
    manifest = json.loads((snapshot / "manifest.json").read_text())
    assert manifest["rows"] == 178 and manifest["format"] == "csv"
    assert not (clone / "include" / "configs" / f"{MODEL}.yaml").exists()  # nothing shipped touched


def test_the_dags_appear_and_the_retrain_makes_a_champion(walked: dict[str, Any]) -> None:
    listed = _out(walked, "dags list")
    for suffix in ("retrain", "rollback", "replay", "snapshot_watch", "drift_monitor"):
        assert f"{MODEL}_{suffix}" in listed
    assert "churn_retrain" not in listed  # only the configs of MLOPS_CONFIG_DIR
    status = json.loads(_out(walked, "mlops status"))
    assert status["champion"] == 1, status
    (entry,) = status["ledger"]
    assert entry["action"] == "promote" and entry["to_version"] == 1


@pytest.fixture(scope="module")
def airflow_ui(walked: dict[str, Any]) -> Iterator[dict[str, Any]]:
    exports = [line for line in walked["lines"] if line.startswith("export ")]
    port = free_port()
    log = walked["clone"] / "airflow-ui.log"
    env = walked["env"] | {"AIRFLOW__API__PORT": str(port)}
    with log.open("w", encoding="utf-8") as fh:
        proc = subprocess.Popen(
            ["bash", "-c", "\n".join([*exports, walked["lines"][-1]])],
            cwd=walked["clone"],
            env=env,
            stdout=fh,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    t0 = time.monotonic()
    try:
        while not http_ok(f"{url}/api/v2/monitor/health"):
            assert proc.poll() is None, f"make airflow-ui exited {proc.returncode}:\n{tail(log, 60)}"
            assert time.monotonic() - t0 < STARTUP_TIMEOUT, (
                f"not healthy after {STARTUP_TIMEOUT}s:\n{tail(log)}"
            )
            time.sleep(1)  # polling a server's readiness, not synchronising on time
        yield {
            "url": url,
            "log": log,
            "startup_s": time.monotonic() - t0,
            "home": walked["clone"] / ".mlops/mine",
        }
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)


def _token(ui: dict[str, Any]) -> str:
    # the api-server writes it before it serves: the UI is healthy, so it is there
    password_file = ui["home"] / "airflow" / "simple_auth_manager_passwords.json.generated"
    password = json.loads(password_file.read_text())["admin"]
    req = urllib.request.Request(
        f"{ui['url']}/auth/token",
        data=json.dumps({"username": "admin", "password": password}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(req, timeout=30) as resp:
        return str(json.loads(resp.read())["access_token"])


def test_the_ui_shows_the_champion_on_the_models_page(
    walked: dict[str, Any], airflow_ui: dict[str, Any]
) -> None:
    assert "FileNotFoundError" not in airflow_ui["log"].read_text(errors="replace")
    bearer = {"Authorization": f"Bearer {_token(airflow_ui)}"}
    status, raw = http_get(f"{airflow_ui['url']}/mlops/api/models", timeout=120, headers=bearer)
    assert status == 200, raw[:500]
    (model,) = json.loads(raw)["models"]
    assert model["model"] == MODEL and model["champion"]["version"] == 1, model
    status, page = http_get(f"{airflow_ui['url']}/mlops/models", timeout=120, headers=bearer)
    assert status == 200 and f"data-model='{MODEL}'" in page.decode()

    ARTIFACTS.mkdir(exist_ok=True)
    seconds = dict(walked["seconds"]) | {walked["lines"][-1]: round(airflow_ui["startup_s"], 1)}
    (ARTIFACTS / "walkthrough.json").write_text(
        json.dumps({"seconds_per_line": seconds, "total_s": round(sum(seconds.values()), 1)}, indent=2)
    )
