"""`make bench`: what Airflow and this project add over a bare script, per task, per row, per model.

Every measured run is a fresh process; each figure is the median of --repeat runs; each comparison is
a ratio of figures measured side by side (interleaved) in the same invocation. Writes one JSON file
(machine, commit, date, figures, comparisons, targets) and the Markdown table (bench/render_table.py).

    .venv/bin/python bench/run.py --scale smoke --out bench/results/smoke.json
    .venv/bin/python bench/run.py --scale full --out bench/results.json          # a quiet machine
    .venv/bin/python bench/run.py --scale smoke --only parsing,drift --repeat 3

Groups: parsing, tasks, stages, drift, e2e, scheduler, backtest (see bench/README.md).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import MODELS, REPO, SCALES, BenchError, Scale, base_env, log

GROUPS = ("parsing", "tasks", "stages", "drift", "e2e", "scheduler", "backtest")
PACKAGES = (
    "apache-airflow",
    "mlflow",
    "scikit-learn",
    "great-expectations",
    "evidently",
    "pandas",
    "numpy",
    "pyarrow",
    "scipy",
)


def machine() -> dict[str, Any]:
    """Where the numbers come from: a figure means nothing without the cores and memory behind it."""
    from importlib.metadata import PackageNotFoundError, version

    mem: dict[str, int] = {}
    with open("/proc/meminfo", encoding="ascii") as fh:
        for line in fh:
            key, value = line.split(":", 1)
            if key in ("MemTotal", "MemAvailable"):
                mem[key] = int(value.split()[0]) // 1024
    cpu_model = ""
    with open("/proc/cpuinfo", encoding="ascii", errors="replace") as fh:
        cpu_model = next((ln.split(":", 1)[1].strip() for ln in fh if ln.startswith("model name")), "")
    versions = {}
    for pkg in PACKAGES:
        try:
            versions[pkg] = version(pkg)
        except PackageNotFoundError:
            versions[pkg] = "absent"
    return {
        "cores": os.cpu_count(),
        "cores_usable": len(os.sched_getaffinity(0)),
        "cpu_model": cpu_model,
        "memory_total_mb": mem.get("MemTotal"),
        "memory_available_mb_at_start": mem.get("MemAvailable"),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "versions": versions,
    }


def git() -> dict[str, Any]:
    def out(*args: str) -> str:
        proc = subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True, check=False)
        return proc.stdout.strip()

    return {
        "commit": out("rev-parse", "HEAD"),
        # the bench's own outputs do not make the measured code dirty (each step rewrites them)
        "dirty": bool(
            out(
                "status",
                "--porcelain",
                "--untracked-files=no",
                "--",
                ".",
                ":!bench/results.json",
                ":!bench/results.md",
                ":!README.md",
            )
        ),
    }


def _group(
    name: str, scale: Scale, repeat: int, kinds: list[str], paths: tuple[str, ...] | None = None
) -> dict[str, Any]:
    """Run one group; its result."""
    from groups import backtest, drift, e2e, parsing, scheduler, tasks

    if name == "parsing":
        return parsing.run(scale, repeat)
    if name == "tasks":
        return tasks.run_tasks(scale, repeat, kinds)
    if name == "stages":
        return tasks.run_stages(scale, repeat, kinds)
    if name == "drift":
        with tempfile.TemporaryDirectory(prefix="bench-drift-home-") as home:
            return drift.run(scale, repeat, base_env(Path(home), REPO / "include" / "configs"))
    if name == "e2e":
        return e2e.run(scale, repeat, kinds, paths or e2e.PATHS)
    if name == "backtest":
        return backtest.run(scale, repeat, kinds)
    if name == "scheduler":
        return scheduler.run(scale, repeat, kinds)
    raise BenchError(f"unknown group {name!r}")


def _targets(name: str, result: dict[str, Any]) -> list[dict[str, Any]]:
    """A group's targets, judged on its whole (possibly merged) result."""
    from groups import drift, e2e, parsing, scheduler, tasks

    judge = {
        "parsing": parsing.targets,
        "stages": tasks.stage_targets,
        "drift": drift.targets,
        "e2e": e2e.targets,
        "scheduler": scheduler.targets,
    }.get(name)
    return judge(result) if judge and result.get("status") == "ok" else []


