"""The Airflow UI in a real browser: headless Debian Chromium logs in to the real api-server, opens the
retrain DAG and the train task of a finished run, and follows its "MLflow run" extra link to the real
MLflow server. Screenshots are kept as test artifacts in test-artifacts/ (README shows one)."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import require_service
from tests.integration.conftest import REPO, STACK_MARKS, AirflowStack

pytestmark = [*STACK_MARKS, pytest.mark.browser]


ARTIFACTS = REPO / "test-artifacts"
DAG_ID = "churn_retrain"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    require_service(bool(chromium and driver), "Debian's chromium and chromium-driver are not installed")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(chromium)
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1440,1000"):
        options.add_argument(arg)
    drv = webdriver.Chrome(service=Service(str(driver)), options=options)
    drv.set_page_load_timeout(60)
    try:
        yield drv
    finally:
        drv.quit()


@pytest.fixture(scope="module")
def finished_run(airflow_stack: AirflowStack) -> str:
    """A successful churn_retrain run: the one the scheduler test made, or a new one."""
    from tests.integration.test_celery_stack_retrain import run_retrain

    status, body = airflow_stack.api("GET", f"/dags/{DAG_ID}/dagRuns?state=success")
    runs = body.get("dag_runs", []) if status == 200 and isinstance(body, dict) else []
    if runs:
        return str(runs[-1]["dag_run_id"])
    return str(run_retrain(airflow_stack)["dag_run_id"])


def _wait(drv: Any, condition: Any, what: str, timeout: float = 60) -> Any:
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.support.ui import WebDriverWait

    try:
        return WebDriverWait(drv, timeout).until(condition)
    except TimeoutException:
        ARTIFACTS.mkdir(exist_ok=True)
        drv.save_screenshot(str(ARTIFACTS / "ui-failure.png"))
        raise AssertionError(f"timed out waiting for {what} at {drv.current_url}") from None


def test_login_open_dag_and_follow_the_mlflow_extra_link(
    airflow_stack: AirflowStack, finished_run: str, browser: Any
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec

    drv, ui = browser, airflow_stack.api_url
    ARTIFACTS.mkdir(exist_ok=True)

    drv.get(f"{ui}/auth/login")
    _wait(drv, ec.presence_of_element_located((By.NAME, "username")), "the login form").send_keys("admin")
    drv.find_element(By.NAME, "password").send_keys(airflow_stack.password())
    drv.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    _wait(drv, lambda d: "/auth/login" not in d.current_url, "the redirect after login")

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
