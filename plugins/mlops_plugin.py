"""The plugins-folder stand-in for the project's plugin (extra links, the "Models" page).

The plugin is `airflow_champion.operators.ui.plugin.MlopsPlugin`, and an installed airflow-champion
registers it through its `airflow.plugins` entry point (pyproject.toml), in this repository's venv as
in anyone else's Airflow. Airflow loads the plugins folder first and the entry points after it, and it
skips a second plugin of the same name *and lists it as a plugin import error*
(airflow/plugins_manager.py, `__register_plugins`). So this file exposes the class only when that entry
point is not installed (an editable install made before the entry point existed, or the code on
PYTHONPATH): exactly one registration either way, and no import error in the UI.
"""

from __future__ import annotations

from importlib.metadata import entry_points

ENTRY_POINT = "airflow_champion"
"""The name of our `airflow.plugins` entry point in pyproject.toml."""

if not entry_points(group="airflow.plugins", name=ENTRY_POINT):
    from airflow_champion.operators.ui.plugin import MlopsPlugin

    __all__ = ["MlopsPlugin"]
