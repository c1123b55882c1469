"""Agreement and cost of our drift engine against Evidently 0.7's DataDriftPreset.

For each scenario (none, mild, strong, categorical, concept) the reference is clean churn data (seed A)
and the current data is seed B with that drift. Every engine run happens in its own subprocess on the
same data (written once as Parquet) so time and memory are clean:

* ``ours``       - ``include.drift.compute_drift`` as configured (samples above cfg.drift.max_rows)
* ``ours_full``  - the same engine with max_rows >= rows (no sampling): the algorithm alone
* ``evidently``  - Evidently's DataDriftPreset on all rows (no sampling), column types from the config

Each engine runs twice: once timed (wall clock, ru_maxrss growth over the loaded data) and once under
tracemalloc (peak bytes allocated by the engine call; numpy and pandas report to tracemalloc).

Usage: ``.venv/bin/python bench/drift_agreement.py --rows 1000000 --out bench/results/drift_1m.json``
"""

from __future__ import annotations

import argparse
import gc
import inspect
import json
import os
import platform
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


# ------------------------------------------------------------------------------------------ data


def _fallback_churn(rows: int, seed: int, drift: str) -> pd.DataFrame:
    """Churn-like data with the columns of include/configs/churn.yaml, used when include.datagen is absent."""
    rng = np.random.default_rng(seed)
    contract_p = np.array([0.5, 0.3, 0.2])
    payment_p = np.array([0.35, 0.25, 0.25, 0.15])
    region_p = np.array([0.25, 0.25, 0.25, 0.25])
    tier_p = np.array([0.5, 0.35, 0.15])
    charge_mult, tenure_mult, ticket_mult, login_mult, session_mult = 1.0, 1.0, 1.0, 1.0, 1.0
    if drift == "mild":
        charge_mult, session_mult = 1.06, 0.95
        payment_p = np.array([0.31, 0.26, 0.28, 0.15])
    elif drift == "strong":
        charge_mult, tenure_mult, ticket_mult, login_mult = 1.3, 0.6, 2.0, 1.8
        contract_p = np.array([0.7, 0.2, 0.1])
        tier_p = np.array([0.3, 0.4, 0.3])
    elif drift == "categorical":
        contract_p = np.array([0.7, 0.2, 0.1])
        payment_p = np.array([0.15, 0.2, 0.5, 0.15])
        region_p = np.array([0.4, 0.1, 0.25, 0.25])
        tier_p = np.array([0.3, 0.4, 0.3])
    elif drift not in ("none", "concept"):
        raise ValueError(f"unknown drift {drift!r}")

    tenure = np.clip(rng.gamma(2.0, 16.0, rows) * tenure_mult, 0, 240).round()
    monthly = np.clip(rng.normal(65.0, 25.0, rows) * charge_mult, 5, 1000).round(2)
    total = (tenure * monthly * rng.uniform(0.9, 1.05, rows)).round(2)
    tickets = rng.poisson(1.2 * ticket_mult, rows).astype(float)
    session = np.clip(rng.lognormal(3.0, 0.6, rows) * session_mult, 0, 1440).round(1)
    login = np.clip(rng.exponential(12.0, rows) * login_mult, 0, 3650).round()
    products = rng.integers(1, 6, rows).astype(float)
    age = np.clip(rng.normal(42.0, 13.0, rows), 16, 120).round()
    contract = rng.choice(["month-to-month", "one-year", "two-year"], rows, p=contract_p)
    payment = rng.choice(["card", "bank-transfer", "electronic-check", "mailed-check"], rows, p=payment_p)
    region = rng.choice(["north", "south", "east", "west"], rows, p=region_p)
    tier = rng.choice(["basic", "standard", "premium"], rows, p=tier_p)
    autopay = rng.choice(["yes", "no"], rows, p=[0.6, 0.4])

    mtm = (contract == "month-to-month").astype(float)
    echeck = (payment == "electronic-check").astype(float)
    if drift == "concept":  # same inputs, different X -> y: tickets and autopay stop mattering, age matters
        logit = -1.6 + 0.9 * mtm - 0.02 * tenure + 0.03 * (age - 42) + 0.012 * (monthly - 65)
    else:
        logit = -2.0 + 1.2 * mtm - 0.03 * tenure + 0.35 * tickets + 0.6 * echeck + 0.01 * (monthly - 65)
        logit += 0.04 * login - 0.5 * (autopay == "yes")
    churned = (rng.random(rows) < 1.0 / (1.0 + np.exp(-logit))).astype(int)
    return pd.DataFrame(
        {
            "tenure_months": tenure,
            "monthly_charges": monthly,
            "total_charges": total,
            "support_tickets_90d": tickets,
            "avg_session_minutes": session,
            "days_since_last_login": login,
            "num_products": products,
            "age": age,
            "contract_type": contract,
            "payment_method": payment,
            "region": region,
            "plan_tier": tier,
            "has_autopay": autopay,
            "churned": churned,
        }
    )


