"""Everything a stage shows to people or hands to XCom: HTML templates, the JSON encoder, numbers.

One place per concept: every HTML page is a Jinja2 template under `templates/` rendered with
autoescape (column names and messages come from data), every JSON payload goes through `jsonsafe`,
and every number on a page or in a sentence is formatted by `numbers.fmt`.
"""

from __future__ import annotations

from airflow_champion.reports.jsonsafe import dumps, to_jsonable
from airflow_champion.reports.numbers import fmt, pct
from airflow_champion.reports.render import render

__all__ = ["dumps", "fmt", "pct", "render", "to_jsonable"]
