"""Agreement and cost of our drift engine against Evidently 0.7's DataDriftPreset.

For each scenario (none, mild, strong, categorical, concept) the reference is clean churn data
(``airflow_champion_demo.datagen.generate_churn``, seed 101) and the current data is seed 202 with
that drift, both ``--rows`` rows. The data is written once as Parquet; every engine run is a fresh
subprocess that loads it, imports everything, and only then measures one call:

* ``ours``       - ``monitoring.engine.compute_drift`` as configured: above cfg.drift.max_rows (200k) rows
                   per side it tests a uniform sample of that size (the production hourly check)
* ``ours_full``  - the same engine with max_rows = rows: every row, the algorithm alone
* ``evidently``  - ``monitoring.evidently_adapter.evidently_snapshot`` (Evidently's DataDriftPreset)
                   with max_rows = rows: every row, column types from the config, drift_share from
                   the config

Cost of one call: wall seconds, CPU seconds, and the peak resident memory of the worker process during
the call (the kernel's high-water mark VmHWM, reset just before the call via /proc/self/clear_refs, so
it is exact and not masked by loading the data). ``peak_rss_growth_mb`` = that peak minus the RSS just
before the call (data already loaded): the engine's own footprint. ``--tracemalloc`` adds a second run
per engine under tracemalloc (peak of traced Python/numpy/pandas allocations; slows Evidently ~2.5x).

Usage::

    .venv/bin/python bench/drift_agreement.py --rows 100000 --out bench/results/drift_100k.json
    nohup .venv/bin/python bench/drift_agreement.py --rows 1000000 \\
        --out bench/results/drift_1m.json > /tmp/drift_1m.log 2>&1 &

See bench/README.md for the JSON fields.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

SCENARIOS = ("none", "mild", "strong", "categorical", "concept")
ENGINES = ("ours", "ours_full", "evidently")
SEED_REF, SEED_CUR = 101, 202
MB = 2**20


# ------------------------------------------------------------------------------------------ data


WIDE_SCENARIOS = ("none", "strong")


def wide_frame(rows: int, cols: int, seed: int, drift: str) -> pd.DataFrame:
    """`cols - 1` features (3 in 4 numeric, the rest categorical with 5 levels) and a binary target `y`:
    the wide data churn's 13 features do not cover. `strong` shifts every other numeric column by 0.5 sd
    and skews every other categorical one."""
    rng = np.random.default_rng(seed)
    n_feat = cols - 1
    n_cat = n_feat // 4
    data: dict[str, Any] = {}
    for i in range(n_feat - n_cat):
        x = rng.normal(0.0, 1.0, rows).astype("float32")
        data[f"x{i:04d}"] = x + 0.5 if drift == "strong" and i % 2 == 0 else x
    levels = np.array(["a", "b", "c", "d", "e"])
    for i in range(n_cat):
        p = [0.6, 0.1, 0.1, 0.1, 0.1] if drift == "strong" and i % 2 == 0 else None
        data[f"c{i:04d}"] = pd.Categorical(rng.choice(levels, rows, p=p), categories=levels)
    data["y"] = rng.integers(0, 2, rows)
    return pd.DataFrame(data)


def wide_config(sample: pd.DataFrame, cols: int, config_dir: Path) -> str:
    """A config for the wide data from `mlops init` (types, categories and ranges inferred), in
    `config_dir`, which the workers get as MLOPS_CONFIG_DIR; returns the model name."""
    name = f"wide{cols}"
    src = config_dir / f"{name}-sample.parquet"
    sample.to_parquet(src)
    env = {**os.environ, "MLOPS_CONFIG_DIR": str(config_dir)}
    mlops = Path(sys.executable).parent / "mlops"
    cmd = [str(mlops), "init", name, "--from", str(src), "--target", "y", "--task", "binary", "--json"]
    subprocess.run(cmd, env=env, check=True, capture_output=True)
    os.environ["MLOPS_CONFIG_DIR"] = str(config_dir)
    return name


def generate(rows: int, seed: int, drift: str, wide: int = 0) -> pd.DataFrame:
    from airflow_champion_demo.datagen import generate_churn

    if wide:
        return wide_frame(rows, wide, seed, drift)

    df = generate_churn(rows, seed, drift=drift)
    if len(df) != rows:
        raise RuntimeError(f"generate_churn returned {len(df)} rows, asked {rows}")
    return df


def champion_scores(cfg: Any, ref: pd.DataFrame, curs: dict[str, pd.DataFrame]) -> dict[str, Any]:
    """Fit a stand-in champion on part of the reference; its scores on both sides, and ROC AUC per side.

    Concept drift leaves X (and so the scores) unchanged: it only shows in the labels and in the AUC.
    """
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.metrics import roc_auc_score

    feats, target = cfg.data.feature_names, cfg.data.target

    def matrix(df: pd.DataFrame) -> pd.DataFrame:
        x = df[feats].copy()
        for f in cfg.data.features:
            if f.type == "categorical":
                x[f.name] = pd.Categorical(x[f.name], categories=f.allowed_values)
        return x

    n_train = min(30_000, len(ref) // 2)
    model = HistGradientBoostingClassifier(max_iter=100, categorical_features="from_dtype", random_state=0)
    model.fit(matrix(ref.iloc[:n_train]), ref[target].iloc[:n_train])
    ref_scores = model.predict_proba(matrix(ref))[:, 1]
    hold = slice(n_train, min(len(ref), n_train + 100_000))
    out: dict[str, Any] = {
        "reference": ref_scores,
        "auc": {"reference_holdout": float(roc_auc_score(ref[target].iloc[hold], ref_scores[hold]))},
        "current": {},
    }
    for name, cur in curs.items():
        s = model.predict_proba(matrix(cur))[:, 1]
        out["current"][name] = s
        out["auc"][name] = float(roc_auc_score(cur[target].iloc[:100_000], s[:100_000]))
    return out


# ---------------------------------------------------------------------------------------- worker


def _status_kb(field: str) -> int:
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise KeyError(field)


class PeakRss:
    """Peak resident memory of this process while a block runs.

    Preferred: reset the kernel's high-water mark (write "5" to /proc/self/clear_refs, Linux >= 4.0) and
    read VmHWM afterwards - exact, no sampling. Fallback: poll VmRSS every 5 ms (can miss short spikes).
    """

    def __init__(self) -> None:
        self.method = "VmHWM after reset via /proc/self/clear_refs (exact)"
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self.start_kb = self.peak_kb = _status_kb("VmRSS")

    def _poll(self) -> None:
        while not self._stop.is_set():
            self.peak_kb = max(self.peak_kb, _status_kb("VmRSS"))
            time.sleep(0.005)

    def __enter__(self) -> PeakRss:
        self.start_kb = self.peak_kb = _status_kb("VmRSS")
        try:
            with open("/proc/self/clear_refs", "w", encoding="ascii") as fh:
                fh.write("5")
            if _status_kb("VmHWM") > self.start_kb + 1024:  # reset did not take
                raise OSError("VmHWM not reset")
        except OSError:
            self.method = "VmRSS polled every 5 ms (clear_refs unavailable; may miss short spikes)"
            self._thread = threading.Thread(target=self._poll, daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._thread is not None:
            self._stop.set()
            self._thread.join()
            self.peak_kb = max(self.peak_kb, _status_kb("VmRSS"))
        else:
            self.peak_kb = _status_kb("VmHWM")


def _run_engine(
    engine: str, cfg: Any, ref: pd.DataFrame, cur: pd.DataFrame, ref_scores: Any, cur_scores: Any
) -> tuple[dict[str, Any], Any]:
    """The measured call: the whole engine from frames to a parsed verdict; (result, snapshot or None)."""
    from airflow_champion.monitoring.engine import compute_drift
    from airflow_champion.monitoring.evidently_adapter import evidently_snapshot

    rows = max(len(ref), len(cur))
    if engine == "evidently":
        snapshot, summary = evidently_snapshot(ref, cur, max_rows=rows, cfg=cfg)
        result = {
            "features": summary["columns"],
            "overall": {
                "drifted": summary["drifted"],
                "share_drifted": summary["share"],
                "n_drifted": summary["n_drifted"],
                "drift_share": summary["drift_share"],
            },
            "skipped": summary["skipped"],
            "sampled": summary["sampled"],
        }
        return result, snapshot
    if engine == "ours_full":
        cfg = cfg.model_copy(update={"drift": cfg.drift.model_copy(update={"max_rows": rows})})
    verdict = compute_drift(cfg, ref, cur, reference_scores=ref_scores, current_scores=cur_scores)
    keys = ("features", "overall", "prediction_drift", "target_drift", "sampled")
    return {k: verdict[k] for k in keys}, None


def _evidently_dataset_test(snapshot: Any) -> dict[str, Any] | None:
    """Evidently's own dataset-level test (share of drifted columns < drift_share), as it reported it."""
    for t in json.loads(snapshot.json()).get("tests", []):
        params = t.get("metric_config", {}).get("params", {})
        if str(params.get("type", "")).endswith("DriftedColumnsCount"):
            return {"name": t.get("name"), "description": t.get("description"), "status": t.get("status")}
    return None