def generate(rows: int, seed: int, drift: str) -> tuple[pd.DataFrame, str]:
    """include.datagen.generate_churn when it exists and accepts (rows, seed, drift); else the fallback."""
    try:
        from include.datagen import generate_churn  # type: ignore
    except ImportError:
        return _fallback_churn(rows, seed, drift), "bench fallback (include.datagen not importable)"
    params = inspect.signature(generate_churn).parameters
    kwargs: dict[str, Any] = {}
    for name in ("rows", "n_rows", "n", "size"):
        if name in params:
            kwargs[name] = rows
            break
    if "seed" in params:
        kwargs["seed"] = seed
    if "drift" in params:
        kwargs["drift"] = drift
    try:
        df = generate_churn(**kwargs)
    except (TypeError, ValueError) as exc:
        return _fallback_churn(
            rows, seed, drift
        ), f"bench fallback (generate_churn{tuple(kwargs)} failed: {exc})"
    if not isinstance(df, pd.DataFrame) or len(df) != rows or "drift" not in kwargs:
        return _fallback_churn(rows, seed, drift), "bench fallback (generate_churn signature not understood)"
    return df, f"include.datagen.generate_churn({', '.join(kwargs)})"


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


class RssPeak:
    """Peak resident memory of this process while a block runs, polled from /proc every 5 ms.

    Unlike ru_maxrss it is not masked by an earlier, higher peak (e.g. reading the Parquet input).
    """

    def __init__(self, interval: float = 0.005) -> None:
        self.interval = interval
        self.page = os.sysconf("SC_PAGE_SIZE")
        self.start_bytes = self.peak_bytes = self._rss()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def _rss(self) -> int:
        with open("/proc/self/statm", encoding="ascii") as fh:
            return int(fh.read().split()[1]) * self.page

    def _poll(self) -> None:
        while not self._stop.is_set():
            self.peak_bytes = max(self.peak_bytes, self._rss())
            time.sleep(self.interval)

    def __enter__(self) -> RssPeak:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak_bytes = max(self.peak_bytes, self._rss())


def _run_engine(
    engine: str, cfg: Any, ref: pd.DataFrame, cur: pd.DataFrame, ref_scores: Any, cur_scores: Any
) -> dict[str, Any]:
    """The measured call: the whole engine from frames to a parsed verdict."""
    from include.drift import compute_drift, evidently_snapshot

    if engine == "evidently":
        _, summary = evidently_snapshot(ref, cur, max_rows=max(len(ref), len(cur)), cfg=cfg)
        return {
            "features": summary["columns"],
            "overall": {
                "drifted": summary["drifted"],
                "share_drifted": summary["share"],
                "n_drifted": summary["n_drifted"],
                "drift_share": summary["drift_share"],
            },
            "skipped": summary["skipped"],
        }
    if engine == "ours_full":
        rows = max(len(ref), len(cur))
        cfg = cfg.model_copy(update={"drift": cfg.drift.model_copy(update={"max_rows": rows})})
    verdict = compute_drift(cfg, ref, cur, reference_scores=ref_scores, current_scores=cur_scores)
    return {k: verdict[k] for k in ("features", "overall", "prediction_drift", "target_drift", "sampled")}


