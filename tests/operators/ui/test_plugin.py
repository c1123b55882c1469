"""The plugin is registered exactly once, whichever way Airflow finds it, and its app refuses strangers.

Plugin loading is cached per process (airflow.plugins_manager), so each registration runs in a fresh
interpreter with the embedded test environment (plugins folder = this repository's plugins/).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.airflow_support import AIRFLOW_ENV

pytestmark = pytest.mark.airflow

LOAD = """
import importlib.metadata, json, sys
if sys.argv[1] == "folder-only":  # as if the distribution had no `airflow.plugins` entry point
    real = importlib.metadata.entry_points
    importlib.metadata.entry_points = lambda **kw: (
        [] if kw.get("group") == "airflow.plugins" else real(**kw))
    from airflow._shared.plugins_manager import _load_plugins_from_plugin_directory
    from airflow import settings
    plugins, errors = _load_plugins_from_plugin_directory(plugins_folder=settings.PLUGINS_FOLDER)
else:
    from airflow import plugins_manager
    plugins, errors = plugins_manager._get_plugins()
print(json.dumps({
    "errors": errors,
    "plugins": [
        {"name": p.name, "source": str(p.source),
         "apps": [a["url_prefix"] for a in p.fastapi_apps],
         "views": [(v["name"], v["href"], v.get("url_route")) for v in p.external_views],
         "links": sorted(type(link).__name__ for link in p.operator_extra_links)}
        for p in plugins
    ],
}))
"""


def _load(mode: str, cwd: Path) -> dict[str, Any]:
    # Not from the checkout: `python -c` puts its cwd on sys.path, and the editable install's
    # airflow_champion.egg-info at the root would then be a second distribution with the same entry point.
    env = {**os.environ, **AIRFLOW_ENV}
    out = subprocess.run(
        [sys.executable, "-c", LOAD, mode],
        capture_output=True,
        text=True,
        env=env,
        check=True,
        timeout=300,
        cwd=cwd,
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def _ours(loaded: dict[str, Any]) -> list[dict[str, Any]]:
    return [p for p in loaded["plugins"] if p["name"] == "mlops"]


EXPECTED = {
    "apps": ["/mlops"],
    "views": [["Models", "mlops/models", "models"]],
    "links": ["EvidenceLink", "MlflowRunLink", "ModelVersionLink", "ReportLink"],
}


def test_installed_the_entry_point_registers_it_and_the_plugins_folder_does_not_again(tmp_path: Path) -> None:
    loaded = _load("all", tmp_path)
    assert loaded["errors"] == {}  # a second "mlops" would be skipped *and* listed here
    (plugin,) = _ours(loaded)
    assert plugin["source"].startswith("airflow-champion==")  # the entry point, not $PLUGINS_FOLDER
    assert {k: plugin[k] for k in EXPECTED} == EXPECTED


def test_without_the_entry_point_the_plugins_folder_registers_it(tmp_path: Path) -> None:
    loaded = _load("folder-only", tmp_path)
    assert loaded["errors"] == {}
    (plugin,) = _ours(loaded)
    assert plugin["source"] == "$PLUGINS_FOLDER/mlops_plugin.py"
    assert {k: plugin[k] for k in EXPECTED} == EXPECTED


def test_the_page_and_its_json_refuse_a_request_without_a_token() -> None:
    from airflow_champion.operators.ui.app import create_app
    from fastapi.testclient import TestClient

    client = TestClient(create_app())
    for path in ("/models", "/api/models"):
        response = client.get(path)
        assert response.status_code == 401, (path, response.text)
        assert "Not authenticated" in response.text
