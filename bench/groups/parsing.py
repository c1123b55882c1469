"""DAG parse time and modules loaded with 1, 10 and 50 model configs (target: <= 0.2 s for 50, no
heavy library loaded), each parse a fresh process as the dag-processor's file processors are.

Two baselines, measured interleaved (bench/workers/parse.py): over `import airflow.sdk`, and over
what a real `airflow dag-processor`'s parsing process has loaded before it runs a file (captured
first from a real dag-processor on a throwaway SQLite DB: bench/workers/processor_probe.py). The
target is judged on the second: it is what a deployment pays per parse.

Bytecode is cached (PYTHONPYCACHEPREFIX in the bench's tmp dir, filled by an untimed warm-up run),
as in any deployment: the shell's PYTHONDONTWRITEBYTECODE would otherwise make every parse compile
the project's modules from source, a cost no dag-processor pays twice.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from harness import (
    BENCH,
    BIN,
    REPO,
    BenchError,
    Scale,
    base_env,
    bench_home,
    figure,
    log,
    measure,
    median_of,
    write_config,
)

WORKER = BENCH / "workers" / "parse.py"
PROBE = BENCH / "workers" / "processor_probe.py"
DAG_FILE = REPO / "dags" / "mlops_models.py"
RUNS = (("importlib", "sdk"), ("importlib", "processor"), ("dagbag", "processor"), ("floor", "processor"))
"""(mode, baseline) of each figure; the target is judged on importlib over the processor. `floor`
rebuilds the same DAGs with a bare operator: importlib minus floor is what the project adds."""
CAPTURE_TIMEOUT_S = 900.0


def with_bytecode_cache(env: dict[str, str], pycache: Path) -> dict[str, str]:
    out = {k: v for k, v in env.items() if k != "PYTHONDONTWRITEBYTECODE"}
    out["PYTHONPYCACHEPREFIX"] = str(pycache)
    return out


def capture_processor_state(root: Path, pycache: Path) -> Path:
    """Run a real `airflow dag-processor` on a folder holding only the probe; its capture's path."""
    home = root / "capture"
    dags = home / "dags"
    dags.mkdir(parents=True)
    shutil.copy(PROBE, dags / "probe.py")
    out = home / "processor_state.json"
    env = with_bytecode_cache(base_env(home, home / "configs"), pycache)
    env.update(AIRFLOW__CORE__DAGS_FOLDER=str(dags), BENCH_PROBE_OUT=str(out))
    airflow_home = Path(env["AIRFLOW_HOME"])
    airflow_home.mkdir(parents=True)
    with (home / "db_migrate.log").open("w") as fh:
        subprocess.run([str(BIN / "airflow"), "db", "migrate"], env=env, stdout=fh, stderr=fh, check=True)
    log_path = home / "dag_processor.log"
    with log_path.open("w") as fh:
        proc = subprocess.Popen(
            [str(BIN / "airflow"), "dag-processor"], env=env, stdout=fh, stderr=fh, start_new_session=True
        )
        deadline = time.monotonic() + CAPTURE_TIMEOUT_S
        try:
            while not out.exists() and proc.poll() is None and time.monotonic() < deadline:
                time.sleep(0.5)  # a bench waiting for another process's file, not a test
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)  # the manager and its file processors
                try:
                    proc.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()
    if not out.exists():
        raise BenchError(f"the dag-processor wrote no capture; its log:\n{log_path.read_text()[-3000:]}")
    return out


