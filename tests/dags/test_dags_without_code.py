"""A new config needs no code: the one DAG file builds the DAGs of every config in MLOPS_CONFIG_DIR;
a hostile one (a YAML bomb) is an import error naming it, refused quickly, and the others still load."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.airflow_support import REPO
from tests.core.config.test_safe_yaml import billion_laughs

pytestmark = pytest.mark.airflow


@pytest.mark.timeout(300)  # the bomb used to hang the DAG file (past 4 GB): fail instead of hanging
def test_a_new_config_gets_its_dags_from_the_one_file_and_a_yaml_bomb_is_an_import_error(
    airflow_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from airflow.dag_processing.dagbag import DagBag

    configs = tmp_path / "configs"
    (configs / "expectations").mkdir(parents=True)
    text = (REPO / "include" / "configs" / "churn.yaml").read_text()
    (configs / "churn_eu.yaml").write_text(text.replace("name: churn", "name: churn_eu"))
    shutil.copy(REPO / "include" / "expectations" / "churn.yaml", configs / "expectations" / "churn.yaml")
    (configs / "bomb.yaml").write_text(billion_laughs("bomb"))
    monkeypatch.setenv("MLOPS_CONFIG_DIR", str(configs))
    bag = DagBag(dag_folder=str(REPO / "dags"))
    (error,) = bag.import_errors.values()
    assert f"- bomb: refusing model config {configs / 'bomb.yaml'}" in error
    assert "expands to more than 100000 nodes" in error
    assert {d for d in bag.dag_ids} == {
        f"churn_eu_{kind}" for kind in ("retrain", "rollback", "replay", "snapshot_watch", "drift_monitor")
    }
    assert [p.name for p in (REPO / "dags").glob("*.py")] == ["mlops_models.py"]  # no file per model
