"""The validation report pages (templates/validation.html.j2, unreadable_snapshot.html.j2)."""

from __future__ import annotations

from typing import Any

from airflow_champion.reports.render import render
from airflow_champion.validation.validate import ValidationResult

_ORDER = {"failed": 0, "skipped": 1}


def render_report_html(result: ValidationResult, notes: list[str] | None = None) -> str:
    """Self-contained HTML page (no external assets) for the snapshot folder and the quarantine."""
    verdict = "PASSED" if result.success else "FAILED"
    return render(
        "validation.html.j2",
        title=f"Validation of {result.model} / {result.snapshot_id}: {verdict}",
        result=result,
        verdict=verdict,
        summary=result.summary(),
        st=result.statistics,
        notes=notes or [],
        checks=sorted(result.checks, key=lambda c: _ORDER.get(c["status"], 2)),
    )


def unreadable_snapshot(model: str, snapshot_id: str, exc: Exception) -> tuple[dict[str, Any], str]:
    """The result and page of a snapshot that could not be read as a table (what quarantine keeps)."""
    result = {
        "success": False,
        "model": model,
        "snapshot_id": snapshot_id,
        "statistics": {"evaluated": 1, "successful": 0, "unsuccessful": 1, "success_percent": 0.0},
        "failures": [{"expectation": "snapshot_is_readable", "column": None, "message": str(exc)}],
    }
    page = render(
        "unreadable_snapshot.html.j2",
        title=f"Validation of {model} / {snapshot_id}: FAILED",
        model=model,
        snapshot_id=snapshot_id,
        error=str(exc),
    )
    return result, page


__all__ = ["render_report_html", "unreadable_snapshot"]