def worker(engine: str, data_dir: Path, scenario: str, measure: str, model: str = "churn") -> dict[str, Any]:
    """One engine on one scenario, in a fresh process; returns its verdicts and its cost."""
    import airflow_champion.monitoring.engine  # noqa: F401
    from airflow_champion.config import load_config

    cfg = load_config(model)
    if engine == "evidently":  # imports outside the measured region
        import evidently
        import evidently.presets  # noqa: F401
    import scipy.spatial.distance
    import scipy.stats  # noqa: F401

    ref = pd.read_parquet(data_dir / "reference.parquet")
    cur = pd.read_parquet(data_dir / f"{scenario}.parquet")
    has_scores = (data_dir / "reference_scores.npy").exists()  # no champion for the wide data
    ref_scores = np.load(data_dir / "reference_scores.npy") if has_scores else None
    cur_scores = np.load(data_dir / f"{scenario}_scores.npy") if has_scores else None
    gc.collect()
    if measure == "tracemalloc":
        tracemalloc.start()
    ru0 = resource.getrusage(resource.RUSAGE_SELF)
    with PeakRss() as rss:
        t0 = time.perf_counter()
        result, snapshot = _run_engine(engine, cfg, ref, cur, ref_scores, cur_scores)
        elapsed = time.perf_counter() - t0
    ru1 = resource.getrusage(resource.RUSAGE_SELF)
    cost: dict[str, Any] = {}
    if measure == "tracemalloc":
        cost["tracemalloc_peak_mb"] = round(tracemalloc.get_traced_memory()[1] / MB, 1)
        cost["seconds_under_tracemalloc"] = round(elapsed, 3)
        tracemalloc.stop()
    else:
        cost["seconds"] = round(elapsed, 3)
        cost["cpu_seconds"] = round((ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime), 3)
        cost["rss_before_mb"] = round(rss.start_kb / 1024, 1)
        cost["peak_rss_mb"] = round(rss.peak_kb / 1024, 1)
        cost["peak_rss_growth_mb"] = round((rss.peak_kb - rss.start_kb) / 1024, 1)
        cost["memory_method"] = rss.method
        cost["loadavg_1min_after"] = round(os.getloadavg()[0], 2)
    if snapshot is not None:
        result["evidently_dataset_test"] = _evidently_dataset_test(snapshot)
    result["rows_in"] = {"reference": len(ref), "current": len(cur)}
    return {"engine": engine, "scenario": scenario, "measure": measure, "cost": cost, "result": result}


