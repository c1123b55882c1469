"""Recording a verdict: one MLflow evaluation run (numbers, verdict.json, report.html, plots) and the
verdict tags on the challenger version."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from airflow_champion.evaluation.plots import plots_for
from airflow_champion.evaluation.report import render_report_html
from airflow_champion.registry import tags, tracking
from airflow_champion.reports.jsonsafe import dumps
from airflow_champion.tasks import get_task

if TYPE_CHECKING:
    import numpy as np

    from airflow_champion.config import ModelConfig


def class_names(cfg: ModelConfig) -> list[str]:
    """Names of the classes in code order: the declared labels (multiclass) or 0/1 (binary)."""
    if cfg.data.labels:
        return [str(v) for v in cfg.data.labels]
    return ["0", "1"]


def _key_filter(cfg: ModelConfig, snapshot_sha256: str, challenger: int, champion: int | None) -> str:
    fields = {
        "kind": "evaluation",
        "snapshot_sha256": snapshot_sha256,
        "challenger_version": str(challenger),
        "champion_version": "none" if champion is None else str(champion),
        "config_hash": cfg.config_hash,
    }
    conditions = [f"tags.`{tags.key(k)}` = '{v}'" for k, v in fields.items()]
    return " and ".join([*conditions, "attributes.status = 'FINISHED'"])


def find_recorded_verdict(
    cfg: ModelConfig, snapshot_sha256: str, challenger: int, champion: int | None
) -> dict[str, Any] | None:
    """The verdict an earlier, finished evaluation of the same question recorded (same data,
    challenger, champion and config), so a retried or re-run evaluation returns it instead of
    judging again and recording a second run."""
    import json

    c = tracking.client()
    exp_id = tracking.ensure_experiment(cfg)
    runs = c.search_runs(
        [exp_id],
        filter_string=_key_filter(cfg, snapshot_sha256, challenger, champion),
        order_by=["attributes.start_time DESC"],
        max_results=1,
    )
    if not runs:
        return None
    try:
        with tempfile.TemporaryDirectory() as tmp:
            path = c.download_artifacts(runs[0].info.run_id, "verdict.json", tmp)
            verdict = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):  # a run without its verdict file: judge again
        return None
    return verdict if isinstance(verdict, dict) else None


def record_verdict(
    cfg: ModelConfig,
    verdict: dict[str, Any],
    y: np.ndarray,
    p_ch: np.ndarray,
    p_cp: np.ndarray | None,
    *,
    tag_version: bool,
) -> None:
    """One MLflow run per evaluation (fills eval_run_id/report_uri in place) + challenger version tags.

    When the challenger already is the champion its version is not tagged: a `reject` there would
    overwrite the verdict that made it champion.
    """
    c = tracking.client()
    exp_id = tracking.ensure_experiment(cfg)
    cv = verdict["champion_version"]
    run = c.create_run(
        exp_id,
        run_name=f"evaluate-v{verdict['challenger_version']}",
        tags={
            tags.key("kind"): "evaluation",
            tags.key("model"): cfg.name,
            tags.key("snapshot_id"): verdict["snapshot_id"],
            tags.key("challenger_version"): str(verdict["challenger_version"]),
            tags.key("champion_version"): "none" if cv is None else str(cv),
            tags.key("decision"): verdict["decision"],
            tags.key("config_hash"): cfg.config_hash,
            **(
                {tags.key("snapshot_sha256"): verdict["snapshot_sha256"]}
                if verdict.get("snapshot_sha256")
                else {}
            ),
        },
    )
    run_id = run.info.run_id
    verdict["eval_run_id"] = run_id
    verdict["eval_run_url"] = tracking.run_url(str(exp_id), run_id)
    verdict["report_uri"] = f"{run.info.artifact_uri.rstrip('/')}/report.html"
    try:
        from mlflow.entities import Metric, Param

        now = int(datetime.now(UTC).timestamp() * 1000)
        values: dict[str, float | None] = {
            "diff": verdict["diff"],
            "rel_gain": verdict["rel_gain"],
            "ci_low": verdict["ci_low"],
            "ci_high": verdict["ci_high"],
            "holdout_rows": float(verdict["holdout_rows"]),
        }
        for side in ("challenger", "champion"):
            for k, v in (verdict[f"{side}_scores"] or {}).items():
                values[f"{side}_{k}"] = v
        params = {
            "metric": verdict["metric"],
            "direction": verdict["direction"],
            "floor": cfg.promotion.floor,
            "min_abs_gain": cfg.promotion.min_abs_gain,
            "min_rel_gain": cfg.promotion.min_rel_gain,
            "significance": cfg.promotion.significance,
            "bootstrap_samples": cfg.promotion.bootstrap_samples,
        }
        c.log_batch(
            run_id,
            metrics=[Metric(k, float(v), now, 0) for k, v in values.items() if v is not None],
            params=[Param(k, str(v)) for k, v in params.items()],
        )
        plots = plots_for(get_task(cfg.task), y, p_ch, p_cp, verdict, class_names(cfg))
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp)
            for fname, png in plots.items():
                (out / fname).write_bytes(png)
            (out / "verdict.json").write_text(dumps(verdict))
            (out / "report.html").write_text(render_report_html(verdict, plots), encoding="utf-8")
            c.log_artifacts(run_id, tmp)
        if tag_version:
            verdict_tags = {
                tags.VERDICT: verdict["decision"],
                tags.VERDICT_CHAMPION: "none" if cv is None else str(cv),
                tags.EVAL_RUN_ID: run_id,
            }
            tags.write(c, cfg, verdict["challenger_version"], verdict_tags)
    except Exception:
        c.set_terminated(run_id, status="FAILED")
        raise
    c.set_terminated(run_id, status="FINISHED")
