"""End to end: one retrain through Airflow (`airflow dags test`), through the one-process chain
(`mlops run`) and through a bare script (bench/bare_retrain.py), side by side on the same snapshots.

Per model kind and size, the three paths run interleaved in each repeat (chain, bare, airflow), so a
change in the machine's load hits all of them; each on its own fresh snapshot of the same size and
generator, after one warm-up retrain each (an MLflow store and a champion exist: steady state).
"""

from __future__ import annotations

import json
from typing import Any

from harness import (
    BENCH,
    BIN,
    MODELS,
    BenchError,
    Run,
    Scale,
    base_env,
    bench_home,
    figure,
    fits_in_memory,
    generate,
    log,
    measure,
    median_phases,
    mlops,
    ratio,
    write_config,
)

PATHS = ("chain", "bare", "airflow")


def estimated_peak_mb(rows: int, cols: int = 15) -> float:
    """Rough peak of one retrain: frame (~30 B a cell with strings) times the copies a fit makes.

    The factor 3 is measured with margin: the peaks of the chain, bare and `airflow dags test` paths
    at 1M x 15 were 1.17-1.41 GB (bench/results.json, 2026-12-01), this gives 2.1 GB; the earlier
    factor 8 skipped 5M (an estimated 17.8 GB) that needs about 6.5 GB."""
    return rows * cols * 30 / 2**20 * 3 + 800


def _cmd(path: str, model: str, snapshot: str, home: Any) -> list[str]:
    if path == "chain":
        return mlops("run", model, "--snapshot", snapshot)
    if path == "bare":
        return [
            str(BIN / "python"),
            str(BENCH / "bare_retrain.py"),
            "--config",
            str(home / "configs" / f"{model}.yaml"),
            "--snapshot-dir",
            str(home / "snapshots" / model / snapshot),
            "--tracking-uri",
            f"sqlite:///{home / 'bare-mlflow.db'}",
        ]
    conf = json.dumps({"snapshot_id": snapshot, "reason": "bench"})
    return [str(BIN / "airflow"), "dags", "test", f"{model}_retrain", "-c", conf]


def _check_dag_run(env: dict[str, str], model: str) -> None:
    """`airflow dags test` can exit 0 for a failed run: the newest run of the DAG must have succeeded."""
    dag_id = f"{model}_retrain"
    out = measure([str(BIN / "airflow"), "dags", "list-runs", dag_id, "-o", "json"], env=env).check()
    runs = json.loads(out.stdout[out.stdout.index("[") :])
    newest: dict[str, Any] = max(runs, key=lambda r: str(r.get("start_date") or ""), default={})
    if newest.get("state") != "success":
        raise BenchError(f"{dag_id}: newest run {newest.get('run_id')} is {newest.get('state')}, not success")


def run(scale: Scale, repeat: int, kinds: list[str], paths: tuple[str, ...] = PATHS) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    comparisons: dict[str, Any] = {}
    skipped: dict[str, str] = {}
    for kind in kinds:
        model = MODELS[kind]
        for rows in scale.e2e_rows:
            key = f"{kind}_{rows}"
            why = fits_in_memory(estimated_peak_mb(rows))
            if why:
                skipped[key] = why
                log(f"e2e {key}: skipped ({why})")
                continue
            with bench_home(f"e2e-{key}") as home:
                write_config(home / "configs", model, scale=scale)
                env = base_env(home, home / "configs")
                # each path warms up on its own snapshot: a snapshot one path has claimed is refused
                # to the next, which would leave that path cold for its first timed run
                ids = generate(env, model, rows=rows, weeks=len(paths) * (1 + repeat))
                warm, rest = ids[: len(paths)], ids[len(paths) :]
                if "airflow" in paths:
                    measure([str(BIN / "airflow"), "db", "migrate"], env=env).check()
                runs: dict[str, list[Run]] = {p: [] for p in paths}
                for p, snap in zip(paths, warm, strict=True):  # warm-up: a champion and a store first
                    measure(_cmd(p, model, snap, home), env=env).check()
                for i in range(repeat):
                    for j, p in enumerate(paths):
                        snap = rest[i * len(paths) + j]
                        r = measure(_cmd(p, model, snap, home), env=env).check()
                        if p == "airflow":
                            _check_dag_run(env, model)
                        runs[p].append(r)
                        log(f"e2e {key} {p} {snap}: {r.wall_s:.1f} s, peak {r.peak_rss_mb:.0f} MB")
                for p in paths:
                    figures[f"e2e_{p}_{key}"] = figure(runs[p], path=p, kind=kind, model=model, rows=rows)
                if "bare" in paths:  # where the baseline's time goes (its bootstrap is the naive loop)
                    figures[f"e2e_bare_{key}"]["phases_s"] = median_phases(runs["bare"])
                walls = {p: [r.wall_s for r in runs[p]] for p in paths}
                if "airflow" in paths:
                    comparisons[f"airflow_over_chain_{key}"] = ratio(walls["airflow"], walls["chain"])
                if "bare" in paths:
                    comparisons[f"chain_over_bare_{key}"] = ratio(walls["chain"], walls["bare"])
    return {"figures": figures, "comparisons": comparisons, "skipped": skipped}


def targets(result: dict[str, Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    comps = result["comparisons"]
    for name, limit, rows in (
        ("airflow_over_chain", 1.3, 100_000),
        ("airflow_over_chain", 1.1, 1_000_000),
        ("chain_over_bare", 1.5, 1_000_000),
    ):
        found = {k: v for k, v in comps.items() if k.startswith(name) and k.endswith(f"_{rows}")}
        label = f"{name.replace('_', ' ')} <= {limit}x at {rows:,} rows"
        if not found:
            out.append({"target": label, "measured": None, "met": False, "note": "size not measured"})
            continue
        worst = max(v["ratio_of_medians"] for v in found.values())
        out.append({"target": label, "measured": worst, "met": worst <= limit, "per_kind": found})
    out.extend(_linear(result))
    return out


def _linear(result: dict[str, Any]) -> list[dict[str, Any]]:
    """Linear growth to 5M: seconds per row at the largest size <= 1.25x that at 1M, per path."""
    out: list[dict[str, Any]] = []
    figs = result["figures"]
    by: dict[tuple[str, str], dict[int, dict[str, Any]]] = {}
    for f in figs.values():
        by.setdefault((f["path"], f["kind"]), {})[f["rows"]] = f
    for (path, kind), sizes in sorted(by.items()):
        if 1_000_000 in sizes and 5_000_000 in sizes:
            big, one = sizes[5_000_000], sizes[1_000_000]
            label = f"linear growth to 5M rows ({path}, {kind}): s/row at 5M <= 1.25x s/row at 1M"
            if big.get("machine") != one.get("machine"):  # seconds of two machines are no growth
                out.append({"target": label, "measured": None, "met": False, "note": "sizes on two machines"})
                continue
            growth = (big["median_s"] / big["rows"]) / (one["median_s"] / one["rows"])
            out.append({"target": label, "measured": round(growth, 3), "met": growth <= 1.25})
    return out
