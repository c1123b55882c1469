"""The "Models" page as a FastAPI app that the api-server mounts under `/mlops` (see plugin.py).

Airflow authenticates none of a plugin app's routes (a mount inherits none of the core API's
dependencies), so every route here takes its user from Airflow's own `get_user` dependency: the JWT
of an `Authorization: Bearer` header or of the UI's `_token` cookie, checked by the configured auth
manager (401 without a token, 403 for an invalid one). Authorization is the auth manager's too: a model
is listed only if the user may read its `<model>_retrain` DAG, and only DAGs they may read are linked.
"""

from __future__ import annotations

from typing import Annotated, Any

from airflow.api_fastapi.app import get_auth_manager
from airflow.api_fastapi.auth.managers.models.base_user import BaseUser
from airflow.api_fastapi.auth.managers.models.resource_details import DagDetails
from airflow.api_fastapi.core_api.security import get_user
from airflow.models.dag import DagModel
from airflow_champion.operators.ui import JSON, PAGE
from fastapi import Depends, FastAPI, HTTPException
from fastapi.responses import HTMLResponse, Response

DAG_KINDS = ("retrain", "rollback", "replay", "snapshot_watch", "drift_monitor")
"""The DAGs the factory builds per model (`<model>_<kind>`), in the order the page lists them."""
HEADERS = {
    "Cache-Control": "no-store",  # per-user data behind a login
    # no script, no external resource, framed only by the Airflow UI itself (defence in depth: the
    # template escapes everything already)
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; "
        "frame-ancestors 'self'"
    ),
}

UserDep = Annotated[BaseUser, Depends(get_user)]


def retrain_dag_id(model: str) -> str:
    return f"{model}_retrain"


def visible_models(user: BaseUser) -> list[str]:
    """The configs whose retrain DAG this user may read (also a config that builds no DAG: its row
    shows why, to whoever may read that DAG id)."""
    from airflow_champion.config import list_config_names

    names = list_config_names()
    dag_ids = [retrain_dag_id(n) for n in names]
    teams = DagModel.get_dag_id_to_team_name_mapping(dag_ids)
    auth = get_auth_manager()
    return [
        name
        for name, dag_id in zip(names, dag_ids, strict=True)
        if auth.is_authorized_dag(
            method="GET", user=user, details=DagDetails(id=dag_id, team_name=teams.get(dag_id))
        )
    ]


def dag_links(models: list[str], user: BaseUser) -> dict[str, list[dict[str, str]]]:
    """Each model's DAGs that exist and that the user may read, as links relative to the UI's root."""
    readable = get_auth_manager().get_authorized_dag_ids(user=user, method="GET")
    return {
        model: [
            {"dag_id": dag_id, "href": f"dags/{dag_id}"}
            for dag_id in (f"{model}_{kind}" for kind in DAG_KINDS)
            if dag_id in readable
        ]
        for model in models
    }


def page_data(user: BaseUser) -> tuple[list[dict[str, Any]], dict[str, list[dict[str, str]]]]:
    from airflow_champion.pipeline.overview import overview

    models = visible_models(user)
    return overview(models), dag_links(models, user)


def create_app() -> FastAPI:
    """The app: the page (`/models`), the same data as JSON (`/api/models`), and who was champion
    when (`/api/models/<model>/history?at=TIME`)."""
    from airflow_champion.pipeline.overview_report import render_models_html
    from airflow_champion.reports.jsonsafe import dumps

    app = FastAPI(title="airflow-champion models", docs_url=None, redoc_url=None, openapi_url=None)

    # plain `def`: FastAPI runs them in its thread pool, and reading MLflow and the snapshot store blocks
    @app.get(f"/{PAGE}", response_class=HTMLResponse)
    def models_page(user: UserDep) -> HTMLResponse:
        rows, dags = page_data(user)
        # served at <ui root>/mlops/models: "../" is the UI's root, the JSON is a sibling path
        html = render_models_html(rows, dags=dags, ui_root="../", json_href=JSON)
        return HTMLResponse(html, headers=HEADERS)

    @app.get(f"/{JSON}")
    def models_json(user: UserDep) -> Response:
        rows, dags = page_data(user)
        body = {"models": [{**row, "dags": dags.get(row["model"], [])} for row in rows]}
        return Response(dumps(body), media_type="application/json", headers=HEADERS)

    @app.get(f"/{JSON}/{{model}}/history")
    def model_history_json(model: str, user: UserDep, at: str | None = None) -> Response:
        """Who was champion when (`at`: the champion at that instant): what `mlops history --json` says."""
        from airflow_champion.config import load_config
        from airflow_champion.errors import MlopsError, TransientError
        from airflow_champion.registry.history import BadTimeError, model_history

        if model not in visible_models(user):  # unknown, or not this user's to read: the same answer
            raise HTTPException(404, f"no model {model!r}", headers=HEADERS)
        try:
            body = model_history(load_config(model), at)
        except BadTimeError as exc:
            raise HTTPException(422, str(exc), headers=HEADERS) from None
        except MlopsError as exc:  # a broken config, an unreachable registry: said, not a bare 500
            raise HTTPException(
                503 if isinstance(exc, TransientError) else 500, f"{model}: {exc}", headers=HEADERS
            ) from None
        return Response(dumps(body), media_type="application/json", headers=HEADERS)

    return app


__all__ = ["DAG_KINDS", "create_app", "dag_links", "page_data", "retrain_dag_id", "visible_models"]
