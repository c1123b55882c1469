"""Parse dags/mlops_models.py in a fresh process the way Airflow's dag-processor does, timed.

Only the DAG file is timed; what the parsing process already has is loaded first, untimed, by one of
two baselines:

* `sdk`: `import airflow.sdk` and the DagBag module, the least a process that parses DAGs has;
* `processor` (fair): what `airflow dag-processor`'s parsing process has before it runs a file. The
  manager forks that process (airflow/dag_processing/processor.py), so it starts with the manager's
  modules and singletons (providers list, CLI commands, plugins) and its heap frozen out of the
  garbage collector (`gc.freeze()`), plus the `airflow.*` modules the DAG file names, which the
  manager pre-imports (`_pre_import_airflow_modules`). `--state` is that
  process's capture (bench/workers/processor_probe.py, run by a real dag-processor); it is replayed
  here: the same modules imported, the same initialisers called.

Modes: `importlib` executes the file as the processor's DagBag does; `--dagbag` runs a whole DagBag
of it and then serialises every DAG, as the processor does before it sends them to the manager
(`serialize_s`, reported apart); `--floor` parses the file untimed, then times rebuilding the same
DAGs (ids, schedules, params, default args, tasks, edges) with a bare operator: Airflow's own cost
for these shapes, so importlib minus floor is what this project adds (an optimistic floor: the
untimed parse has warmed Airflow's caches). Prints one JSON object.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

HEAVY = ("pandas", "numpy", "sklearn", "scipy", "mlflow", "great_expectations", "evidently", "boto3")
SKIP = ("__main__", "__mp_main__", "unusual_prefix_")  # the processes' own entry and DAG modules


def sdk_baseline() -> dict[str, Any]:
    import airflow
    import airflow.sdk  # noqa: F401
    from airflow.dag_processing.dagbag import DagBag  # noqa: F401

    return {}


def _replay_caches(instance: Any, names: list[str] | None) -> list[str]:
    """Call the initialisers whose caches the captured process had filled; the names it cannot map."""
    special = {"config": "initialize_providers_configuration"}
    unmapped = []
    for name in names or []:
        candidates = [special.get(name, ""), f"initialize_providers_{name}", f"initialize_{name}"]
        method = next((getattr(instance, c) for c in candidates if c and hasattr(instance, c)), None)
        if method is None:
            unmapped.append(name)
        else:
            method()
    return unmapped


def processor_baseline(dag_file: Path, state_file: Path) -> dict[str, Any]:
    state = json.loads(state_file.read_text())
    os.environ["_AIRFLOW_PROCESS_CONTEXT"] = state.get("process_context") or "client"
    failed = []
    for name in state["modules"]:
        if name in sys.modules or name.startswith(SKIP):
            continue
        try:
            importlib.import_module(name)
        except Exception:  # a module only the manager's own process could import (its _cffi builds)
            failed.append(name)
    import airflow
    import structlog
    from airflow import plugins_manager
    from airflow.dag_processing.processor import _pre_import_airflow_modules
    from airflow.providers_manager import ProvidersManager
    from airflow.sdk.providers_manager_runtime import ProvidersManagerTaskRuntime

    unmapped = _replay_caches(ProvidersManager(), state.get("providers_manager"))
    unmapped += _replay_caches(ProvidersManagerTaskRuntime(), state.get("providers_manager_runtime"))
    if state.get("plugins_loaded"):
        plugins_manager.ensure_plugins_loaded()
    _pre_import_airflow_modules(str(dag_file), structlog.get_logger())
    if state.get("gc_frozen"):
        import gc

        gc.freeze()  # the manager's heap is out of the collector's reach in its forked children
    return {
        "baseline_modules": len(state["modules"]),
        "baseline_gc_frozen": bool(state.get("gc_frozen")),
        "baseline_modules_not_importable": failed[:50],
        "baseline_state_not_replayed": unmapped,
        "baseline_airflow_version": state.get("airflow_version"),
        "airflow_version": airflow.__version__,
    }


def parse(dag_file: Path, dagbag: bool) -> tuple[int, dict[str, str], list[Any]]:
    """The measured work: DAGs built, import errors, the DAG objects (serialised after the timer)."""
    if dagbag:
        from airflow.dag_processing.dagbag import BundleDagBag

        bag = BundleDagBag(
            dag_folder=str(dag_file),
            bundle_path=dag_file.parent,
            bundle_name="dags-folder",
            load_op_links=False,
        )
        errors = {k: str(v)[:300] for k, v in bag.import_errors.items()}
        return len(bag.dags), errors, list(bag.dags.values())
    spec = importlib.util.spec_from_file_location("bench_parsed_dags", dag_file)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    from airflow.sdk import DAG

    return sum(isinstance(v, DAG) for v in vars(module).values()), {}, []


def real_dags(dag_file: Path) -> list[Any]:
    """The file's DAGs, built untimed: the shapes `--floor` rebuilds."""
    spec = importlib.util.spec_from_file_location("bench_floor_shapes", dag_file)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    from airflow.sdk import DAG

    return [v for v in vars(module).values() if isinstance(v, DAG)]


