"""One pipeline step (pipeline.steps) in a fresh process, as an Airflow task runs it, timed in parts.

Run by bench/groups/tasks.py. Prints one JSON object: the step's result (the next step's input), the
seconds from process start to main (interpreter + site), the import of pipeline.steps, the call itself
(its lazy imports, config, MLflow client, the work), the modules the call loaded, and the peak RSS of
the call (VmHWM, reset just before it) against the in-memory size of the snapshot's frame.
"""

from __future__ import annotations

import time

T_MAIN = time.time()

import argparse  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
from typing import Any  # noqa: E402

HEAVY = (
    "pandas",
    "numpy",
    "sklearn",
    "scipy",
    "mlflow",
    "great_expectations",
    "evidently",
    "boto3",
    "airflow",
)


def _status_kb(field: str) -> int:
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise KeyError(field)


def _reset_hwm() -> bool:
    """Reset the kernel's peak-RSS mark so VmHWM afterwards is the call's own peak (Linux >= 4.0)."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as fh:
            fh.write("5")
    except OSError:
        return False
    return _status_kb("VmHWM") <= _status_kb("VmRSS") + 1024


def _process_start() -> float:
    """When the kernel started this process (so interpreter start-up is measured, not guessed)."""
    import os

    with open("/proc/self/stat", encoding="ascii") as fh:
        ticks = int(fh.read().rsplit(")", 1)[1].split()[19])
    with open("/proc/stat", encoding="ascii") as fh:
        btime = next(int(line.split()[1]) for line in fh if line.startswith("btime"))
    return btime + ticks / os.sysconf("SC_CLK_TCK")


def call(step: str, model: str, args: dict[str, Any]) -> Any:
    from airflow_champion.pipeline import steps

    lineage = {
        "trigger_reason": "bench",
        "dag_id": "bench",
        "run_id": args.get("run_id", "bench"),
        "run_type": "bench",
    }
    if step == "claim":
        return steps.claim(model, args["snapshot"], run_id=args["run_id"], reason="bench", force=True)
    if step == "validate":
        return steps.validate(model, args["snapshot"])
    if step == "check_champion":
        return steps.check_champion(model, args["snapshot"], context=lineage)
    if step == "train":
        return steps.train(
            model, args["snapshot"], expected_sha256=args.get("sha256"), force=True, lineage=lineage
        )
    if step == "evaluate":
        return steps.evaluate(model, args["snapshot"], int(args["challenger"]))
    if step == "promote":
        return steps.promote(model, args["verdict"], actor="bench", context=lineage, run_id=args["run_id"])
    if step == "drift":
        return steps.drift(model, args["snapshot"], lineage=lineage, force=True)
    raise SystemExit(f"unknown step {step!r}")


def frame_mb(model: str, snapshot: str) -> tuple[float, int, int]:
    """In-memory size (deep) of the snapshot's frame as the steps load it; (MB, rows, columns)."""
    from airflow_champion.config import load_config
    from airflow_champion.data.reading import load_snapshot

    df, _ = load_snapshot(load_config(model), snapshot)
    return float(df.memory_usage(deep=True).sum()) / 2**20, len(df), df.shape[1]


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("step")
    p.add_argument("model")
    p.add_argument("--args", default="{}", help="JSON: snapshot, run_id, sha256, challenger, verdict")
    p.add_argument("--frame", action="store_true", help="also report the frame's in-memory size")
    ns = p.parse_args()
    args = json.loads(ns.args)
    t0 = time.perf_counter()
    import airflow_champion.pipeline.steps  # noqa: F401

    t1 = time.perf_counter()
    before = set(sys.modules)
    rss_before = _status_kb("VmRSS")
    exact = _reset_hwm()
    result = call(ns.step, ns.model, args)
    t2 = time.perf_counter()
    peak = _status_kb("VmHWM")
    loaded = sorted(set(sys.modules) - before)
    out: dict[str, Any] = {
        "step": ns.step,
        "result": result,
        "startup_s": round(T_MAIN - _process_start(), 4),
        "import_steps_s": round(t1 - t0, 4),
        "call_s": round(t2 - t1, 4),
        "rss_before_mb": round(rss_before / 1024, 1),
        "call_peak_rss_mb": round(peak / 1024, 1),
        "call_rss_growth_mb": round((peak - rss_before) / 1024, 1),
        "peak_method": "VmHWM reset before the call" if exact else "VmHWM of the process (reset unavailable)",
        "modules_loaded": len(loaded),
        "packages_loaded": sorted(
            {m.split(".")[0] for m in loaded} - set(sys.stdlib_module_names) - {"__main__"}
        ),
        "heavy_loaded": [m for m in HEAVY if m in loaded],
    }
    if ns.frame and "snapshot" in args:
        mb, rows, cols = frame_mb(ns.model, args["snapshot"])
        out.update(frame_mb=round(mb, 2), rows=rows, cols=cols)
    from airflow_champion.reports.jsonsafe import dumps

    print(dumps(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
