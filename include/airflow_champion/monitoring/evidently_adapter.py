"""Evidently 0.7 behind one function: its DataDriftPreset on a bounded sample, and its verdicts.

Evidently renders the human-facing drift page; our verdict does not depend on it (monitoring.engine).
Its per-column verdicts are parsed from the snapshot JSON so tests and benchmarks can compare the two.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow_champion.monitoring.sampling import sample_frame
from airflow_champion.monitoring.statistics import DISPLAY_NAMES, LARGE_SAMPLE_ROWS, P_VALUE_METHODS
from airflow_champion.reports.jsonsafe import to_jsonable

if TYPE_CHECKING:
    import pandas as pd

    from airflow_champion.config import ModelConfig

_BY_DISPLAY_NAME = {v: k for k, v in DISPLAY_NAMES.items()}


def _evidently_frames(
    reference: pd.DataFrame, current: pd.DataFrame, cfg: ModelConfig | None
) -> tuple[pd.DataFrame, pd.DataFrame, list[str], list[str], dict[str, str]]:
    """Feature columns Evidently can test, cleaned so that it does not raise on them.

    Evidently raises on a column with no finite value and sorts categories (mixed types fail), so
    such columns are dropped (and reported) and non-string categories become strings.
    """
    import numpy as np
    import pandas as pd

    if cfg is not None:
        num = [c for c in cfg.data.numeric if c in reference.columns and c in current.columns]
        cat = [c for c in cfg.data.categorical if c in reference.columns and c in current.columns]
    else:
        cols = [c for c in reference.columns if c in current.columns]
        num = [c for c in cols if pd.api.types.is_numeric_dtype(reference[c]) and reference[c].nunique() > 5]
        cat = [c for c in cols if c not in num]
    skipped: dict[str, str] = {}
    ref_out: dict[str, pd.Series] = {}
    cur_out: dict[str, pd.Series] = {}
    for c in num:
        r = pd.to_numeric(reference[c], errors="coerce").replace([np.inf, -np.inf], np.nan)
        k = pd.to_numeric(current[c], errors="coerce").replace([np.inf, -np.inf], np.nan)
        if r.notna().any() and k.notna().any():
            ref_out[c], cur_out[c] = r, k
        else:
            skipped[c] = "no finite value on one side"
    for c in cat:
        r, k = reference[c], current[c]
        if r.notna().any() and k.notna().any():
            conv = [
                s
                if pd.api.types.infer_dtype(s, skipna=True) == "string"
                else s.astype(str).where(s.notna(), np.nan)
                for s in (r, k)
            ]
            ref_out[c], cur_out[c] = conv[0], conv[1]
        else:
            skipped[c] = "no value on one side"
    num = [c for c in num if c in ref_out]
    cat = [c for c in cat if c in ref_out]
    return pd.DataFrame(ref_out), pd.DataFrame(cur_out), num, cat, skipped


def parse_evidently_snapshot(snapshot_json: dict[str, Any]) -> dict[str, Any]:
    """Per-column {drifted, statistic, method, threshold} and the share from Evidently's snapshot JSON."""
    tests_by_metric: dict[str, str] = {}
    dataset_status = None
    for t in snapshot_json.get("tests", []):
        mid = t.get("metric_config", {}).get("metric_id")
        if t.get("id") == "drift" and mid:
            tests_by_metric[mid] = t.get("status", "")
        elif t.get("metric_config", {}).get("params", {}).get("type", "").endswith("DriftedColumnsCount"):
            dataset_status = t.get("status")
    columns: dict[str, dict[str, Any]] = {}
    share = count = drift_share = None
    for m in snapshot_json.get("metrics", []):
        conf = m.get("config", {})
        kind = conf.get("type", "")
        if kind.endswith("DriftedColumnsCount"):
            share, count = m["value"].get("share"), m["value"].get("count")
            drift_share = conf.get("drift_share")
        elif kind.endswith("ValueDrift"):
            display = conf.get("method") or ""
            method = _BY_DISPLAY_NAME.get(display, display)
            stat, thr = m.get("value"), conf.get("threshold")
            if m.get("id") in tests_by_metric:
                drifted = tests_by_metric[m["id"]] == "FAIL"
            elif method in P_VALUE_METHODS:
                drifted = stat <= thr if method == "ks" else stat < thr
            else:
                drifted = stat >= thr
            columns[conf["column"]] = {
                "drifted": bool(drifted),
                "statistic": stat,
                "method": method,
                "threshold": thr,
            }
    if share is None and columns:
        share = sum(c["drifted"] for c in columns.values()) / len(columns)
    drift_share = 0.5 if drift_share is None else drift_share
    dataset_drifted = (
        dataset_status == "FAIL" if dataset_status else share is not None and share >= drift_share
    )
    return {
        "columns": columns,
        "share": share,
        "n_drifted": int(count) if count is not None else sum(c["drifted"] for c in columns.values()),
        "drift_share": drift_share,
        "drifted": bool(dataset_drifted),
    }


def evidently_snapshot(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    *,
    max_rows: int,
    seed: int = 0,
    cfg: ModelConfig | None = None,
) -> tuple[Any, dict[str, Any]]:
    """Run Evidently's DataDriftPreset on at most max_rows sampled rows per side; (snapshot, summary).

    With cfg, column types come from the config (DataDefinition), the dataset rule uses
    cfg.drift.share_drifted_features, and distance thresholds follow the config when the sample is large
    enough for Evidently to use distances (below that it keeps its p-value tests at 0.05).
    """
    import json

    from evidently import DataDefinition, Dataset, Report
    from evidently.presets import DataDriftPreset

    ref_s, ref_info = sample_frame(reference, max_rows, seed)
    cur_s, cur_info = sample_frame(current, max_rows, seed + 1)
    ref_e, cur_e, num, cat, skipped = _evidently_frames(ref_s, cur_s, cfg)
    definition = DataDefinition(numerical_columns=num, categorical_columns=cat)
    kwargs: dict[str, Any] = {}
    if cfg is not None:
        kwargs["drift_share"] = cfg.drift.share_drifted_features
        if ref_info["used"] > LARGE_SAMPLE_ROWS:
            kwargs["num_threshold"] = cfg.drift.numeric_threshold
            kwargs["cat_threshold"] = cfg.drift.categorical_threshold
    report = Report([DataDriftPreset(**kwargs)], include_tests=True)
    snapshot = report.run(
        Dataset.from_pandas(cur_e, data_definition=definition),  # current first
        Dataset.from_pandas(ref_e, data_definition=definition),
    )
    summary = parse_evidently_snapshot(json.loads(snapshot.json()))
    summary["skipped"] = skipped
    summary["sampled"] = {"max_rows": max_rows, "seed": seed, "reference": ref_info, "current": cur_info}
    return snapshot, to_jsonable(summary)


def evidently_report(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    *,
    max_rows: int,
    seed: int = 0,
    cfg: ModelConfig | None = None,
) -> tuple[str, dict[str, Any]]:
    """Evidently's drift HTML on a bounded sample (cost independent of snapshot size) + its verdicts."""
    snapshot, summary = evidently_snapshot(reference, current, max_rows=max_rows, seed=seed, cfg=cfg)
    return snapshot.get_html_str(as_iframe=False), summary