def run_worker(
    engine: str, data_dir: Path, scenario: str, measure: str, model: str = "churn"
) -> dict[str, Any]:
    out = data_dir / f"result-{engine}-{scenario}-{measure}.json"
    cmd = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--worker",
        engine,
        "--data",
        str(data_dir),
        "--scenario",
        scenario,
        "--measure",
        measure,
        "--result",
        str(out),
        "--model",
        model,
    ]
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"worker {engine}/{scenario}/{measure} failed:\n{proc.stderr[-4000:]}")
    return json.loads(out.read_text())  # type: ignore[no-any-return]


# ------------------------------------------------------------------------------------ comparison


def rows_used(engine: str, result: dict[str, Any]) -> dict[str, int]:
    """Rows each engine actually tested per side (from its own sampling report)."""
    s = result["sampled"]
    return {"reference": int(s["reference"]["used"]), "current": int(s["current"]["used"])}


def side_by_side(features: list[str], runs: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """feature -> type, and per engine: method, threshold, statistic, drifted."""
    out: dict[str, Any] = {}
    for name in features:
        row: dict[str, Any] = {}
        for e, r in runs.items():
            f = r["result"]["features"].get(name)
            if f is None:
                row[e] = None
                continue
            if "type" in f:
                row.setdefault("type", f["type"])
            row[e] = {
                "method": f.get("method"),
                "threshold": f.get("threshold"),
                "statistic": f.get("statistic"),
                "drifted": bool(f.get("drifted")),
            }
        ev = row.get("evidently")
        for e in ("ours", "ours_full"):
            mine = row.get(e)
            if mine and ev:
                a, b = mine["statistic"], ev["statistic"]
                row[f"{e}_minus_evidently"] = None if a is None or b is None else a - b
                row[f"{e}_agrees"] = mine["drifted"] == ev["drifted"] and mine["method"] == ev["method"]
        out[name] = row
    return out


def agreement(engine: str, table: dict[str, Any], runs: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """How `engine` agrees with Evidently: per-feature verdicts, methods, statistics, dataset verdict."""
    both = [n for n, row in table.items() if row.get(engine) and row.get("evidently")]
    same_verdict = [n for n in both if table[n][engine]["drifted"] == table[n]["evidently"]["drifted"]]
    same_method = [n for n in both if table[n][engine]["method"] == table[n]["evidently"]["method"]]
    diffs = [
        abs(table[n][f"{engine}_minus_evidently"])
        for n in both
        if table[n][f"{engine}_minus_evidently"] is not None
    ]
    ours_ds = runs[engine]["result"]["overall"]["drifted"]
    ev_ds = runs["evidently"]["result"]["overall"]["drifted"]
    return {
        "features_compared": len(both),
        "features_same_verdict": len(same_verdict),
        "share_same_verdict": round(len(same_verdict) / len(both), 4) if both else None,
        "features_same_method": len(same_method),
        "dataset_verdict_same": ours_ds == ev_ds,
        "max_abs_statistic_diff": max(diffs) if diffs else None,
        "disagreements": {
            n: {
                "method": [table[n][engine]["method"], table[n]["evidently"]["method"]],
                "threshold": table[n]["evidently"]["threshold"],
                engine: table[n][engine]["statistic"],
                "evidently": table[n]["evidently"]["statistic"],
                f"{engine}_drifted": table[n][engine]["drifted"],
                "evidently_drifted": table[n]["evidently"]["drifted"],
            }
            for n in both
            if n not in same_verdict or n not in same_method
        },
    }


def check_full_rows(engine: str, used: dict[str, int], rows: int) -> None:
    """ours_full and evidently must have tested every row; fail loudly rather than publish a sample."""
    if engine in ("ours_full", "evidently") and (used["reference"] != rows or used["current"] != rows):
        raise RuntimeError(f"{engine} tested {used} rows, expected all {rows} on each side")


# ------------------------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rows", type=int, default=100_000, help="rows of reference and of current")
    p.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "engine.json")
    p.add_argument("--scenarios", default=",".join(SCENARIOS))
    p.add_argument("--engines", default=",".join(ENGINES))
    p.add_argument("--tracemalloc", action="store_true", help="also run every engine under tracemalloc")
    p.add_argument("--worker", choices=ENGINES, help=argparse.SUPPRESS)
    p.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--scenario", help=argparse.SUPPRESS)
    p.add_argument("--measure", choices=["time", "tracemalloc"], default="time", help=argparse.SUPPRESS)
    p.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--model", default="churn", help=argparse.SUPPRESS)
    p.add_argument(
        "--wide", type=int, default=0, metavar="COLS", help="synthetic data of COLS columns instead of churn"
    )
    args = p.parse_args(argv)

    if args.worker:
        res = worker(args.worker, args.data, args.scenario, args.measure, args.model)
        args.result.write_text(json.dumps(res))
        return 0

    from airflow_champion.config import load_config

    known = WIDE_SCENARIOS if args.wide else SCENARIOS
    scenarios = [s for s in args.scenarios.split(",") if s and (s in WIDE_SCENARIOS or not args.wide)]
    engines = [e for e in args.engines.split(",") if e]
    for s in scenarios:
        if s not in known:
            p.error(f"unknown scenario {s!r}")
    for e in engines:
        if e not in ENGINES:
            p.error(f"unknown engine {e!r}")
    started = time.time()
    load_start = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="drift-bench-") as tmp:
        data_dir = Path(tmp)
        t0 = time.perf_counter()
        ref = generate(args.rows, SEED_REF, "none", args.wide)
        curs = {s: generate(args.rows, SEED_CUR, s, args.wide) for s in scenarios}
        gen_s = time.perf_counter() - t0
        model = wide_config(ref.head(5000), args.wide, data_dir) if args.wide else "churn"
        cfg = load_config(model)
        features: list[str] = list(cfg.data.feature_names)
        # a stand-in champion's scores add prediction drift for churn; the wide data has no champion
        scores: dict[str, Any] = champion_scores(cfg, ref, curs) if not args.wide else {"auc": None}
        ref.to_parquet(data_dir / "reference.parquet")
        if not args.wide:
            np.save(data_dir / "reference_scores.npy", scores["reference"])
        for s, cur in curs.items():
            cur.to_parquet(data_dir / f"{s}.parquet")
            if not args.wide:
                np.save(data_dir / f"{s}_scores.npy", scores["current"][s])
        columns = list(ref.columns)
        del ref, curs
        gc.collect()
        print(f"data: {args.rows} rows x {len(columns)} columns ({gen_s:.1f} s)", flush=True)

        per_scenario: dict[str, Any] = {}
        summary: list[dict[str, Any]] = []
        for s in scenarios:
            runs: dict[str, Any] = {}
            for e in engines:
                timed = run_worker(e, data_dir, s, "time", model)
                runs[e] = {"result": timed["result"], "cost": timed["cost"]}
                if args.tracemalloc:
                    runs[e]["cost"].update(run_worker(e, data_dir, s, "tracemalloc", model)["cost"])
                runs[e]["rows_used"] = rows_used(e, timed["result"])
                check_full_rows(e, runs[e]["rows_used"], args.rows)
                c, ov = runs[e]["cost"], runs[e]["result"]["overall"]
                print(
                    f"{s:12s} {e:10s} drifted={ov['drifted']!s:5s} share={ov['share_drifted']:.3f} "
                    f"{c['seconds']:8.2f} s  cpu {c['cpu_seconds']:8.2f} s  "
                    f"peak +{c['peak_rss_growth_mb']:7.1f} MB (abs {c['peak_rss_mb']:.0f} MB)"
                    + (f"  traced {c['tracemalloc_peak_mb']} MB" if "tracemalloc_peak_mb" in c else ""),
                    flush=True,
                )
            table = side_by_side(features, runs)
            entry: dict[str, Any] = {
                "dataset_verdict": {e: r["result"]["overall"]["drifted"] for e, r in runs.items()},
                "share_drifted": {e: r["result"]["overall"]["share_drifted"] for e, r in runs.items()},
                "drifted_features": {
                    e: sorted(k for k, v in r["result"]["features"].items() if v.get("drifted"))
                    for e, r in runs.items()
                },
                "rows_used": {e: r["rows_used"] for e, r in runs.items()},
                "cost": {e: r["cost"] for e, r in runs.items()},
                "features": table,
            }
            if "evidently" in runs:
                ev = runs["evidently"]["result"]
                entry["evidently_dataset_test"] = ev.get("evidently_dataset_test")
                entry["evidently_drift_share_used"] = ev["overall"]["drift_share"]
                entry["evidently_skipped_columns"] = ev.get("skipped")
                entry["agreement"] = {
                    f"{e}_vs_evidently": agreement(e, table, runs) for e in ("ours", "ours_full") if e in runs
                }
            ref_engine = "ours_full" if "ours_full" in runs else "ours" if "ours" in runs else None
            if ref_engine:
                entry[f"{ref_engine}_prediction_drift"] = runs[ref_engine]["result"].get("prediction_drift")
                entry[f"{ref_engine}_target_drift"] = runs[ref_engine]["result"].get("target_drift")
            per_scenario[s] = entry
            summary.append(_summary_row(s, runs, entry))

    result = {
        "benchmark": "drift_agreement",
        "rows": args.rows,
        "columns_in_data": columns,
        "features_compared": features,
        "generator": f"drift_agreement.wide_frame(rows, {args.wide}, seed, drift)"
        if args.wide
        else "airflow_champion_demo.datagen.generate_churn(rows, seed, drift=scenario)",
        "seeds": {"reference": SEED_REF, "current": SEED_CUR},
        "config": {"model": cfg.name, "drift": cfg.drift.model_dump()},
        "engines": {
            "ours": f"compute_drift as configured (max_rows={cfg.drift.max_rows} per side, uniform sample)",
            "ours_full": f"compute_drift with max_rows={args.rows} (every row)",
            "evidently": f"evidently_snapshot(max_rows={args.rows}): DataDriftPreset on every row",
        },
        "memory_measure": (
            "peak_rss_growth_mb: peak resident memory of the worker process during the call minus its RSS"
            " just before the call (data loaded, imports done); peak_rss_mb: that peak in absolute terms."
            " Peak = VmHWM after resetting it via /proc/self/clear_refs (see cost.memory_method)."
            + (" tracemalloc_peak_mb: from a second run under tracemalloc." if args.tracemalloc else "")
        ),
        "summary": summary,
        "champion_auc": scores["auc"],
        "scenarios": per_scenario,
        "environment": {
            "python": platform.python_version(),
            "machine": platform.machine(),
            "cpus": os.cpu_count(),
            "loadavg_1min_start_end": [round(load_start, 2), round(os.getloadavg()[0], 2)],
            "versions": _versions(),
        },
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
        "wall_seconds": round(time.time() - started, 1),
        "notes": [
            "Each engine run is a fresh subprocess that loads the Parquet data and imports its libraries"
            " before the measured call; one timed run per engine and scenario (no repeats).",
            "ours/ours_full compute 13 features plus prediction drift (champion scores) and target drift"
            " (the label); evidently computes the 13 features only. evidently's time and memory include"
            " our column cleaning in evidently_snapshot and snapshot.json() parsing.",
            "Dataset verdicts: ours = share of drifted features >= share_drifted_features and largest"
            " effect >= min_effect_size; evidently = its own DriftedColumnsCount test (share < drift_share"
            " FAILs) with drift_share = share_drifted_features.",
            "concept drift changes X->y only and the generator keeps X byte-identical to 'none': feature"
            " and prediction drift stay quiet by design; it shows in target drift and champion_auc.",
            "The machine is shared with other jobs: compare cpu_seconds when wall time looks noisy.",
        ],
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1, default=str) + "\n")
    print(f"wrote {args.out}")
    return 0


def _summary_row(scenario: str, runs: dict[str, Any], entry: dict[str, Any]) -> dict[str, Any]:
    row: dict[str, Any] = {"scenario": scenario}
    for e, r in runs.items():
        row[f"{e}_dataset_drifted"] = r["result"]["overall"]["drifted"]
    for name, a in entry.get("agreement", {}).items():
        engine = name.removesuffix("_vs_evidently")
        row[f"{engine}_features_agree"] = f"{a['features_same_verdict']}/{a['features_compared']}"
        row[f"{engine}_dataset_agree"] = a["dataset_verdict_same"]
    for e, r in runs.items():
        row[f"{e}_seconds"] = r["cost"]["seconds"]
        row[f"{e}_peak_rss_growth_mb"] = r["cost"]["peak_rss_growth_mb"]
    return row


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for pkg in ("evidently", "numpy", "pandas", "scipy", "scikit-learn"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = "absent"
    return out


if __name__ == "__main__":
    raise SystemExit(main())
