"""The Airflow plugin (`plugin.MlopsPlugin`): the operators' extra links and the "Models" page (`app`).

Airflow-side glue only: the page's data and HTML come from the core (`airflow_champion.pipeline.overview`
and `overview_report`), which is testable without Airflow. It lives under operators/ (Airflow's layer,
mapped as `airflow_champion.operators`), so any install that has the operators has the plugin too.

Where the page lives, in one place for the plugin (plugin.py) and the app (app.py):
`<ui root>/mlops/models` (HTML) and `<ui root>/mlops/api/models` (JSON).
"""

from __future__ import annotations

URL_PREFIX = "/mlops"
"""Where the api-server mounts the page's app."""
PAGE = "models"
JSON = "api/models"
"""The page's and the JSON's paths inside the app."""

__all__ = ["JSON", "PAGE", "URL_PREFIX"]
