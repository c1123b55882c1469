"""The evidence bundle of a challenger: one JSON-safe document (and its page) with everything a
reviewer needs to judge a decision without opening five systems.

Pure: it is built from what the earlier steps recorded (validation result, training run, verdict,
promotion result, drift context), handed in by `pipeline.evidence_record`, which logs it to the
challenger's training run (adr in pipeline/adr/0001-one-evidence-bundle-per-candidate.md).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from airflow_champion.reports.jsonsafe import to_jsonable
from airflow_champion.reports.numbers import fmt, pct, signed
from airflow_champion.reports.render import render

SCHEMA = "airflow-champion/evidence/1"
DIR = "evidence"
JSON_NAME = "evidence.json"
HTML_NAME = "evidence.html"
JSON_PATH = f"{DIR}/{JSON_NAME}"
HTML_PATH = f"{DIR}/{HTML_NAME}"
"""Artifact paths inside the challenger's MLflow training run."""

EVALUATION_KEYS = (
    "metric",
    "direction",
    "challenger_score",
    "champion_score",
    "champion_version",
    "diff",
    "rel_gain",
    "ci_low",
    "ci_high",
    "confidence",
    "bootstrap_samples",
    "holdout_rows",
    "floor",
    "decision",
    "reasons",
    "judged",
    "slices",
    "calibration",
    "budgets",
    "revoked",
    "challenger_scores",
    "champion_scores",
    "eval_run_id",
    "eval_run_url",
    "report_uri",
    "evaluated_at",
    "reused",
)
LINEAGE_TAGS = ("snapshot_id", "snapshot_sha256", "config_hash", "code_version", "idempotency_key")
CONTEXT_TAGS = ("trigger_reason", "dag_id", "run_id", "run_type")
MAX_CHECKS = 200
"""Validation checks kept in the bundle (a suite is a few dozen; the full result is in the store)."""


def validation_summary(payload: dict[str, Any] | None, report_uri: str | None) -> dict[str, Any] | None:
    """The passing validation of the snapshot: counts, each check's status, where the page is."""
    if not payload:
        return None
    checks = []
    for c in (payload.get("checks") or [])[:MAX_CHECKS]:
        spec = c.get("spec") or {}
        kwargs = spec.get("kwargs") or {}
        checks.append(
            {
                "expectation": spec.get("expectation") or c.get("expectation"),
                "column": kwargs.get("column") or c.get("column"),
                "status": c.get("status") or ("passed" if c.get("success") else "failed"),
                "message": c.get("message"),
            }
        )
    return {
        "success": payload.get("success"),
        "statistics": payload.get("statistics") or {},
        "failures": len(payload.get("failures") or []),
        "extra_columns": payload.get("extra_columns") or [],
        "checks": checks,
        "report_uri": report_uri,
    }


def _prefixed(params: dict[str, str], prefix: str) -> dict[str, str]:
    return {k[len(prefix) :]: v for k, v in params.items() if k.startswith(prefix)}


def training_summary(
    run_id: str, experiment_id: str, params: dict[str, str], metrics: dict[str, float], url: str | None
) -> dict[str, Any]:
    """What the training run logged: the estimator, its parameters, the split and holdout scores."""
    return {
        "run_id": run_id,
        "experiment_id": experiment_id,
        "run_url": url,
        "estimator": params.get("estimator"),
        "estimator_params": _prefixed(params, "estimator."),
        "holdout_policy": _prefixed(params, "holdout."),
        "params": dict(params),
        "metrics": dict(metrics),
    }


def lineage(
    run_tags: dict[str, str], verdict: dict[str, Any], *, run_id: str, version: int, model_name: str
) -> dict[str, Any]:
    """Which data, config and code made this version (from the training run's lineage tags)."""

    def tag(name: str) -> str | None:
        return run_tags.get(f"mlops.{name}")

    out: dict[str, Any] = {name: tag(name) for name in (*LINEAGE_TAGS, *CONTEXT_TAGS)}
    out["pipeline_run_id"] = out.pop("run_id")  # the Airflow (or CLI) run, not an MLflow run
    out["snapshot_id"] = out["snapshot_id"] or verdict.get("snapshot_id")
    out["snapshot_sha256"] = out["snapshot_sha256"] or verdict.get("snapshot_sha256")
    out.update(training_run_id=run_id, model_version=int(version), registered_model=model_name)
    return out