def floor_inputs(dags: list[Any]) -> list[dict[str, Any]]:
    """What rebuilding each DAG needs, copied before the timer starts."""
    import copy

    return [
        {
            "kwargs": {
                "dag_id": f"{dag.dag_id}__floor",
                "schedule": dag.timetable,
                "start_date": dag.start_date,
                "catchup": dag.catchup,
                "max_active_runs": dag.max_active_runs,
                "default_args": dict(dag.default_args),
                "params": copy.deepcopy(dag.params),
                "tags": list(dag.tags),
                "description": dag.description,
                "doc_md": dag.doc_md,
            },
            "tasks": [(t.task_id, sorted(t.upstream_task_ids)) for t in dag.topological_sort()],
        }
        for dag in dags
    ]


def bare_operator() -> type:
    from airflow.sdk import BaseOperator

    class Bare(BaseOperator):
        def execute(self, context: Any) -> None:
            return None

    return Bare


def floor_build(inputs: list[dict[str, Any]], bare: type) -> int:
    """The same DAGs (ids, schedules, params, default args, tasks and edges) with a bare operator:
    what Airflow itself charges for these shapes, with nothing of ours in the loop."""
    from airflow.sdk import DAG

    for shape in inputs:
        with DAG(**shape["kwargs"]):
            tasks: dict[str, Any] = {}
            for task_id, upstream in shape["tasks"]:
                tasks[task_id] = bare(task_id=task_id)
                for up in upstream:
                    tasks[up] >> tasks[task_id]
    return len(inputs)


def serialize(dags: list[Any]) -> float:
    """What the processor does with the bag before sending it (processor._serialize_dags)."""
    from airflow.serialization.serialized_objects import DagSerialization

    t0 = time.perf_counter()
    for dag in dags:
        DagSerialization.to_dict(dag)
    return round(time.perf_counter() - t0, 4)


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("dag_file", type=Path)
    p.add_argument("--dagbag", action="store_true", help="parse through a DagBag, then serialise")
    p.add_argument("--floor", action="store_true", help="time only rebuilding the file's DAG shapes")
    p.add_argument("--baseline", choices=("sdk", "processor"), default="sdk")
    p.add_argument("--state", type=Path, help="processor_probe.py's capture (--baseline processor)")
    p.add_argument("--profile", type=Path, help="write cProfile stats of the timed part here")
    ns = p.parse_args()
    t0 = time.perf_counter()
    if ns.baseline == "processor":
        if ns.state is None:
            p.error("--baseline processor needs --state")
        info = processor_baseline(ns.dag_file, ns.state)
    else:
        info = sdk_baseline()
    t1 = time.perf_counter()
    shapes = floor_inputs(real_dags(ns.dag_file)) if ns.floor else []
    bare = bare_operator() if ns.floor else None
    before = set(sys.modules)  # with --floor, after the untimed real parse
    profiler = None
    if ns.profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    c2, t2 = time.process_time(), time.perf_counter()
    if ns.floor:
        dags, errors, objects = floor_build(shapes, bare), {}, []
    else:
        dags, errors, objects = parse(ns.dag_file, ns.dagbag)
    t3, c3 = time.perf_counter(), time.process_time()
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(str(ns.profile))
    loaded = set(sys.modules) - before
    out = {
        "baseline": ns.baseline,
        "floor": ns.floor,
        "parse_s": round(t3 - t2, 4),
        "parse_cpu_s": round(c3 - c2, 4),
        "serialize_s": serialize(objects) if ns.dagbag else None,
        "baseline_import_s": round(t1 - t0, 4),
        "dags": dags,
        "import_errors": errors,
        "modules_loaded_by_file": len(loaded),
        "heavy_in_sys_modules": [m for m in HEAVY if m in sys.modules],
        "heavy_loaded_by_file": [m for m in HEAVY if m in loaded],
        "top_packages_loaded_by_file": sorted({m.split(".")[0] for m in loaded}),
        **info,
    }
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
