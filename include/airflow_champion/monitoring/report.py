"""The drift pages: our verdict (templates/drift_verdict.html.j2), and the stand-in for Evidently's."""

from __future__ import annotations

from typing import Any

from airflow_champion.reports.render import render

VERDICT_JSON = "drift_verdict.json"
VERDICT_HTML = "drift_verdict.html"
EVIDENTLY_HTML = "drift_evidently.html"
"""File names under the snapshot's `_reports/` and in the drift MLflow run."""


def render_verdict_html(verdict: dict[str, Any]) -> str:
    """Standalone page of a verdict; every value is escaped (column names come from data)."""
    smp = verdict.get("sampled", {})
    sampled = [
        f"{side} {smp[side]['used']} of {smp[side]['rows']} rows"
        for side in ("reference", "current")
        if isinstance(smp.get(side), dict) and smp[side].get("sampled")
    ]
    ov = verdict.get("overall", {})
    signals = [
        (label, verdict[key])
        for key, label in (("prediction_drift", "Prediction drift"), ("target_drift", "Target drift"))
        if verdict.get(key)
    ]
    return render(
        "drift_verdict.html.j2",
        title=f"Drift verdict: {verdict.get('model', '')}",
        verdict=verdict,
        ov=ov,
        status="DRIFT" if ov.get("drifted") else "no drift",
        sampled=sampled,
        signals=signals,
        perf=verdict.get("performance"),
        agreement=(verdict.get("evidently") or {}).get("agreement"),
        features=list(verdict.get("features", {}).items()),
    )


def evidently_unavailable(model: str, error: str) -> str:
    """Stands in for Evidently's page: the link still opens, and no older page survives under the name."""
    return render(
        "evidently_unavailable.html.j2",
        title=f"Evidently report: {model}",
        verdict_page=VERDICT_HTML,
        error=error,
    )


__all__ = ["EVIDENTLY_HTML", "VERDICT_HTML", "VERDICT_JSON", "evidently_unavailable", "render_verdict_html"]