def worker(engine: str, data_dir: Path, scenario: str, measure: str) -> dict[str, Any]:
    """One engine on one scenario, in a fresh process; returns its verdicts and its cost."""
    import include.drift  # noqa: F401
    from include.config import load_config

    cfg = load_config("churn")
    if engine == "evidently":  # imports outside the measured region
        import evidently.presets  # noqa: F401
    import scipy.spatial.distance
    import scipy.stats  # noqa: F401

    ref = pd.read_parquet(data_dir / "reference.parquet")
    cur = pd.read_parquet(data_dir / f"{scenario}.parquet")
    ref_scores = np.load(data_dir / "reference_scores.npy")
    cur_scores = np.load(data_dir / f"{scenario}_scores.npy")
    gc.collect()
    if measure == "memory":
        tracemalloc.start()
    with RssPeak() as rss:
        t0 = time.perf_counter()
        result = _run_engine(engine, cfg, ref, cur, ref_scores, cur_scores)
        elapsed = time.perf_counter() - t0
    cost: dict[str, Any] = {}
    if measure == "memory":
        cost["tracemalloc_peak_mb"] = round(tracemalloc.get_traced_memory()[1] / 2**20, 1)
        cost["seconds_under_tracemalloc"] = round(elapsed, 3)
        tracemalloc.stop()
    else:
        cost["seconds"] = round(elapsed, 3)
        cost["rss_before_mb"] = round(rss.start_bytes / 2**20, 1)
        cost["rss_peak_growth_mb"] = round((rss.peak_bytes - rss.start_bytes) / 2**20, 1)
    return {"engine": engine, "scenario": scenario, "measure": measure, "cost": cost, "result": result}


def run_worker(engine: str, data_dir: Path, scenario: str, measure: str) -> dict[str, Any]:
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
    ]
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"worker {engine}/{scenario}/{measure} failed:\n{proc.stderr[-4000:]}")
    return json.loads(out.read_text())  # type: ignore[no-any-return]


# ------------------------------------------------------------------------------------ comparison


