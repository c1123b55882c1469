"""Scheduler: one retrain of `<model>_retrain` through a real Airflow 3 stack (api-server, scheduler,
dag-processor; LocalExecutor, metadata on PostgreSQL) against the one-process chain (`mlops run`).

Why a group of its own: `airflow dags test` (the e2e group) runs the tasks in one process, with no
scheduler loop, no executor and no task-process start-up; a deployment pays for all three. Here the
Airflow side is timed from the REST call that creates the run to the first poll (every POLL_S) that
sees it finished, and the metadata DB says where the time went: each task's own duration and the gaps
between tasks (upstream done -> scheduled -> queued -> running), from the task_instance table.

Per model kind and size: a fresh MLOPS_HOME and stack (its own database, dropped at the end), the
snapshots generated first, one untimed warm-up retrain per path (steady state: a store, a champion,
a parsed DAG, warm caches), then `repeat` pairs interleaved (chain, scheduler), each on a fresh snapshot.
"""

from __future__ import annotations

import os
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml
from harness import (
    MODELS,
    BenchError,
    Run,
    Scale,
    bench_home,
    figure,
    fits_in_memory,
    generate,
    log,
    measure,
    median_of,
    mlops,
    ratio,
    write_config,
)

from groups.e2e import estimated_peak_mb
from groups.sched_stack import Stack, pg_connect, running_stack, stack_env, tail, throwaway_db

POLL_S = 0.2
"""Metadata-DB poll interval while a run is going: the wall's resolution (the stack's CPU and memory
are sampled from /proc every SCAN_S, a cost kept off the measured machine's back)."""
SCAN_S = 1.0
STACK_MB = 1500
"""Rough resident size of api-server + scheduler (+ LocalExecutor workers) + dag-processor."""
NEVER_DUE = "0 3 29 2 *"
"""The bench configs' retrain cron: with catchup off, unpausing runs the latest past tick of the
shipped weekly cron at once (and would claim a bench snapshot); the next 29 February after the DAGs'
start date is in 2028, so the scheduler makes no run of its own."""
TASK_FIELDS = ("run_s", "gap_before_s", "to_scheduled_s", "to_queued_s", "to_running_s")


def run_timeout_s(rows: int) -> float:
    """Deadline of one retrain (either path): generous, but a stuck run ends as an error."""
    return 900 + 0.004 * rows


def _never_due(config: Path) -> None:
    data = yaml.safe_load(config.read_text())
    data["schedule"] = NEVER_DUE
    config.write_text(yaml.safe_dump(data, sort_keys=False))


def _secs(a: datetime | None, b: datetime | None) -> float | None:
    return round((b - a).total_seconds(), 3) if a is not None and b is not None else None


