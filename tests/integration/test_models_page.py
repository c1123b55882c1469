"""The "Models" page through the real api-server: Airflow's own authentication guards it and its JSON,
an admin's token reads every model with churn's champion, and in headless Chromium the nav entry
"Models" shows the page inside the Airflow UI. Screenshots go to test-artifacts/ (README shows one).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.integration.browser import ARTIFACTS, log_in, wait_for
from tests.integration.conftest import STACK_MARKS, AirflowStack, http_get

pytestmark = STACK_MARKS

DAG_ID = "churn_retrain"
PAGE, JSON = "/mlops/models", "/mlops/api/models"


@pytest.fixture(scope="module")
def churn_champion(airflow_stack: AirflowStack) -> int:
    """churn's champion version after a successful churn_retrain run (an earlier test's, or a new one)."""
    from mlflow.tracking import MlflowClient

    from tests.integration.test_celery_stack_retrain import successful_run_id

    successful_run_id(airflow_stack)
    client = MlflowClient(tracking_uri=airflow_stack.mlflow.url, registry_uri=airflow_stack.mlflow.url)
    return int(client.get_model_version_by_alias("churn", "champion").version)


def _get(stack: AirflowStack, path: str, **headers: str) -> tuple[int, bytes, dict[str, str]]:
    """Status, body and headers (names lower-cased: servers send `content-type`, not `Content-Type`)."""
    import urllib.error
    import urllib.request

    req = urllib.request.Request(f"{stack.api_url}{path}", headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=120) as resp:
            return int(resp.status), resp.read(), {k.lower(): v for k, v in resp.headers.items()}
    except urllib.error.HTTPError as exc:
        return int(exc.code), exc.read(), {k.lower(): v for k, v in exc.headers.items()}


@pytest.mark.parametrize("path", [PAGE, JSON])
def test_without_a_valid_token_the_page_and_its_json_are_refused(
    airflow_stack: AirflowStack, path: str
) -> None:
    url = f"{airflow_stack.api_url}{path}"
    status, body = http_get(url, timeout=30)
    assert status == 401, body[:300]  # no token at all: "Not authenticated"
    assert b"churn" not in body
    for headers in ({"Authorization": "Bearer not-a-jwt"}, {"Cookie": "_token=not-a-jwt"}):
        status, body = http_get(url, timeout=30, headers=headers)
        assert status in (401, 403), (headers, status, body[:300])
        assert b"churn" not in body


def test_with_a_token_the_json_and_the_page_show_every_model(
    airflow_stack: AirflowStack, churn_champion: int
) -> None:
    bearer = {"Authorization": f"Bearer {airflow_stack.token()}"}
    status, raw, headers = _get(airflow_stack, JSON, **bearer)
    assert status == 200, raw[:500]
    assert headers["content-type"].startswith("application/json")
    assert headers["cache-control"] == "no-store"
    models = {m["model"]: m for m in json.loads(raw)["models"]}
    configs = sorted(p.stem for p in Path(airflow_stack.env["MLOPS_CONFIG_DIR"]).glob("*.yaml"))
    assert sorted(models) == configs  # every config of the stack's MLOPS_CONFIG_DIR
    churn = models["churn"]
    assert churn["error"] is None, churn["error"]
    assert churn["champion"]["version"] == churn_champion
    assert churn["champion"]["url"] == (
        f"{airflow_stack.mlflow.url}/#/models/churn/versions/{churn_champion}"
    )
    promotions = [e for e in churn["ledger"] if e["action"] == "promote"]
    assert promotions and promotions[0]["to_version"] == churn_champion
    assert promotions[0]["actor"] and promotions[0]["reason"]
    assert {"dag_id": DAG_ID, "href": f"dags/{DAG_ID}"} in churn["dags"]

    status, raw, headers = _get(airflow_stack, PAGE, **bearer)
    assert status == 200, raw[:500]
    assert headers["content-type"].startswith("text/html")
    assert "frame-ancestors 'self'" in headers["content-security-policy"]
    page = raw.decode()
    row = page.split("data-model='churn'", 1)[1].split("</tr>", 1)[0]
    assert f">v{churn_champion}</a>" in row
    assert f"href='../dags/{DAG_ID}' target='_top'" in row


def _until(drv: Any, condition: Any, what: str, timeout: float = 60) -> Any:
    return wait_for(drv, condition, what, "models_page-failure.png", timeout)


@pytest.mark.browser
def test_the_models_nav_entry_shows_churns_champion_inside_the_ui(
    airflow_stack: AirflowStack, churn_champion: int, browser: Any
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec

    drv, ui = browser, airflow_stack.api_url
    ARTIFACTS.mkdir(exist_ok=True)
    log_in(drv, ui, airflow_stack.password(), "models_page-failure.png")

    drv.get(f"{ui}/")
    nav = "//a[@aria-label='Models']"  # the nav bar's entries are links labelled with their name
    _until(drv, ec.element_to_be_clickable((By.XPATH, nav)), "the 'Models' nav entry").click()
    _until(drv, lambda d: d.current_url.endswith("/plugin/models"), "the plugin route")
    frame = _until(drv, ec.presence_of_element_located((By.TAG_NAME, "iframe")), "the page's iframe")
    assert frame.get_attribute("src").endswith(PAGE), frame.get_attribute("src")

    drv.switch_to.frame(frame)
    cell = "//tr[@data-model='churn']/td[contains(@class, 'champion')]"
    champion = _until(
        drv,
        ec.text_to_be_present_in_element((By.XPATH, cell), f"v{churn_champion}"),
        "churn's champion in the page",
    )
    assert champion
    assert drv.find_element(By.XPATH, "//h1").text == "Models"
    drv.switch_to.default_content()
    drv.save_screenshot(str(ARTIFACTS / "models_page.png"))

    drv.get(f"{ui}{PAGE}")  # the page on its own, as the iframe loads it: the cookie is the login
    _until(drv, ec.presence_of_element_located((By.XPATH, cell)), "the page opened directly")
    drv.save_screenshot(str(ARTIFACTS / "models_page_direct.png"))
    assert (ARTIFACTS / "models_page.png").stat().st_size > 10_000
