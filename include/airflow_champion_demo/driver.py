"""`make demo`: four weeks of a model's life on the embedded default, driven through Airflow.

Airflow runs on SQLite (`airflow dags test`, in-process), MLflow on a SQLite store, snapshots in a
local folder, all under `.mlops/demo/`. This module never imports Airflow: it calls the `airflow`
command of the same virtualenv, exactly as a user would.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from airflow_champion.settings import PROJECT_ROOT


@dataclass(frozen=True)
class Week:
    snapshot_id: str
    rows: int
    seed: int
    label_noise: float
    corruption: str | None
    story: str


CHURN_WEEKS = (
    Week("2026-11-02", 800, 1, 0.25, None, "first, small and noisy snapshot -> first champion (floor check)"),
    Week("2026-11-09", 6000, 2, 0.0, None, "more and cleaner data -> challenger should win"),
    Week("2026-11-16", 6000, 3, 0.35, None, "badly labelled data -> challenger should be rejected"),
    Week("2026-11-23", 6000, 4, 0.0, "out_of_range", "corrupted snapshot -> validation fails, quarantined"),
)


def embedded_env(home: Path) -> dict[str, str]:
    """Environment of the embedded default under `home` (`mlops airflow`'s, from a clean slate: none of
    the shell's AIRFLOW__/MLFLOW_/MLOPS_ settings), with the demo's quieter logs."""
    from airflow_champion.pipeline.airflow_env import airflow_env

    base = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW__", "MLFLOW_", "MLOPS_"))}
    env = airflow_env(home, base)
    env.update({"AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING", "PYTHONWARNINGS": "ignore"})
    return env


def _bin(name: str) -> str:
    return str(Path(sys.executable).parent / name)


def _airflow(env: dict[str, str], *args: str, log: Path) -> int:
    with log.open("a", encoding="utf-8") as fh:
        fh.write(f"\n$ airflow {' '.join(args)}\n")
        fh.flush()
        proc = subprocess.run(
            [_bin("airflow"), *args], env=env, stdout=fh, stderr=subprocess.STDOUT, check=False
        )
    return proc.returncode


def _status(env: dict[str, str], model: str) -> dict[str, Any]:
    out = subprocess.run(
        [_bin("mlops"), "status", model], env=env, capture_output=True, text=True, check=True
    ).stdout
    return dict(json.loads(out))


def _dag_runs(env: dict[str, str], dag_id: str) -> list[dict[str, Any]]:
    """`airflow dags list-runs` as JSON (run_id, state, run_after, logical_date, start_date, end_date)."""
    out = subprocess.run(
        [_bin("airflow"), "dags", "list-runs", dag_id, "-o", "json"], env=env, capture_output=True, text=True
    ).stdout
    try:
        runs = json.loads(out[out.index("[") :])
    except (ValueError, json.JSONDecodeError):
        return []
    return [dict(run) for run in runs if isinstance(run, dict)]


def run_week(
    env: dict[str, str], model: str, number: int, week: Week, log: Path
) -> tuple[int, dict[str, Any]]:
    """One `airflow dags test` of the retrain DAG on the week's snapshot: (exit code, its dag run).

    No logical date is given: `dags test` then uses the current time, and its run's start_date is the
    logical date (Airflow 3.3's `DAG.test`: `start_date=logical_date or run_after`). A past date (the
    snapshot's) made every run start weeks before it ended, so the UI's duration (end_date -
    start_date) read 14-29 days for a 30 s run. The snapshot is named in the run's conf; the run is the
    one `dags list-runs` shows after the call and not before (`dags test` has no --run-id; its run id
    is `manual__<start time>`).
    """
    dag_id = f"{model}_retrain"
    before = {run.get("run_id") for run in _dag_runs(env, dag_id)}
    conf = json.dumps({"snapshot_id": week.snapshot_id, "reason": f"demo week {number}"})
    rc = _airflow(env, "dags", "test", dag_id, "-c", conf, log=log)
    new = [run for run in _dag_runs(env, dag_id) if run.get("run_id") not in before]
    return rc, (new[0] if len(new) == 1 else {"state": "unknown"})


def _duration(run: dict[str, Any]) -> float | None:
    """end_date - start_date of a `list-runs` row, in seconds (what the UI shows as the duration)."""
    try:
        return (
            datetime.fromisoformat(run["end_date"]) - datetime.fromisoformat(run["start_date"])
        ).total_seconds()
    except (KeyError, TypeError, ValueError):
        return None


def prepare_state(home: Path, cfg: Any, weeks: tuple[Week, ...], log: Path) -> dict[str, str]:
    """The weeks' snapshots, a migrated Airflow metadata DB and the serialized DAGs under `home` (`cfg`
    is loaded with MLOPS_HOME=`home`: its snapshot root is there); returns the environment the `airflow`
    calls run with."""
    from airflow_champion_demo import datagen

    (home / "airflow").mkdir(parents=True, exist_ok=True)
    env = embedded_env(home)
    for week in weeks:
        datagen.write_weekly_snapshots(
            cfg,
            start=date.fromisoformat(week.snapshot_id),
            weeks=1,
            rows=week.rows,
            seed=week.seed,
            label_noise=week.label_noise,
            corruption=week.corruption,
        )
    print(f"Wrote {len(weeks)} weekly snapshots to {cfg.snapshot_root()}")

    print("Migrating the Airflow metadata DB (SQLite) ...", flush=True)
    if _airflow(env, "db", "migrate", log=log) != 0:
        raise SystemExit(f"airflow db migrate failed; see {log}")
    _airflow(env, "dags", "reserialize", log=log)
    return env


def _champion_row(status: dict[str, Any]) -> dict[str, Any]:
    """The champion's row from `mlops status` (status holds the alias as a bare version number)."""
    version = status.get("champion")
    rows = [r for r in status.get("versions", []) if r.get("version") == version]
    return rows[0] if rows else {"version": version}


def run_demo(*, reset: bool = True, model: str = "churn") -> dict[str, Any]:
    from airflow_champion.config import load_config
    from airflow_champion.settings import CHECKOUT

    if CHECKOUT is None:
        raise SystemExit(
            "mlops demo runs in a checkout of the repository (its dags/ and shipped churn config); "
            "installed into your Airflow, follow README 'Your own model' instead"
        )
    if model != "churn":
        raise SystemExit(
            "the scripted demo tells the churn story; use `mlops generate` + the DAGs for others"
        )
    home = PROJECT_ROOT / ".mlops" / "demo"
    if reset and home.exists():
        shutil.rmtree(home)  # the demo's own sandbox, never a user's data
    home.mkdir(parents=True, exist_ok=True)
    os.environ["MLOPS_HOME"] = str(home)
    log = home / "demo.log"
    started = time.monotonic()
    print(f"Demo state: {home}   (full log: {log})")

    cfg = load_config(model)
    env = prepare_state(home, cfg, CHURN_WEEKS, log)

    results = []
    decisions = 0
    for i, week in enumerate(CHURN_WEEKS, start=1):
        t0 = time.monotonic()
        print(f"\nWeek {i} ({week.snapshot_id}): {week.story}", flush=True)
        rc, run = run_week(env, model, i, week, log)
        state = str(run.get("state"))
        duration = _duration(run)
        st = _status(env, model)
        ledger = st.get("ledger") or []
        champion = _champion_row(st)
        if len(ledger) > decisions:
            last = ledger[-1]
            decision = f"{last.get('action')} v{last.get('to_version')} ({str(last.get('reason', ''))[:110]})"
        else:
            decision = "none recorded (the run stopped before promotion)"
        decisions = len(ledger)
        took = f"{duration:.0f}s" if duration is not None else "?"
        print(
            f"  airflow run {run.get('run_id', '?')}: {state} (exit {rc}) in {took} "
            f"({time.monotonic() - t0:.0f}s with the CLI); "
            f"champion = v{champion.get('version')}; decision: {decision}"
        )
        quarantine = Path(cfg.snapshot_root()) / week.snapshot_id / "_quarantine"
        if quarantine.exists():
            print(f"  snapshot quarantined; report: {quarantine / 'report.html'}")
        results.append(
            {
                "week": i,
                "snapshot_id": week.snapshot_id,
                "dag_run_id": run.get("run_id"),
                "dag_run_state": state,
                "dag_run_duration_s": None if duration is None else round(duration, 1),
                "exit_code": rc,
            }
        )

    final = _status(env, model)
    champion = _champion_row(final)
    elapsed = time.monotonic() - started
    print("\n=== Result ===")
    print(f"champion: {model} v{champion.get('version')}  (snapshot {champion.get('snapshot_id')})")
    metric = cfg.metric.name
    print(f"champion holdout {metric}: {champion.get(metric)}  (MLflow run {champion.get('run_id')})")
    print("ledger:")
    for entry in final.get("ledger", []):
        print(
            f"  #{entry.get('seq')} {entry.get('action'):9} v{entry.get('from_version')} -> "
            f"v{entry.get('to_version')}  {str(entry.get('reason', ''))[:100]}"
        )
    print(
        f"\nreports: validation/evaluation reports next to each snapshot under {cfg.snapshot_root()} "
        f"and in the MLflow runs under {home / 'mlartifacts'}"
    )
    print(f"same state from the CLI:  MLOPS_HOME={home} .venv/bin/mlops status {model}")
    print(f"MLflow UI:   .venv/bin/mlflow ui --backend-store-uri sqlite:///{home / 'mlflow.db'} --port 5000")
    print(f"Airflow UI:  make airflow-ui MLOPS_HOME={home}   (see README)")
    print(f"demo wall time: {elapsed:.0f}s")
    summary = {"home": str(home), "weeks": results, "status": final, "wall_time_s": round(elapsed, 1)}
    (home / "demo_summary.json").write_text(json.dumps(summary, indent=2, default=str))
    return summary
