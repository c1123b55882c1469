"""Parse dags/mlops_models.py in a fresh process the way Airflow's dag-processor does, timed.

The processor has Airflow (and its DagBag) imported before it reads a DAG file, so those imports are
done first and not counted; what is measured is the DAG file itself (`importlib`, as the processor
executes it), or a whole `DagBag` of the folder (`--dagbag`). Prints one JSON object: seconds, DAGs
built, modules the file loaded, and which heavy libraries are in sys.modules afterwards (none may be).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import time
from pathlib import Path

HEAVY = ("pandas", "numpy", "sklearn", "scipy", "mlflow", "great_expectations", "evidently", "boto3")


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("dag_file", type=Path)
    p.add_argument("--dagbag", action="store_true", help="parse through airflow's DagBag")
    ns = p.parse_args()
    t0 = time.perf_counter()
    import airflow
    import airflow.sdk  # noqa: F401
    from airflow.dag_processing.dagbag import DagBag  # the processor has it (and what it imports) loaded

    t1 = time.perf_counter()
    before = set(sys.modules)
    t2 = time.perf_counter()
    if ns.dagbag:
        bag = DagBag(dag_folder=str(ns.dag_file), safe_mode=False)
        dags, errors = len(bag.dags), {k: str(v)[:300] for k, v in bag.import_errors.items()}
    else:
        spec = importlib.util.spec_from_file_location("bench_parsed_dags", ns.dag_file)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        from airflow.sdk import DAG

        dags, errors = sum(isinstance(v, DAG) for v in vars(module).values()), {}
    t3 = time.perf_counter()
    loaded = set(sys.modules) - before
    out = {
        "parse_s": round(t3 - t2, 4),
        "airflow_import_s": round(t1 - t0, 4),
        "dags": dags,
        "import_errors": errors,
        "modules_loaded_by_file": len(loaded),
        "heavy_in_sys_modules": [m for m in HEAVY if m in sys.modules],
        "heavy_loaded_by_file": [m for m in HEAVY if m in loaded],
    }
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
