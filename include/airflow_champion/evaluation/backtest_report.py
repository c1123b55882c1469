"""The gate backtest's page (templates/backtest.html.j2)."""

from __future__ import annotations

from typing import Any

from airflow_champion.reports.render import render


def render_backtest_html(result: dict[str, Any]) -> str:
    return render(
        "backtest.html.j2",
        title=f"Gate backtest of {result.get('model', '')}: {result.get('replay_id', '')}",
        r=result,
        t=result["total"],
    )


__all__ = ["render_backtest_html"]