def agreement(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    """Per-column agreement of drift flags between two engines' feature verdicts."""
    common = sorted(set(a) & set(b))
    same = [c for c in common if bool(a[c].get("drifted")) == bool(b[c].get("drifted"))]
    return {
        "columns": len(common),
        "agree": len(same),
        "rate": round(len(same) / len(common), 4) if common else None,
        "disagree": {
            c: {"a": a[c].get("statistic"), "b": b[c].get("statistic"), "method": a[c].get("method")}
            for c in common
            if c not in same
        },
    }


def max_stat_diff(a: dict[str, Any], b: dict[str, Any]) -> float | None:
    diffs = [
        abs(a[c]["statistic"] - b[c]["statistic"])
        for c in set(a) & set(b)
        if a[c].get("statistic") is not None and b[c].get("statistic") is not None
    ]
    return max(diffs) if diffs else None


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rows", type=int, default=100_000, help="rows of reference and of current")
    p.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "drift.json")
    p.add_argument("--scenarios", default=",".join(SCENARIOS))
    p.add_argument("--engines", default=",".join(ENGINES))
    p.add_argument("--no-memory", action="store_true", help="skip the tracemalloc runs")
    p.add_argument("--worker", choices=ENGINES, help=argparse.SUPPRESS)
    p.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--scenario", help=argparse.SUPPRESS)
    p.add_argument("--measure", choices=["time", "memory"], default="time", help=argparse.SUPPRESS)
    p.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    args = p.parse_args(argv)

    if args.worker:
        res = worker(args.worker, args.data, args.scenario, args.measure)
        args.result.write_text(json.dumps(res))
        return 0

    from include.config import load_config

    cfg = load_config("churn")
    scenarios = [s for s in args.scenarios.split(",") if s]
    engines = [e for e in args.engines.split(",") if e]
    started = time.time()
    load_start = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="drift-bench-") as tmp:
        data_dir = Path(tmp)
        t0 = time.perf_counter()
        ref, generator = generate(args.rows, SEED_REF, "none")
        curs = {s: generate(args.rows, SEED_CUR, s)[0] for s in scenarios}
        gen_s = time.perf_counter() - t0
        scores = champion_scores(cfg, ref, curs)
        ref.to_parquet(data_dir / "reference.parquet")
        np.save(data_dir / "reference_scores.npy", scores["reference"])
        for s, cur in curs.items():
            cur.to_parquet(data_dir / f"{s}.parquet")
            np.save(data_dir / f"{s}_scores.npy", scores["current"][s])
        columns = list(ref.columns)
        del ref, curs
        gc.collect()
        print(f"data: {args.rows} rows x {len(columns)} columns via {generator} ({gen_s:.1f} s)", flush=True)

        per_scenario: dict[str, Any] = {}
        for s in scenarios:
            runs: dict[str, Any] = {}
            for e in engines:
                timed = run_worker(e, data_dir, s, "time")
                runs[e] = {"result": timed["result"], "cost": timed["cost"]}
                if not args.no_memory:
                    runs[e]["cost"].update(run_worker(e, data_dir, s, "memory")["cost"])
                c = runs[e]["cost"]
                print(
                    f"{s:12s} {e:10s} drifted={runs[e]['result']['overall']['drifted']!s:5s} "
                    f"share={runs[e]['result']['overall']['share_drifted']:.3f} {c.get('seconds', 0):8.2f} s "
                    f"rss+{c.get('rss_peak_growth_mb', 0):7.1f} MB traced {c.get('tracemalloc_peak_mb')} MB",
                    flush=True,
                )
            entry: dict[str, Any] = {"engines": {}}
            for e, r in runs.items():
                ov = r["result"]["overall"]
                entry["engines"][e] = {
                    "overall_drifted": ov["drifted"],
                    "share_drifted": ov["share_drifted"],
                    "n_drifted": ov["n_drifted"],
                    "drifted_features": sorted(
                        k for k, v in r["result"]["features"].items() if v.get("drifted")
                    ),
                    "cost": r["cost"],
                    "features": r["result"]["features"],
                }
                if e != "evidently":
                    entry["engines"][e]["prediction_drift"] = r["result"].get("prediction_drift")
                    entry["engines"][e]["target_drift"] = r["result"].get("target_drift")
                    entry["engines"][e]["sampled"] = r["result"].get("sampled")
                else:
                    share = ov["share_drifted"]
                    entry["engines"][e]["drift_share_used"] = ov["drift_share"]
                    entry["engines"][e]["drifted_at_evidently_default_0.5"] = (
                        share is not None and share >= 0.5
                    )
            if "evidently" in runs:
                ev = runs["evidently"]["result"]["features"]
                for e in ("ours", "ours_full"):
                    if e in runs:
                        f = runs[e]["result"]["features"]
                        entry[f"agreement_{e}_vs_evidently"] = {
                            **agreement(f, ev),
                            "overall_same": runs[e]["result"]["overall"]["drifted"]
                            == runs["evidently"]["result"]["overall"]["drifted"],
                            "max_abs_statistic_diff": max_stat_diff(f, ev),
                        }
            per_scenario[s] = entry

    result = {
        "benchmark": "drift_agreement",
        "rows": args.rows,
        "columns_in_data": columns,
        "features_compared": cfg.data.feature_names,
        "generator": generator,
        "seeds": {"reference": SEED_REF, "current": SEED_CUR},
        "config": {"model": cfg.name, "drift": cfg.drift.model_dump()},
        "champion_auc": scores["auc"],
        "scenarios": per_scenario,
        "environment": {
            "python": platform.python_version(),
            "machine": platform.machine(),
            "cpus": os.cpu_count(),
            "loadavg_1min_start_end": [load_start, os.getloadavg()[0]],
            "versions": _versions(),
        },
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
        "wall_seconds": round(time.time() - started, 1),
        "notes": [
            "ours: compute_drift as configured (uniform sample of cfg.drift.max_rows per side above that);"
            " ours_full: same engine unsampled; evidently: DataDriftPreset on all rows, DataDefinition from"
            " the config, drift_share = cfg.drift.share_drifted_features.",
            "cost.seconds and rss_* come from a plain run; tracemalloc_peak_mb from a second run of the same"
            " call under tracemalloc (peak of Python/numpy/pandas allocations during the call). Each run is a"
            " fresh subprocess that loads the data first; imports happen before measuring.",
            "concept drift changes X->y only: feature drift and prediction drift (scores depend on X only)"
            " are expected to stay quiet; it shows in target_drift (label shares) if the base rate moves and"
            " in the champion's AUC on current data (champion_auc).",
            "The machine is shared with other engineers' jobs: timings carry that noise.",
        ],
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1, sort_keys=False, default=str) + "\n")
    print(f"wrote {args.out}")
    return 0


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
