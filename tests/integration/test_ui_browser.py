"""The Airflow UI in a real browser: headless Debian Chromium logs in to the real api-server, opens the
retrain DAG and the train task of a finished run, and follows its "MLflow run" extra link to the real
MLflow server. Screenshots are kept as test artifacts in test-artifacts/ (README shows one)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from tests.integration.browser import ARTIFACTS, log_in, wait_for
from tests.integration.conftest import STACK_MARKS, AirflowStack

pytestmark = [*STACK_MARKS, pytest.mark.browser]

DAG_ID = "churn_retrain"


@pytest.fixture(scope="module")
def finished_run(airflow_stack: AirflowStack) -> str:
    from tests.integration.test_celery_stack_retrain import successful_run_id

    return successful_run_id(airflow_stack)


def _wait(drv: Any, condition: Any, what: str, timeout: float = 60) -> Any:
    return wait_for(drv, condition, what, "ui-failure.png", timeout)


def test_login_open_dag_and_follow_the_mlflow_extra_link(
    airflow_stack: AirflowStack, finished_run: str, browser: Any
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec

    drv, ui = browser, airflow_stack.api_url
    ARTIFACTS.mkdir(exist_ok=True)

    log_in(drv, ui, airflow_stack.password(), "ui-failure.png")

    drv.get(f"{ui}/dags/{DAG_ID}")
    _wait(
        drv, ec.presence_of_element_located((By.XPATH, f"//*[contains(text(), '{DAG_ID}')]")), "the DAG page"
    )
    drv.save_screenshot(str(ARTIFACTS / "ui-retrain-dag.png"))

    status, links = airflow_stack.api(
        "GET", f"/dags/{DAG_ID}/dagRuns/{finished_run}/taskInstances/train/links"
    )
    assert status == 200, links
    mlflow_link = links["extra_links"]["MLflow run"]
    assert mlflow_link and mlflow_link.startswith(f"{airflow_stack.mlflow.url}/#/experiments/"), links

    drv.get(f"{ui}/dags/{DAG_ID}/runs/{finished_run}/tasks/train/details")  # "Extra Links" live here
    link = _wait(
        drv,
        ec.element_to_be_clickable(
            (By.XPATH, "//a[contains(., 'MLflow run')] | //button[contains(., 'MLflow run')]")
        ),
        "the 'MLflow run' extra link of the train task",
    )
    time.sleep(1)  # let the task page finish rendering for the screenshot
    drv.save_screenshot(str(ARTIFACTS / "ui-train-extra-link.png"))
    href = link.get_attribute("href") or link.find_element(By.XPATH, "./ancestor::a").get_attribute("href")
    assert href.startswith(f"{airflow_stack.mlflow.url}/#/experiments/"), href
    assert "/runs/" in href

    drv.get(href)  # the link leads to the real MLflow server, which knows the run
    _wait(drv, lambda d: "MLflow" in d.title, "the MLflow UI")
    drv.save_screenshot(str(ARTIFACTS / "ui-mlflow-run.png"))
    assert Path(ARTIFACTS / "ui-train-extra-link.png").stat().st_size > 10_000