def run(scale: Scale, repeat: int) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    root = Path(tempfile.mkdtemp(prefix="bench-parse-"))
    try:
        pycache = root / "pycache"
        state = capture_processor_state(root, pycache)
        log(f"parsing: captured the dag-processor's parsing process ({state})")
        warmed = False
        for n in scale.parse_models:
            with bench_home(f"parse{n}") as home:
                for i in range(n):  # the churn config under n names: n models' worth of DAGs
                    write_config(home / "configs", "churn", name=f"churn_{i:02d}", scale=scale)
                env = with_bytecode_cache(base_env(home, home / "configs"), pycache)
                cmds = {
                    (mode, baseline): [
                        str(BIN / "python"),
                        str(WORKER),
                        str(DAG_FILE),
                        "--baseline",
                        baseline,
                        *(["--state", str(state)] if baseline == "processor" else []),
                        *([f"--{mode}"] if mode != "importlib" else []),
                    ]
                    for mode, baseline in RUNS
                }
                if not warmed:  # fills the bytecode cache; untimed
                    for cmd in cmds.values():
                        measure(cmd, env=env).check()
                    warmed = True
                runs: dict[tuple[str, str], list[Any]] = {key: [] for key in RUNS}
                for _ in range(repeat):  # interleaved: a change of load hits every baseline alike
                    for key, cmd in cmds.items():
                        runs[key].append(measure(cmd, env=env).check())
                for (mode, baseline), measured in runs.items():
                    name = f"parse_{mode}_{baseline}_{n}_models"
                    figures[name] = _figure(measured, models=n, mode=mode, baseline=baseline)
                    log(f"parsing {name}: {figures[name]['parse_median_s']} s, {figures[name]['dags']} DAGs")
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return {"figures": figures, "bytecode": "cached (PYTHONPYCACHEPREFIX, warmed by an untimed run)"}


def _figure(runs: list[Any], **meta: Any) -> dict[str, Any]:
    docs = [r.json() for r in runs]
    fig = figure(runs, **meta)
    first = docs[0]
    fig.update(
        parse_median_s=median_of([d["parse_s"] for d in docs]),
        parse_runs=[d["parse_s"] for d in docs],
        parse_cpu_median_s=median_of([d["parse_cpu_s"] for d in docs]),
        dags=first["dags"],
        import_errors=first["import_errors"],
        modules_loaded_by_file=first["modules_loaded_by_file"],
        top_packages_loaded_by_file=first["top_packages_loaded_by_file"],
        heavy_in_sys_modules=first["heavy_in_sys_modules"],
        heavy_loaded_by_file=first["heavy_loaded_by_file"],
        baseline_import_s=first["baseline_import_s"],
    )
    if meta["mode"] == "dagbag":
        fig["serialize_median_s"] = median_of([d["serialize_s"] for d in docs])
    for key in (
        "baseline_modules",
        "baseline_gc_frozen",
        "baseline_modules_not_importable",
        "baseline_state_not_replayed",
    ):
        if key in first:
            fig[key] = first[key]
    if first.get("baseline_state_not_replayed"):
        raise BenchError(
            f"the processor baseline is not the captured one: {first['baseline_state_not_replayed']}"
        )
    return fig


def targets(result: dict[str, Any]) -> list[dict[str, Any]]:
    figs = result["figures"]

    def biggest(mode: str, baseline: str) -> dict[str, Any]:
        mine = [f for f in figs.values() if f["mode"] == mode and f["baseline"] == baseline]
        return max(mine, key=lambda f: f["models"])

    fair, sdk = biggest("importlib", "processor"), biggest("importlib", "sdk")
    floor = biggest("floor", "processor")
    heavy = sorted(set(fair["heavy_in_sys_modules"]) | set(sdk["heavy_in_sys_modules"]))
    return [
        {
            "target": f"DAG parse of {fair['models']} models <= 0.2 s",
            "basis": "over the dag-processor's parsing process",
            "measured": fair["parse_median_s"],
            "measured_over_airflow_sdk": sdk["parse_median_s"],
            "airflow_floor": floor["parse_median_s"],  # the same DAG shapes with a bare operator
            "met": fair["parse_median_s"] <= 0.2 and fair["models"] >= 50,
        },
        {
            "target": "no pandas/numpy/sklearn/mlflow/great_expectations/evidently/boto3 after parsing",
            "measured": heavy,
            "met": not heavy,
        },
    ]
