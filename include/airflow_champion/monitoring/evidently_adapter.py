"""Evidently 0.7 behind one function: its DataDriftPreset on a bounded sample, and its verdicts.

Evidently renders the human-facing drift page; our verdict does not depend on it (monitoring.engine).
Its per-column verdicts are parsed from the snapshot JSON so tests and benchmarks can compare the two.
On the same rows they agree (same test, same statistic); on different rows they need not: a distance
on 5,000 rows carries more sampling noise than on 200,000 (monitoring.sampling.js_noise_floor), so the
summary says which rows Evidently saw per column and `compare_with_verdict` says whether they are ours.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow_champion.monitoring.sampling import js_noise_floor, sample_frame
from airflow_champion.monitoring.statistics import (
    DISPLAY_NAMES,
    LARGE_SAMPLE_ROWS,
    P_VALUE_METHODS,
    category_labels,
)
from airflow_champion.reports.jsonsafe import to_jsonable

if TYPE_CHECKING:
    import pandas as pd

    from airflow_champion.config import ModelConfig

_BY_DISPLAY_NAME = {v: k for k, v in DISPLAY_NAMES.items()}
_COMPARED = ("method", "statistic", "drifted", "n_ref", "n_cur", "noise_floor")


def _evidently_frames(
    reference: pd.DataFrame, current: pd.DataFrame, cfg: ModelConfig | None
) -> tuple[pd.DataFrame, pd.DataFrame, list[str], list[str], dict[str, str]]:
    """Feature columns Evidently can test, cleaned so that it does not raise on them.

    Evidently raises on a column with no finite value and sorts categories (mixed types fail), so
    such columns are dropped (and reported) and categories become the labels our statistics count
    (statistics.category_labels: by value, so 3 and 3.0 stay one category, as Evidently's `==` has it).
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
        r, k = category_labels(reference[c], current[c])
        if r.notna().any() and k.notna().any():
            ref_out[c], cur_out[c] = r, k
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


def _thresholds(cfg: ModelConfig, ref: pd.DataFrame, num: list[str], cat: list[str]) -> dict[str, float]:
    """Config thresholds for the columns Evidently tests with a distance (> 1000 non-null reference
    rows); the others keep its p-value tests at 0.05, as ours do (a global cat/num threshold would
    also become the p-value cut of a column whose nulls leave <= 1000 rows)."""
    spec, out = cfg.drift, {}
    for cols, thr in ((num, spec.numeric_threshold), (cat, spec.categorical_threshold)):
        out.update({c: thr for c in cols if int(ref[c].notna().sum()) > LARGE_SAMPLE_ROWS})
    return out


def _rows_seen(ref: pd.DataFrame, cur: pd.DataFrame, cat: list[str], columns: dict[str, Any]) -> None:
    """Per column the rows Evidently tested (nulls and +-inf dropped) and, for Jensen-Shannon on
    categories, the distance sampling alone gives at those sizes."""
    import pandas as pd

    for c, col in columns.items():
        col["n_ref"], col["n_cur"] = int(ref[c].notna().sum()), int(cur[c].notna().sum())
        if c in cat and col["method"] == "jensenshannon":
            k = int(pd.concat([ref[c], cur[c]]).nunique())
            col["noise_floor"] = js_noise_floor(k, col["n_ref"], col["n_cur"])


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
    cfg.drift.share_drifted_features, and distance thresholds follow the config for the columns large
    enough for Evidently to use distances (the others keep its p-value tests at 0.05). Rows are
    sampled as compute_drift samples them: with its max_rows and seed, Evidently sees the same rows.
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
        kwargs["per_column_threshold"] = _thresholds(cfg, ref_e, num, cat) or None
    report = Report([DataDriftPreset(**kwargs)], include_tests=True)
    snapshot = report.run(
        Dataset.from_pandas(cur_e, data_definition=definition),  # current first
        Dataset.from_pandas(ref_e, data_definition=definition),
    )
    summary = parse_evidently_snapshot(json.loads(snapshot.json()))
    _rows_seen(ref_e, cur_e, cat, summary["columns"])
    summary["skipped"] = skipped
    summary["sampled"] = {"max_rows": max_rows, "seed": seed, "reference": ref_info, "current": cur_info}
    return snapshot, to_jsonable(summary)


def _same_rows(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Whether two `sampled` records (engine's, adapter's) name the same rows of the same frames."""
    for side in ("reference", "current"):
        x, y = a.get(side) or {}, b.get(side) or {}
        if x.get("used") != y.get("used") or x.get("rows") != y.get("rows"):
            return False
        if x.get("sampled") and (a.get("max_rows"), a.get("seed")) != (b.get("max_rows"), b.get("seed")):
            return False
    return True


def compare_with_verdict(summary: dict[str, Any], drift: dict[str, Any]) -> dict[str, Any]:
    """Evidently's summary against compute_drift's result, per column; `same_rows` says whether a
    disagreement can be a bug (same rows) or is sampling (see each side's n and noise_floor)."""
    columns: dict[str, Any] = {}
    for c, ev in summary.get("columns", {}).items():
        ours = drift.get("features", {}).get(c)
        if ours is None or ours.get("status") != "ok":
            continue
        columns[c] = {
            "agree": ours["drifted"] == ev["drifted"],
            "ours": {
                k: ours.get(k) for k in ("method", "statistic", "drifted", "n_ref", "n_cur", "noise_floor")
            },
            "evidently": {
                k: ev.get(k) for k in ("method", "statistic", "drifted", "n_ref", "n_cur", "noise_floor")
            },
        }
    return {
        "same_rows": _same_rows(summary.get("sampled", {}), drift.get("sampled", {})),
        "n_columns": len(columns),
        "n_agree": sum(v["agree"] for v in columns.values()),
        "disagree": sorted(c for c, v in columns.items() if not v["agree"]),
        "columns": columns,
    }


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
