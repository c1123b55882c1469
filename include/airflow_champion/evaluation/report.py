"""The evaluation report page (templates/evaluation.html.j2): a reviewer can open it offline."""

from __future__ import annotations

import base64
from typing import Any

from airflow_champion.reports.numbers import fmt, pct, signed
from airflow_champion.reports.render import render


def _interval(verdict: dict[str, Any]) -> str:
    if verdict.get("ci_low") is None:
        return "no bootstrap (no champion to compare with)"
    conf = verdict.get("confidence")
    level = pct(conf) if isinstance(conf, float) else ""
    return (
        f"{level} one-sided bounds of the gain: [{signed(verdict.get('ci_low'))}, "
        f"{signed(verdict.get('ci_high'))}] from {verdict.get('bootstrap_samples')} paired "
        "bootstrap resamples"
    )


def render_report_html(verdict: dict[str, Any], plots: dict[str, bytes] | None = None) -> str:
    """Self-contained page of a verdict (plots inlined as base64)."""
    ch_scores = verdict.get("challenger_scores") or {}
    cp_scores = verdict.get("champion_scores") or {}
    cv = verdict.get("champion_version")
    facts = [
        ("snapshot", verdict.get("snapshot_id")),
        ("task", verdict.get("task")),
        ("champion", "none (first model)" if cv is None else f"v{cv}"),
        ("metric", f"{verdict.get('metric')} ({verdict.get('direction')})"),
        ("gain (positive = challenger better)", signed(verdict.get("diff"))),
        ("relative gain", fmt(verdict.get("rel_gain"))),
        ("confidence interval", _interval(verdict)),
        ("floor", fmt(verdict.get("floor"))),
        ("holdout rows", verdict.get("holdout_rows")),
        ("evaluated at", verdict.get("evaluated_at")),
        ("MLflow run", verdict.get("eval_run_id")),
    ]
    names = sorted(set(ch_scores) | set(cp_scores))
    return render(
        "evaluation.html.j2",
        title=f"Evaluation of {verdict.get('model', '')} v{verdict.get('challenger_version')}",
        v=verdict,
        decision=str(verdict.get("decision", "")),
        facts=facts,
        sections=verdict.get("report_sections") or [],
        metric_rows=[(n, cp_scores.get(n), ch_scores.get(n)) for n in names],
        plots=[(n, base64.b64encode(b).decode()) for n, b in (plots or {}).items()],
    )


__all__ = ["render_report_html"]
