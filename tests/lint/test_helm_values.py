"""deploy/helm/values.yaml (official Airflow chart) agrees with the package and the compose stack."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.lint.test_compose import settings_env_names

pytestmark = pytest.mark.lint

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def values() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((REPO / "deploy" / "helm" / "values.yaml").read_text())
    return loaded


def test_runs_the_project_image_on_the_locked_airflow_version(values: dict[str, Any]) -> None:
    lock = (REPO / "requirements.lock").read_text()
    pinned = re.search(r"^apache-airflow==([0-9.]+)$", lock, re.M)
    assert pinned is not None
    assert values["airflowVersion"] == pinned.group(1)
    image = values["images"]["airflow"]
    assert image["repository"].endswith("/airflow-champion")
    assert (image["repository"], image["tag"]) == (
        values["defaultAirflowRepository"],
        values["defaultAirflowTag"],
    )


def test_celery_with_triggerer_and_dag_processor(values: dict[str, Any]) -> None:
    assert values["executor"] == "CeleryExecutor"
    assert values["triggerer"]["enabled"] is True, "the deferrable sensors need a triggerer"
    assert values["dagProcessor"]["enabled"] is True
    assert values["dags"]["gitSync"]["enabled"] is False, "DAGs ship in the image"


def test_env_sets_what_the_package_reads_and_no_secret(values: dict[str, Any]) -> None:
    env = {e["name"]: e["value"] for e in values["env"]}
    fallbacks = {"MLFLOW_S3_ENDPOINT_URL", "MLOPS_S3_ENDPOINT_URL", "MLOPS_CODE_VERSION"}
    chart_sets = {"AIRFLOW__CORE__EXECUTOR"}  # from values["executor"], into every Airflow pod
    missing = settings_env_names() - fallbacks - chart_sets - set(env)
    assert not missing, (
        f"include/airflow_champion/settings.py reads {sorted(missing)}, which the values do not set"
    )
    assert not [k for k in env if re.search(r"SECRET|PASSWORD|ACCESS_KEY", k)]
    assert not [v for v in env.values() if re.search(r"://[^/@]*:[^/@]*@", v)], "no password in a URL"
    assert "secretRef" in values["extraEnvFrom"]
    assert values["postgresql"]["enabled"] is False and values["data"]["metadataSecretName"]
