"""`mlops airflow`: Airflow pointed at MLOPS_HOME's own state, whatever another Airflow's settings the
shell still exports (the run itself is tests/readme/test_your_own_model.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from airflow_champion import settings
from airflow_champion.pipeline import airflow_env, cli

pytestmark = pytest.mark.unit


def test_everything_follows_mlops_home_and_another_airflows_db_is_overridden(tmp_path: Path) -> None:
    base = {
        "PATH": "/usr/bin:/bin",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": "postgresql://prod/airflow",
        "AIRFLOW__API__PORT": "8793",
        "MLOPS_CONFIG_DIR": "/srv/configs",
    }
    env = airflow_env.airflow_env(tmp_path / "state", base)
    home = (tmp_path / "state").resolve()
    assert env["MLOPS_HOME"] == str(home)
    assert env["AIRFLOW_HOME"] == str(home / "airflow")
    assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] == f"sqlite:///{home / 'airflow' / 'airflow.db'}"
    assert env["AIRFLOW__API__PORT"] == "8793" and env["MLOPS_CONFIG_DIR"] == "/srv/configs"  # passed on
    assert env["PATH"].split(":")[0] == str(Path(sys.executable).parent)  # standalone's children
    assert settings.CHECKOUT is not None
    assert env["AIRFLOW__CORE__DAGS_FOLDER"] == str(settings.CHECKOUT / "dags")
    assert env["AIRFLOW__CORE__PLUGINS_FOLDER"] == str(settings.CHECKOUT / "plugins")


def test_env_prints_export_lines_and_a_bare_call_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MLOPS_HOME", str(tmp_path / "my state"))
    assert cli.main(["airflow", "--env"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert f"export MLOPS_HOME='{(tmp_path / 'my state').resolve()}'" in lines
    assert all(line.startswith("export ") for line in lines)
    assert cli.main(["airflow"]) == cli.EXIT_GATE
    assert "mlops airflow dags list" in capsys.readouterr().err
