"""Jinja2 rendering of every HTML page (validation, evaluation, drift), autoescaped.

Templates live next to this module, so a page's markup is in one file a designer can read, and
autoescape is on for everything: column names, category values and messages come from user data.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any

from airflow_champion.reports.numbers import fmt, pct, signed

if TYPE_CHECKING:
    import jinja2


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("airflow_champion.reports", "templates"),
        autoescape=True,  # every template, whatever its suffix
        undefined=jinja2.StrictUndefined,  # a missing value is a bug in the caller, not an empty cell
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["num"] = fmt
    env.filters["signed"] = signed
    env.filters["pct"] = pct
    return env


def render(template: str, **context: Any) -> str:
    """Render `templates/<template>` with `context`; the page is self-contained (no external assets)."""
    return _environment().get_template(template).render(**context)


__all__ = ["render"]