def decision(promotion: dict[str, Any], actor: str | None, context: dict[str, Any]) -> dict[str, Any]:
    """What promote decided and recorded (the ledger entry's seq), whoever asked."""
    shadow = bool(promotion.get("shadow"))
    return {
        "action": "shadow" if shadow else promotion.get("decision"),
        "promoted": bool(promotion.get("promoted")),
        "shadow": shadow,
        "would_promote": promotion.get("would_promote"),
        "reasons": list(promotion.get("reasons") or []),
        "champion_before": promotion.get("from_version"),
        "champion_after": promotion.get("champion"),
        "ledger_seq": promotion.get("ledger_seq"),
        "actor": actor,
        "decided_in": {k: context[k] for k in ("dag_id", "run_id") if context.get(k)},
    }


def build_bundle(
    *,
    verdict: dict[str, Any],
    promotion: dict[str, Any],
    training: dict[str, Any],
    lineage: dict[str, Any],
    validation: dict[str, Any] | None,
    drift: dict[str, Any] | None,
    actor: str | None = None,
    context: dict[str, Any] | None = None,
    approval: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The bundle (JSON-safe): one document per decision about one challenger version."""
    return to_jsonable(
        {
            "schema": SCHEMA,
            "model": verdict.get("model"),
            "challenger_version": lineage.get("model_version"),
            "snapshot_id": lineage.get("snapshot_id"),
            "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "decision": decision(promotion, actor, context or {}),
            "approval": approval,
            "validation": validation,
            "training": training,
            "evaluation": {k: verdict.get(k) for k in EVALUATION_KEYS},
            "lineage": lineage,
            "drift": drift,
        }
    )


def _interval(ev: dict[str, Any]) -> str:
    if ev.get("ci_low") is None:
        return "no bootstrap (no champion to compare with)"
    conf = ev.get("confidence")
    level = pct(conf) if isinstance(conf, float) else ""
    bounds = f"[{signed(ev.get('ci_low'))}, {signed(ev.get('ci_high'))}]"
    return f"{level} one-sided bounds {bounds} from {ev.get('bootstrap_samples')} paired bootstrap resamples"


def render_evidence_html(bundle: dict[str, Any], sections: list[dict[str, Any]]) -> str:
    """The page of a bundle; `sections` are the gate tables (slices, calibration, budgets) as
    evaluation.report.report_sections builds them, so both pages show the same tables."""
    ev, dec = bundle.get("evaluation") or {}, bundle.get("decision") or {}
    cv = ev.get("champion_version")
    facts = [
        ("metric", f"{ev.get('metric')} ({ev.get('direction')})"),
        ("challenger score", fmt(ev.get("challenger_score"))),
        ("champion", "none (first model)" if cv is None else f"v{cv}: {fmt(ev.get('champion_score'))}"),
        ("gain (positive = challenger better)", signed(ev.get("diff"))),
        ("relative gain", fmt(ev.get("rel_gain"))),
        ("confidence interval of the gain", _interval(ev)),
        ("floor", fmt(ev.get("floor"))),
        ("judged rows", ev.get("holdout_rows")),
        ("evaluation run", ev.get("eval_run_id")),
        ("evaluation report", ev.get("report_uri")),
    ]
    return render(
        "evidence.html.j2",
        title=f"Evidence for {bundle.get('model')} v{bundle.get('challenger_version')}",
        b=bundle,
        action=str(dec.get("action") or ""),
        facts=facts,
        sections=sections,
    )


__all__ = [
    "HTML_PATH",
    "JSON_PATH",
    "SCHEMA",
    "build_bundle",
    "decision",
    "lineage",
    "render_evidence_html",
    "training_summary",
    "validation_summary",
]