def _query(conn: Any, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    with conn.cursor() as cur:
        cur.execute(sql, args)
        return list(cur.fetchall())


def wait_for_dag(stack: Stack, conn: Any, dag_id: str, timeout_s: float = 300) -> float:
    """Seconds until the dag-processor has serialized `dag_id`; then it is unpaused (REST)."""
    sql = (
        "SELECT 1 FROM dag d JOIN serialized_dag s ON s.dag_id = d.dag_id"
        " WHERE d.dag_id = %s AND NOT d.is_stale"
    )
    try:
        waited = stack.wait_until(f"{dag_id} parsed", lambda: bool(_query(conn, sql, dag_id)), timeout_s)
    except BenchError as exc:
        errors = _query(conn, "SELECT filename, stacktrace FROM import_error")
        raise BenchError(f"import errors: {errors}\n{exc}") from None
    stack.api("PATCH", f"/dags/{dag_id}", {"is_paused": False})
    return waited


def retrain(stack: Stack, conn: Any, dag_id: str, snapshot: str, timeout_s: float) -> dict[str, Any]:
    """Trigger one run, poll it to its end, check it did the work; wall, CPU, memory, timeline."""
    existing = {r for (r,) in _query(conn, "SELECT run_id FROM dag_run WHERE dag_id = %s", dag_id)}
    if stray := existing - stack.triggered:  # a run of the scheduler's own would queue ours behind it
        raise BenchError(f"{dag_id}: runs the bench did not trigger: {sorted(stray)}")
    cpu0 = stack.cpu_s()
    peak, t0 = 0.0, time.perf_counter()
    conf = {"snapshot_id": snapshot, "reason": "bench"}
    run_id = str(
        stack.api("POST", f"/dags/{dag_id}/dagRuns", {"logical_date": None, "conf": conf})["dag_run_id"]
    )
    stack.triggered.add(run_id)
    next_scan = t0 + SCAN_S
    sql = "SELECT state, queued_at, start_date, end_date FROM dag_run WHERE dag_id = %s AND run_id = %s"
    while True:
        (row,) = _query(conn, sql, dag_id, run_id)
        now = time.perf_counter()
        if row[0] in ("success", "failed"):
            wall = now - t0
            break
        if now - t0 > timeout_s:
            states = {t["task_id"]: t["state"] for t in _tis(conn, dag_id, run_id)}
            raise BenchError(f"{dag_id} {run_id}: not finished after {timeout_s:.0f} s: {states}")
        if now >= next_scan:
            stack.check_alive()
            peak = max(peak, stack.peak_rss_mb(stack.tree()))
            next_scan = now + SCAN_S
        time.sleep(POLL_S)
    tree = stack.tree()
    cpu, peak = stack.cpu_s(tree) - cpu0, max(peak, stack.peak_rss_mb(tree))
    tis = _tis(conn, dag_id, run_id)
    _check(dag_id, run_id, row[0], tis, Path(stack.env["AIRFLOW_HOME"]))
    timeline = _timeline(row, tis)
    in_tasks = sum(t["run_s"] or 0.0 for t in timeline["tasks"].values())
    return {
        "run_id": run_id,
        "wall_s": wall,
        "cpu_s": cpu,
        "peak_rss_mb": peak,
        "db_wall_s": _secs(row[1], row[3]),  # queued (REST) -> end, by the metadata DB
        "in_tasks_s": in_tasks,
        "between_tasks_s": wall - in_tasks,
        **timeline,
    }


def _tis(conn: Any, dag_id: str, run_id: str) -> list[dict[str, Any]]:
    cols = ("task_id", "state", "try_number", "scheduled_dttm", "queued_dttm", "start_date", "end_date")
    sql = f"SELECT {', '.join(cols)} FROM task_instance WHERE dag_id = %s AND run_id = %s"
    return [dict(zip(cols, r, strict=True)) for r in _query(conn, sql, dag_id, run_id)]


def _check(dag_id: str, run_id: str, state: str, tis: list[dict[str, Any]], airflow_home: Path) -> None:
    """A figure only of a run that did the retrain: success, every step ran once and succeeded
    (a refused claim succeeds too, by skipping the rest; champion_moved skips when nothing moved)."""
    from airflow_champion.pipeline.chain import RETRAIN_STEPS

    by = {t["task_id"]: t for t in tis}
    bad = [s for s in RETRAIN_STEPS if by.get(s, {}).get("state") != "success" or by[s]["try_number"] != 1]
    bad += [t for t, ti in by.items() if t not in RETRAIN_STEPS and ti["state"] not in ("success", "skipped")]
    if state != "success" or bad:
        states = {t: (ti["state"], ti["try_number"]) for t, ti in by.items()}
        logs = [p for p in sorted((airflow_home / "logs").rglob("*")) if p.is_file() and run_id in str(p)]
        text = "\n".join(
            f"-- {p.parent.name}/{p.name} --\n{tail(p, 8)}"
            for p in logs
            if any(f"task_id={b}" in str(p) for b in bad)
        )  # the summary last: run.py keeps the end of a long error
        raise BenchError(f"{text}\n{dag_id} {run_id}: run {state}, tasks {states}")


def _timeline(run: tuple[Any, ...], tis: list[dict[str, Any]]) -> dict[str, Any]:
    """Per task, in the order they ran: its duration and the gap before it, split into upstream done
    (or the run queued) -> scheduled -> queued -> running; then run end after the last task."""
    tasks: dict[str, dict[str, float | None]] = {}
    prev = run[1]
    for ti in sorted(tis, key=lambda t: t["start_date"] or datetime.max.replace(tzinfo=run[1].tzinfo)):
        tasks[ti["task_id"]] = {
            "run_s": _secs(ti["start_date"], ti["end_date"]),
            "gap_before_s": _secs(prev, ti["start_date"]),
            "to_scheduled_s": _secs(prev, ti["scheduled_dttm"]),
            "to_queued_s": _secs(ti["scheduled_dttm"], ti["queued_dttm"]),
            "to_running_s": _secs(ti["queued_dttm"], ti["start_date"]),
        }
        prev = ti["end_date"] or prev
    return {"tasks": tasks, "end_lag_s": _secs(prev, run[3])}


def _median(values: list[float | None]) -> float | None:
    vals = [v for v in values if v is not None]
    return median_of(vals) if vals else None


def sched_figure(runs: list[dict[str, Any]], **meta: Any) -> dict[str, Any]:
    """harness.figure's shape from the polled runs, plus the medians of the timeline."""
    tasks = list(runs[0]["tasks"])
    return {
        "median_s": median_of([r["wall_s"] for r in runs]),
        "runs": [round(r["wall_s"], 4) for r in runs],
        "cpu_s": median_of([r["cpu_s"] for r in runs]),
        "peak_rss_mb": round(max(r["peak_rss_mb"] for r in runs), 1),
        **meta,
        **{
            k: _median([r[k] for r in runs])
            for k in ("db_wall_s", "in_tasks_s", "between_tasks_s", "end_lag_s")
        },
        "tasks": {
            t: {f: _median([r["tasks"].get(t, {}).get(f) for r in runs]) for f in TASK_FIELDS} for t in tasks
        },
    }


def _one(scale: Scale, repeat: int, kind: str, rows: int, home: Path) -> dict[str, Any]:
    model = MODELS[kind]
    dag_id = f"{model}_retrain"
    _never_due(write_config(home / "configs", model, scale=scale))
    db = f"bench_sched_{os.getpid()}"
    env = stack_env(home, db)
    ids = generate(env, model, rows=rows, weeks=2 + 2 * repeat)
    timeout = run_timeout_s(rows)
    chain: list[Run] = []
    sched: list[dict[str, Any]] = []
    with throwaway_db(db), running_stack(env, home / "stack-logs") as stack:
        conn = pg_connect(db)
        try:
            setup = {"dag_parsed_s": round(wait_for_dag(stack, conn, dag_id), 1)}
            measure(mlops("run", model, "--snapshot", ids[0]), env=env, timeout_s=timeout).check()
            setup["warmup_s"] = round(retrain(stack, conn, dag_id, ids[1], timeout)["wall_s"], 1)
            for i in range(repeat):
                c = measure(mlops("run", model, "--snapshot", ids[2 + 2 * i]), env=env, timeout_s=timeout)
                chain.append(c.check())
                sched.append(retrain(stack, conn, dag_id, ids[3 + 2 * i], timeout))
                log(
                    f"scheduler {kind}_{rows} #{i + 1}: chain {c.wall_s:.1f} s, scheduler"
                    f" {sched[-1]['wall_s']:.1f} s (in tasks {sched[-1]['in_tasks_s']:.1f} s)"
                )
            setup["postgres"] = _query(conn, "SHOW server_version")[0][0]
        finally:
            conn.close()
    return {"chain": chain, "sched": sched, "setup": setup}


def run(scale: Scale, repeat: int, kinds: list[str]) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    comparisons: dict[str, Any] = {}
    skipped: dict[str, str] = {}
    stacks: dict[str, Any] = {}
    for kind in kinds:
        for rows in scale.e2e_rows:
            key = f"{kind}_{rows}"
            why = fits_in_memory(estimated_peak_mb(rows) + STACK_MB)
            if why:
                skipped[key] = why
                log(f"scheduler {key}: skipped ({why})")
                continue
            with bench_home(f"sched-{key}") as home:
                got = _one(scale, repeat, kind, rows, home)
            meta = {"kind": kind, "model": MODELS[kind], "rows": rows}
            figures[f"sched_chain_{key}"] = figure(got["chain"], path="chain", **meta)
            figures[f"sched_airflow_{key}"] = sched_figure(got["sched"], path="scheduler", **meta)
            comparisons[f"scheduler_over_chain_{key}"] = ratio(
                [r["wall_s"] for r in got["sched"]], [r.wall_s for r in got["chain"]]
            )
            stacks[key] = got["setup"]
    return {
        "figures": figures,
        "comparisons": comparisons,
        "skipped": skipped,
        "stacks": stacks,
        "stack": "api-server (-w 1) + scheduler + dag-processor, LocalExecutor, PostgreSQL metadata DB,"
        f" Airflow defaults otherwise; no task retries; polled every {POLL_S} s",
    }


BASIS = "scheduler: LocalExecutor on PostgreSQL"


def targets(result: dict[str, Any]) -> list[dict[str, Any]]:
    """The two Airflow targets, judged here (run.py lets these supersede e2e's `airflow dags test`
    ones of the same label when they are measured)."""
    out: list[dict[str, Any]] = []
    for limit, rows in ((1.3, 100_000), (1.1, 1_000_000)):
        label = f"airflow over chain <= {limit}x at {rows:,} rows"
        found = {
            k: v
            for k, v in result["comparisons"].items()
            if k.startswith("scheduler_over_chain") and k.endswith(f"_{rows}")
        }
        if not found:
            out.append(
                {"target": label, "basis": BASIS, "measured": None, "met": False, "note": "size not measured"}
            )
            continue
        worst = max(v["ratio_of_medians"] for v in found.values())
        out.append(
            {"target": label, "basis": BASIS, "measured": worst, "met": worst <= limit, "per_kind": found}
        )
    return out
