"""Airflow on a user's own state: `mlops airflow <args>` runs the `airflow` command of this environment
with every Airflow setting derived from MLOPS_HOME, so a newcomer needs no AIRFLOW_* variable to see
their model's DAGs, test a run or open the UI.

What it sets (and only this; any other AIRFLOW__* the user exported passes through):

* `AIRFLOW_HOME` = `$MLOPS_HOME/airflow`, with a SQLite metadata DB in it (migrated on first use);
* the DAGs and plugins folders of this checkout (`dags/`, `plugins/`), when run from one; installed
  into an Airflow project, that project's own settings apply and this module is not needed;
* the api-server on 127.0.0.1:8080 (`AIRFLOW__API__HOST`, `AIRFLOW__API__PORT` override) and the
  tasks' execution API URL on that port;
* `PATH` with this environment's bin folder first: `airflow standalone` starts its scheduler,
  dag-processor, triggerer and api-server by running `airflow` from PATH, and a fresh clone has no
  activated virtualenv.

Decision: the metadata DB, homes and folders are overridden, not defaulted. A shell that still exports another
Airflow's `AIRFLOW__DATABASE__SQL_ALCHEMY_CONN` must not make a try-out write into that database.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from airflow_champion import settings


def bin_dir() -> Path:
    """The bin folder of the Python running this (the venv's, where `airflow` and `mlops` are)."""
    return Path(sys.executable).parent


def airflow_env(home: Path | None = None, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """`base` (default: this process's environment) with Airflow pointed at `home` (default MLOPS_HOME)."""
    env = dict(os.environ if base is None else base)
    home = (home or settings.mlops_home()).resolve()
    airflow_home = home / "airflow"
    env.update(
        {
            "MLOPS_HOME": str(home),
            "AIRFLOW_HOME": str(airflow_home),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{airflow_home / 'airflow.db'}",
            "PATH": os.pathsep.join([str(bin_dir()), env.get("PATH", "")]).rstrip(os.pathsep),
        }
    )
    # The UI on loopback unless asked otherwise; the tasks find the execution API on the api-server's
    # port (Airflow assumes 8080 there, so a task fails on any other port without this).
    env.setdefault("AIRFLOW__API__HOST", "127.0.0.1")
    port = env.setdefault("AIRFLOW__API__PORT", "8080")
    env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] = f"http://127.0.0.1:{port}/execution/"
    if settings.CHECKOUT is not None:
        env["AIRFLOW__CORE__DAGS_FOLDER"] = str(settings.CHECKOUT / "dags")
        env["AIRFLOW__CORE__PLUGINS_FOLDER"] = str(settings.CHECKOUT / "plugins")
    return env


def shell_exports(env: Mapping[str, str]) -> str:
    """The settings `airflow_env` adds, as `export` lines a user can paste into their own shell."""
    keys = ["MLOPS_HOME", "MLOPS_CONFIG_DIR", "AIRFLOW_HOME", "PATH"]
    keys += sorted(k for k in env if k.startswith("AIRFLOW__"))
    return "\n".join(f"export {k}={_quote(env[k])}" for k in keys if k in env)


def _quote(value: str) -> str:
    import shlex

    return shlex.quote(value)


def migrate_if_new(env: Mapping[str, str]) -> None:
    """Create the metadata DB on first use (`airflow db migrate`, logged next to it)."""
    airflow_home = Path(env["AIRFLOW_HOME"])
    if (airflow_home / "airflow.db").exists():
        return
    airflow_home.mkdir(parents=True, exist_ok=True)
    log = airflow_home / "db_migrate.log"
    print(f"Creating the Airflow metadata DB in {airflow_home} (log: {log}) ...", file=sys.stderr)
    with log.open("w", encoding="utf-8") as fh:
        subprocess.run(
            [str(bin_dir() / "airflow"), "db", "migrate"],
            env=dict(env),
            stdout=fh,
            stderr=subprocess.STDOUT,
            check=True,
        )


def exec_airflow(args: list[str]) -> None:
    """Replace this process by `airflow <args>` on MLOPS_HOME's state (signals reach Airflow directly)."""
    env = airflow_env()
    migrate_if_new(env)
    airflow = str(bin_dir() / "airflow")
    os.execve(airflow, [airflow, *args], env)