MERGED = ("figures", "comparisons", "skipped", "failed", "stacks")


def tag_machine(result: dict[str, Any], cpu_model: str | None) -> None:
    """Each figure and comparison says which machine measured it (a merged file can hold two)."""
    for key in ("figures", "comparisons"):
        for item in (result.get(key) or {}).values():
            if isinstance(item, dict):
                item.setdefault("machine", cpu_model)


def merge(old: dict[str, Any] | None, new: dict[str, Any]) -> dict[str, Any]:
    """`new` over `old` for a group rerun with --update on other kinds or sizes: the figures (and
    comparisons, skips, stacks) of both, the new run's where a name is in both; the wall times and
    loads of every run that contributed are kept in `runs_of_group`."""
    if not old or old.get("status") != "ok" or new.get("status") != "ok":
        return new
    out = {**old, **new}
    for key in MERGED:
        if isinstance(old.get(key), dict) or isinstance(new.get(key), dict):
            out[key] = {**old.get(key, {}), **new.get(key, {})}
    measured = set(new.get("figures", {}))
    for key in ("skipped", "failed"):  # an old skip or failure the new run has measured is gone
        kept = {k: v for k, v in old.get(key, {}).items() if not any(k in name for name in measured)}
        out[key] = {**kept, **new.get(key, {})}
    history = old.get("runs_of_group") or [
        {k: old.get(k) for k in ("wall_s", "loadavg_after", "kinds", "rows")}
    ]
    out["runs_of_group"] = [*history, {k: new.get(k) for k in ("wall_s", "loadavg_after", "kinds", "rows")}]
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--scale", choices=sorted(SCALES), default="smoke")
    p.add_argument("--only", default=",".join(GROUPS), help=f"comma-separated groups: {', '.join(GROUPS)}")
    p.add_argument("--repeat", type=int, default=None, help="runs per figure (default: the scale's)")
    p.add_argument(
        "--kinds",
        default=None,
        help="model kinds: binary,multiclass,regression (default: all; smoke: binary)",
    )
    p.add_argument(
        "--rows",
        default=None,
        help="comma-separated row counts for e2e, stages and scheduler (default: the scale's)",
    )
    p.add_argument(
        "--paths",
        default=None,
        help="e2e paths: chain,bare,airflow (default: all; e.g. no bare at 5M, whose bootstrap is O(rows))",
    )
    p.add_argument("--out", type=Path, default=REPO / "bench" / "results.json")
    p.add_argument(
        "--table",
        type=Path,
        default=None,
        help="file to write the table into (default: --out with .md: a smoke run leaves results.md alone)",
    )
    p.add_argument(
        "--drift-sizes",
        default=None,
        help="drift jobs instead of the scale's: `churn` (the verdict-agreement run) and/or ROWSxCOLS "
        "wide sizes, e.g. 1000000x21,1000000x1000",
    )
    p.add_argument(
        "--update",
        action="store_true",
        help="keep the other groups of an existing --out; merge a rerun group's figures into its old ones",
    )
    args = p.parse_args(argv)
    scale = SCALES[args.scale]
    if args.rows:
        scale = dataclasses.replace(scale, e2e_rows=[int(r) for r in args.rows.split(",")])
    if args.drift_sizes:
        jobs = [j for j in args.drift_sizes.split(",") if j]
        wide = [tuple(int(n) for n in j.split("x")) for j in jobs if j != "churn"]
        if any(len(w) != 2 for w in wide):
            p.error(f"--drift-sizes: {args.drift_sizes!r}; give churn and/or ROWSxCOLS")
        scale = dataclasses.replace(
            scale,
            drift_sizes=[(w[0], w[1]) for w in wide],
            drift_agreement_rows=scale.drift_agreement_rows if "churn" in jobs else 0,
        )
    repeat = args.repeat or scale.repeat
    kinds = (args.kinds or ("binary" if scale.name == "smoke" else ",".join(MODELS))).split(",")
    for k in kinds:
        if k not in MODELS:
            p.error(f"unknown kind {k!r}; choose from {', '.join(MODELS)}")
    groups = [g for g in args.only.split(",") if g]
    for g in groups:
        if g not in GROUPS:
            p.error(f"unknown group {g!r}; choose from {', '.join(GROUPS)}")

    started = time.time()
    doc: dict[str, Any] = {
        "suite": "airflow-champion benchmarks (bench/run.py)",
        "scale": dataclasses.asdict(scale),
        "repeat": repeat,
        "kinds": {k: MODELS[k] for k in kinds},
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
        "machine": machine(),
        "git": git(),
        "loadavg_start": list(os.getloadavg()),
        "groups": {},
        "targets": [],
    }
    if args.update and args.out.exists():
        old = json.loads(args.out.read_text())
        if old.get("scale", {}).get("name") != scale.name:
            p.error(f"--update: {args.out} is of scale {old.get('scale', {}).get('name')}, not {scale.name}")
        doc["groups"] = dict(old["groups"])
        for res in doc["groups"].values():  # figures of a file from before the tag: its machine's
            tag_machine(res, old.get("machine", {}).get("cpu_model"))
        doc["targets"] = [t for t in old["targets"] if t["group"] not in groups]
        doc["updated_groups"] = groups
        doc["runs"] = [*old.get("runs", [old.get("date")]), doc["date"]]
    for g in groups:
        log(f"group {g} ...")
        t0 = time.perf_counter()
        try:
            result = _group(g, scale, repeat, kinds, tuple(args.paths.split(",")) if args.paths else None)
            result.setdefault("status", "ok")
            tag_machine(result, doc["machine"]["cpu_model"])
        except Exception as exc:  # one broken group must not hide the others' numbers
            result = {"status": "failed", "error": f"{type(exc).__name__}: {exc}"[-4000:]}
            traceback.print_exc()
        result["wall_s"] = round(time.perf_counter() - t0, 1)
        result["loadavg_after"] = list(os.getloadavg())
        result["kinds"], result["rows"] = kinds, scale.e2e_rows
        result = merge(doc["groups"].get(g), result) if args.update else result
        doc["groups"][g] = result
        doc["targets"] = [t for t in doc["targets"] if t["group"] != g]
        doc["targets"] += [{"group": g, "scale": scale.name, **t} for t in _targets(g, result)]
        log(f"group {g}: {result['status']} in {result['wall_s']} s")
        _write(args.out, doc, started)  # a partial file survives a later crash
    _write(args.out, doc, started)

    from render_table import render, write_between_markers

    table = args.table or args.out.with_suffix(".md")
    write_between_markers(table, render(doc))
    log(f"wrote {args.out} and the table in {table}")
    return 0 if all(r["status"] != "failed" for r in doc["groups"].values()) else 1


def judge_targets(targets: list[dict[str, Any]]) -> None:
    """One judge per target label: the `scheduler` group's (a real scheduler) when it has a figure for
    it, else e2e's (`airflow dags test`); the other entry stays in the JSON, `superseded_by` the judge."""
    for t in targets:
        t.pop("superseded_by", None)
    by_label: dict[str, list[dict[str, Any]]] = {}
    for t in targets:
        by_label.setdefault(t["target"], []).append(t)
    for same in by_label.values():
        sched = [t for t in same if t["group"] == "scheduler"]
        e2e = [t for t in same if t["group"] == "e2e"]
        if not sched or not e2e:
            continue
        for t in e2e:
            t.setdefault("basis", "airflow dags test: in-process, SQLite")
        fallback = sched[0]["measured"] is None and e2e[0]["measured"] is not None
        for t in sched if fallback else e2e:
            t["superseded_by"] = "e2e" if fallback else "scheduler"


def _write(path: Path, doc: dict[str, Any], started: float) -> None:
    doc["wall_s"] = round(time.time() - started, 1)
    judge_targets(doc["targets"])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=1, default=str) + "\n")


if __name__ == "__main__":
    raise SystemExit(main())
