"""Recording a drift verdict: pages next to the snapshot, one MLflow run, the champion's last check.

Storage is what every deployment shares and what the drift sensor's trigger polls, so the verdict's
pages and JSON go to `<root>/<snapshot_id>/_reports/` (the JSON last: its presence means the pages and
the run exist); the MLflow run (`drift-<snapshot_id>`) has the same files, for people.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from airflow_champion import settings
from airflow_champion.data import layout, snapshots
from airflow_champion.data.storage import open_store
from airflow_champion.monitoring.evidently_adapter import compare_with_verdict, evidently_report
from airflow_champion.monitoring.report import (
    EVIDENTLY_HTML,
    VERDICT_HTML,
    VERDICT_JSON,
    evidently_unavailable,
    render_verdict_html,
)
from airflow_champion.registry import tags, tracking
from airflow_champion.reports.jsonsafe import dumps

if TYPE_CHECKING:
    import pandas as pd
    from mlflow.tracking import MlflowClient

    from airflow_champion.config import ModelConfig

log = logging.getLogger(__name__)


def run_evidently(
    cfg: ModelConfig, reference: pd.DataFrame, current: pd.DataFrame, drift: dict[str, Any]
) -> tuple[str, dict[str, Any]]:
    """Evidently's HTML (on the verdict's rows unless `drift.report_rows` says fewer) and how its
    per-column verdicts compare with ours (`agreement`), or a page with its error: the verdict must
    not depend on it. `drift` is compute_drift's own result (its `sampled` says which rows it saw)."""
    try:
        page, summary = evidently_report(reference, current, max_rows=cfg.drift.evidently_rows, cfg=cfg)
    except Exception as exc:  # Evidently's internals raise many types
        error = f"{type(exc).__name__}: {exc}"[:2000]
        log.warning("%s: Evidently report failed, the verdict stands without it: %s", cfg.name, error)
        return evidently_unavailable(cfg.name, error), {"status": "error", "error": error}
    summary["agreement"] = compare_with_verdict(summary, drift)
    return page, {"status": "ok", **summary}


def write_pages(cfg: ModelConfig, verdict: dict[str, Any], evidently_html: str) -> dict[str, str]:
    """Write the HTML pages next to the snapshot, fill their URIs; returns {file name: page}."""
    root, sid = cfg.snapshot_root(), verdict["snapshot_id"]
    pages = {EVIDENTLY_HTML: evidently_html, VERDICT_HTML: render_verdict_html(verdict)}
    verdict["report_uri"] = snapshots.write_report(root, sid, EVIDENTLY_HTML, evidently_html)
    verdict["verdict_uri"] = snapshots.write_report(root, sid, VERDICT_HTML, pages[VERDICT_HTML])
    verdict["verdict_json_uri"] = open_store(root).uri(layout.report(sid, VERDICT_JSON))
    return pages


def _run_tags(cfg: ModelConfig, verdict: dict[str, Any]) -> dict[str, str]:
    return tags.prefixed(
        {
            "kind": "drift",
            "model": cfg.name,
            "snapshot_id": verdict["snapshot_id"],
            "snapshot_sha256": verdict["snapshot_sha256"],
            "champion_version": verdict["champion_version"],
            "drifted": str(bool(verdict["drifted"])).lower(),
            "config_hash": cfg.config_hash,
            "code_version": settings.code_version(),
            **verdict["lineage"],
        }
    )


def _run_metrics(verdict: dict[str, Any]) -> dict[str, float]:
    values: dict[str, Any] = {
        "share_drifted": verdict["share_drifted"],
        "n_drifted": verdict["n_drifted"],
        "n_features": verdict["n_features"],
        "drifted": float(bool(verdict["drifted"])),
        "max_effect_size": verdict["overall"].get("max_effect_size"),
        "rows_reference": verdict["rows"]["reference"],
        "rows_current": verdict["rows"]["current"],
        **{f"seconds_{k}": v for k, v in (verdict.get("timings") or {}).items()},
    }
    for key in ("prediction_drift", "target_drift"):
        d = verdict.get(key) or {}
        values[f"{key}_statistic"] = d.get("statistic")
        values[f"{key}_effect_size"] = d.get("effect_size")
        if d.get("status") == "ok":
            values[f"{key}_drifted"] = float(bool(d.get("drifted")))
    return {k: float(v) for k, v in values.items() if v is not None}


def record_run(
    cfg: ModelConfig, client: MlflowClient, verdict: dict[str, Any], pages: dict[str, str]
) -> None:
    """One MLflow run per computed verdict (fills run_id/run_url in place), with the three files."""
    import tempfile
    from pathlib import Path

    from mlflow.entities import Metric, Param

    exp_id = tracking.ensure_experiment(cfg)
    run = client.create_run(exp_id, run_name=f"drift-{verdict['snapshot_id']}", tags=_run_tags(cfg, verdict))
    run_id = run.info.run_id
    verdict.update(run_id=run_id, experiment_id=exp_id, run_url=tracking.run_url(exp_id, run_id))
    try:
        now = int(datetime.now(UTC).timestamp() * 1000)
        params = {"engine": verdict["engine"], **verdict["settings"]}
        client.log_batch(
            run_id,
            metrics=[Metric(k, v, now, 0) for k, v in _run_metrics(verdict).items()],
            params=[Param(k, str(v)) for k, v in params.items()],
        )
        with tempfile.TemporaryDirectory() as tmp:
            for name, text in {**pages, VERDICT_JSON: dumps(verdict)}.items():
                (Path(tmp) / name).write_text(text, encoding="utf-8")
            client.log_artifacts(run_id, tmp)
    except Exception:
        client.set_terminated(run_id, status="FAILED")
        raise
    client.set_terminated(run_id, status="FINISHED")


def tag_champion(cfg: ModelConfig, client: MlflowClient, verdict: dict[str, Any]) -> None:
    """`mlops.last_drift_check` on the champion version, for the registry UI; never moves back in time."""
    name, version, sid = cfg.registered_model_name, str(verdict["champion_version"]), verdict["snapshot_id"]
    previous = tags.read(client.get_model_version(name, version), tags.LAST_DRIFT_CHECK)
    try:
        previous_sid = str(json.loads(previous)["snapshot_id"]) if previous else ""
    except (ValueError, TypeError, KeyError):
        previous_sid = ""
    if previous_sid > sid:
        return
    value = {
        "snapshot_id": sid,
        "drifted": bool(verdict["drifted"]),
        "share_drifted": verdict["share_drifted"],
        "run_id": verdict["run_id"],
        "at": verdict["computed_at"],
    }
    tags.write(client, cfg, version, {tags.LAST_DRIFT_CHECK: dumps(value, compact=True)})


def write_verdict_json(cfg: ModelConfig, verdict: dict[str, Any]) -> None:
    """Last: the verdict's presence tells the sensor that the pages and the run exist."""
    snapshots.write_report(cfg.snapshot_root(), verdict["snapshot_id"], VERDICT_JSON, dumps(verdict))
