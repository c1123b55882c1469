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


def _slice_section(sl: dict[str, Any]) -> dict[str, Any]:
    rows = [
        {
            "cells": [
                r.get("column"),
                r.get("slice"),
                r.get("rows"),
                r.get("champion"),
                r.get("challenger"),
                signed(r.get("diff")),
                f"[{signed(r.get('ci_low'))}, {signed(r.get('ci_high'))}]",
                r.get("p_holm"),
                r.get("status"),
            ],
            "main": r.get("status") == "worse",
        }
        for r in sl.get("slices") or []
    ]
    rows += [
        {
            "cells": [
                r.get("column"),
                r.get("slice"),
                r.get("rows"),
                "",
                "",
                "",
                "",
                "",
                f"skipped: {r.get('reason')}",
            ]
        }
        for r in sl.get("skipped") or []
    ]
    note = (
        f"non-inferiority within margin {fmt(sl.get('margin'))} on every slice with at least "
        f"{sl.get('min_rows')} judged rows; Holm-corrected at {fmt(sl.get('significance'))} over "
        f"{sl.get('tested')} slice(s)"
    )
    header = ["column", "slice", "rows", "champion", "challenger", "gain", "interval", "Holm p", "status"]
    return {"title": "Slices", "note": note, "header": header, "rows": rows}


def _calibration_section(cal: dict[str, Any]) -> dict[str, Any]:
    ch, cp = cal.get("challenger") or {}, cal.get("champion") or {}
    rows = [
        {
            "cells": [
                "ECE",
                cp.get("ece"),
                ch.get("ece"),
                signed(cal.get("ece_increase")),
                cal.get("ece_increase_ci"),
            ]
        },
        {
            "cells": [
                "Brier score",
                cp.get("brier"),
                ch.get("brier"),
                signed(cal.get("brier_increase")),
                cal.get("brier_increase_ci"),
            ]
        },
    ]
    limits = ", ".join(f"{k} {fmt(v)}" for k, v in (cal.get("limits") or {}).items())
    header = ["measure", "champion", "challenger", "increase", "interval of the increase"]
    return {"title": "Calibration", "note": f"limits: {limits}", "header": header, "rows": rows}


def _budget_section(b: dict[str, Any]) -> dict[str, Any]:
    limits = b.get("limits") or {}
    rows = [
        {"cells": ["p95 predict latency (ms)", b.get("p95_ms"), limits.get("max_p95_latency_ms")]},
        {"cells": ["p50 predict latency (ms)", b.get("p50_ms"), None]},
        {"cells": ["model artifact (MB)", b.get("artifact_mb"), limits.get("max_artifact_mb")]},
    ]
    note = (
        f"measured on the loaded registered model: {b.get('repeats')} calls on "
        f"{b.get('batch_rows')} judged rows"
    )
    return {
        "title": "Serving budgets",
        "note": note,
        "header": ["measure", "challenger", "limit"],
        "rows": rows,
    }


def report_sections(verdict: dict[str, Any]) -> list[dict[str, Any]]:
    """The tables of the gates beside the metric comparison, those that ran."""
    out = []
    if (verdict.get("slices") or {}).get("enabled"):
        out.append(_slice_section(verdict["slices"]))
    if (verdict.get("calibration") or {}).get("applicable"):
        out.append(_calibration_section(verdict["calibration"]))
    if verdict.get("budgets"):
        out.append(_budget_section(verdict["budgets"]))
    return out


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
        sections=report_sections(verdict),
        metric_rows=[(n, cp_scores.get(n), ch_scores.get(n)) for n in names],
        plots=[(n, base64.b64encode(b).decode()) for n, b in (plots or {}).items()],
    )


__all__ = ["render_report_html"]
