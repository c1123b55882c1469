"""Headless Debian Chromium for the UI tests: one driver per module, waits that leave a screenshot
when they time out, and the Airflow login form."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tests.conftest import require_service

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
"""Screenshots (untracked; the README shows copies)."""


def chromium() -> Iterator[Any]:
    """A headless Chromium driver (skips, or fails under CI, when the browser is not installed)."""
    binary, driver = shutil.which("chromium"), shutil.which("chromedriver")
    require_service(bool(binary and driver), "Debian's chromium and chromium-driver are not installed")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(binary)
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1440,1000"):
        options.add_argument(arg)
    drv = webdriver.Chrome(service=Service(str(driver)), options=options)
    drv.set_page_load_timeout(60)
    try:
        yield drv
    finally:
        drv.quit()


def wait_for(drv: Any, condition: Any, what: str, failure_png: str, timeout: float = 60) -> Any:
    """WebDriverWait(...).until(condition); on a timeout, a screenshot and an error naming `what`."""
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.support.ui import WebDriverWait

    try:
        return WebDriverWait(drv, timeout).until(condition)
    except TimeoutException:
        ARTIFACTS.mkdir(exist_ok=True)
        drv.save_screenshot(str(ARTIFACTS / failure_png))
        raise AssertionError(f"timed out waiting for {what} at {drv.current_url}") from None


def log_in(drv: Any, ui: str, password: str, failure_png: str) -> None:
    """Airflow's login form as admin, until the UI redirects away from it."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec

    drv.get(f"{ui}/auth/login")
    form = ec.presence_of_element_located((By.NAME, "username"))
    wait_for(drv, form, "the login form", failure_png).send_keys("admin")
    drv.find_element(By.NAME, "password").send_keys(password)
    drv.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait_for(drv, lambda d: "/auth/login" not in d.current_url, "the redirect after login", failure_png)
