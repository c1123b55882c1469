"""A DAG-folder probe: parsed by a real `airflow dag-processor`, it records what the parsing process
already has before it runs a DAG file (bench/groups/parsing.py captures it, bench/workers/parse.py
replays it as the fair baseline). It defines no DAG.

The dag-processor forks one process per file from its manager (airflow/dag_processing/processor.py,
`DagFileProcessorProcess.start`), so this file sees the manager's modules, its initialised
singletons (the providers list, the CLI commands, the plugins) and its heap frozen out of the
garbage collector (manager.py: `gc.freeze()` before the parsing loop). Writes JSON to $BENCH_PROBE_OUT.
"""

from __future__ import annotations

import sys

MODULES = sorted(sys.modules)  # before this file imports anything

import gc  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
from typing import Any  # noqa: E402


def _caches(cls: Any) -> list[str] | None:
    instance = getattr(cls, "_instance", None)
    if instance is None:
        return None
    return sorted(getattr(instance, "_initialized_cache", {}) or {})


def capture() -> dict[str, Any]:
    import airflow
    from airflow import plugins_manager
    from airflow.providers_manager import ProvidersManager
    from airflow.sdk.providers_manager_runtime import ProvidersManagerTaskRuntime

    return {
        "airflow_version": airflow.__version__,
        "gc_frozen": gc.get_freeze_count(),  # the manager's gc.freeze() before its parsing loop
        "modules": [m for m in MODULES if m != __name__],
        "providers_manager": _caches(ProvidersManager),
        "providers_manager_runtime": _caches(ProvidersManagerTaskRuntime),
        "plugins_loaded": plugins_manager._get_plugins.cache_info().currsize > 0,
        "process_context": os.environ.get("_AIRFLOW_PROCESS_CONTEXT"),
    }


out = os.environ.get("BENCH_PROBE_OUT")
if out:
    tmp = f"{out}.tmp"
    with open(tmp, "w") as f:
        json.dump(capture(), f)
    os.replace(tmp, out)  # the group polls for the file: it appears whole or not at all
