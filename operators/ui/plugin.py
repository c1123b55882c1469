"""The project's one Airflow plugin: the operators' extra links and the "Models" page.

Registered by the `airflow.plugins` entry point of the installed distribution (pyproject.toml), so it
loads in any Airflow the package is installed into; this repository's plugins/mlops_plugin.py stands in
only when that entry point is missing (see there). The page is the FastAPI app of `app.py`, mounted
by the api-server under `/mlops`, and a nav entry "Models" that shows it inside the Airflow UI.
"""

from __future__ import annotations

from typing import Any

from airflow.plugins_manager import AirflowPlugin
from airflow_champion.operators.links import EvidenceLink, MlflowRunLink, ModelVersionLink, ReportLink
from airflow_champion.operators.ui import PAGE, URL_PREFIX


class BuiltOnFirstRequest:
    """The page's ASGI app, built when the first request reaches it.

    Building it imports the api-server's security module (about a second); the scheduler, the
    dag-processor and the workers load this plugin for its extra links and never serve the page.
    """

    def __init__(self) -> None:
        self._app: Any = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if self._app is None:
            from airflow_champion.operators.ui.app import create_app

            self._app = create_app()
        await self._app(scope, receive, send)


class MlopsPlugin(AirflowPlugin):
    name = "mlops"
    operator_extra_links = [MlflowRunLink(), ModelVersionLink(), ReportLink(), EvidenceLink()]
    fastapi_apps = [
        {"app": BuiltOnFirstRequest(), "url_prefix": URL_PREFIX, "name": "airflow-champion models"}
    ]
    external_views = [
        {
            "name": "Models",
            # relative to the UI's root (no leading slash), so it works behind a path prefix too
            "href": f"{URL_PREFIX.lstrip('/')}/{PAGE}",
            "url_route": PAGE,  # shown inside the UI (an iframe) at <ui root>/plugin/models
            "destination": "nav",
            "nav_top_level": True,
        }
    ]


__all__ = ["BuiltOnFirstRequest", "MlopsPlugin"]
