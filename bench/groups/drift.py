"""Drift: our engine vs Evidently's DataDriftPreset on the same data, through bench/drift_agreement.py
(every engine run a fresh worker process; it refuses to publish a run that sampled rows).

* agreement: churn's five scenarios (verdicts per feature and per dataset, time, peak memory);
* wide: synthetic data of 21, 200 and 1,000 columns (`none` and `strong`), the size targets.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from harness import BENCH, BIN, Scale, fits_in_memory, log, measure

SCRIPT = BENCH / "drift_agreement.py"
WIDE_BYTES_PER_CELL = 0.75 * 4 + 0.25 * 1
"""In-memory bytes of one cell of drift_agreement.wide_frame: 3 in 4 columns float32, 1 in 4 categorical."""


def _agreement_run(rows: int, wide: int, env: dict[str, str], scenarios: str, engines: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-drift-") as tmp:
        out = Path(tmp) / "drift.json"
        cmd = [str(BIN / "python"), str(SCRIPT), "--rows", str(rows), "--out", str(out)]
        cmd += ["--engines", engines]
        if wide:
            cmd += ["--wide", str(wide)]
        else:
            cmd += ["--scenarios", scenarios]
        measure(cmd, env=env, timeout_s=4 * 3600).check()
        return dict(json.loads(out.read_text()))


def _figures(doc: dict[str, Any], label: str, cols: int) -> tuple[dict[str, Any], dict[str, Any]]:
    figures: dict[str, Any] = {}
    comparisons: dict[str, Any] = {}
    rows = doc["rows"]
    for scen, entry in doc["scenarios"].items():
        for engine, cost in entry["cost"].items():
            figures[f"drift_{label}_{engine}_{scen}"] = {
                "median_s": cost["seconds"],
                "runs": [cost["seconds"]],
                "cpu_s": cost["cpu_seconds"],
                "peak_rss_mb": cost["peak_rss_mb"],
                "peak_rss_growth_mb": cost["peak_rss_growth_mb"],
                "rows": rows,
                "cols": cols,
                "engine": engine,
                "scenario": scen,
                "dataset_drifted": entry["dataset_verdict"][engine],
            }
        for ours in ("ours", "ours_full"):
            if "evidently" not in entry["cost"] or ours not in entry["cost"]:
                continue
            ev, us = entry["cost"]["evidently"], entry["cost"][ours]
            agree = entry.get("agreement", {}).get(f"{ours}_vs_evidently", {})
            comparisons[f"drift_evidently_over_{ours}_{label}_{scen}"] = {
                "ratio_of_medians": round(ev["seconds"] / us["seconds"], 2) if us["seconds"] else None,
                "memory_growth_ratio": round(
                    ev["peak_rss_growth_mb"] / max(us["peak_rss_growth_mb"], 1.0), 2
                ),
                "dataset_verdict_same": agree.get("dataset_verdict_same"),
                "features_same_verdict": "{}/{}".format(
                    agree.get("features_same_verdict"), agree.get("features_compared")
                ),
                "rows": rows,
                "cols": cols,
                "engine": ours,
            }
    return figures, comparisons


def run(scale: Scale, repeat: int, env: dict[str, str]) -> dict[str, Any]:
    """One timed call per engine and scenario (drift_agreement's own design); `repeat` is not applied:
    each Evidently worker at 1M rows is minutes of import and run."""
    figures: dict[str, Any] = {}
    comparisons: dict[str, Any] = {}
    skipped: dict[str, str] = {}
    failed: dict[str, str] = {}
    jobs = [("churn", scale.drift_agreement_rows, 0, 14)] if scale.drift_agreement_rows else []
    jobs += [(f"wide{c}", r, c, c) for r, c in scale.drift_sizes]
    for label, rows, wide, cols in jobs:
        # rough peaks from the 1M x 13 churn run: ours ~2x both frames, Evidently ~9x (+ imports);
        # the wide data is 3/4 float32 and 1/4 one-byte categorical codes (drift_agreement.wide_frame)
        # and its generating process holds the reference and both scenarios: 3 frames
        frames_mb = rows * cols * (WIDE_BYTES_PER_CELL if wide else 8) * 2 / 2**20
        why = fits_in_memory((1.5 if wide else 2) * frames_mb + 800)
        if why:
            skipped[f"{label}_{rows}"] = why
            continue
        # `ours` is the engine as configured (bounded: at most drift.max_rows rows a side, sampled);
        # `ours_full` reads every row. Both are judged against Evidently (which reads every row).
        engines = "ours,ours_full,evidently"
        why_ev = fits_in_memory(9 * frames_mb + 1200)
        if why_ev:
            skipped[f"{label}_{rows}_evidently"] = why_ev
            engines = engines.replace(",evidently", "")
        log(f"drift {label}: {rows} rows x {cols} columns ({engines})")
        try:
            doc = _agreement_run(rows, wide, env, scale.drift_scenarios, engines)
        except Exception as exc:  # one size out of memory or time must not lose the others' numbers
            failed[f"{label}_{rows}"] = f"{type(exc).__name__}: {exc}"[-2000:]
            log(f"drift {label}: failed ({type(exc).__name__})")
            continue
        f, c = _figures(doc, f"{label}_{rows}", cols)
        figures.update(f)
        comparisons.update(c)
    return {"figures": figures, "comparisons": comparisons, "skipped": skipped, "failed": failed}


def targets(result: dict[str, Any]) -> list[dict[str, Any]]:
    """Judged on the engine as configured (`ours`: bounded, sampled with the documented noise floor,
    monitoring/sampling.py); the every-row engine's figures are given beside it."""
    out: list[dict[str, Any]] = []
    comps = result["comparisons"]

    def at_1m_21(engine: str) -> list[dict[str, Any]]:
        return [
            v
            for v in comps.values()
            if v["rows"] >= 1_000_000 and v["cols"] == 21 and v.get("engine") == engine
        ]

    measured: dict[str, Any] = {}
    for engine, label in (("ours", "bounded"), ("ours_full", "every_row")):
        found = at_1m_21(engine)
        ratios = [v["ratio_of_medians"] for v in found if v["ratio_of_medians"]]
        measured[f"{label}_slowest_speedup"] = min(ratios, default=None)
        measured[f"{label}_verdicts_same"] = all(v["dataset_verdict_same"] for v in found) if found else None
    speed = measured["bounded_slowest_speedup"]
    out.append(
        {
            "target": "drift >= 50x faster than Evidently at 1M x 21, same verdicts",
            "measured": measured,
            "met": speed is not None and speed >= 50 and bool(measured["bounded_verdicts_same"]),
        }
    )
    wide = {
        engine: [
            f["median_s"]
            for f in result["figures"].values()
            if f["engine"] == engine and f["cols"] >= 1000 and f["rows"] >= 1_000_000
        ]
        for engine in ("ours", "ours_full")
    }
    worst = max(wide["ours"], default=None)
    out.append(
        {
            "target": "drift of 1,000 columns x 1M rows < 60 s",
            "measured": {"bounded_s": worst, "every_row_s": max(wide["ours_full"], default=None)},
            "met": worst is not None and worst < 60,
        }
    )
    return out
