"""The "Models" page (templates/models.html.j2) of `overview.overview()`'s rows.

Everything on it is escaped: reasons, actors and errors are free text written by runs and people.
"""

from __future__ import annotations

from typing import Any

from airflow_champion import settings
from airflow_champion.reports.render import render


def render_models_html(
    models: list[dict[str, Any]],
    *,
    dags: dict[str, list[dict[str, str]]] | None = None,
    ui_root: str = "",
    json_href: str = "api/models",
    title: str = "Models",
) -> str:
    """The page; `dags` maps a model to its DAG links (`{"dag_id", "href"}`, href relative to the
    Airflow UI's root), and `ui_root` is how the page reaches that root from where it is served."""
    return render(
        "models.html.j2",
        title=title,
        models=models,
        dags=dags or {},
        ui_root=ui_root,
        json_href=json_href,
        mlflow_url=settings.mlflow_ui_url(),
    )


__all__ = ["render_models_html"]
