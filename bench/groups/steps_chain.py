"""The retrain chain one step per fresh process (what the DAG's tasks do, without Airflow).

Shared by the `tasks` group (a tiny snapshot: what is left is each task's fixed cost) and the
`stages` group (the e2e sizes: per stage and per row, peak RSS against the frame).
"""

from __future__ import annotations

import json
import re
import uuid
from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from harness import BENCH, Run, figure, measure, mlops

STEPS = ("claim", "validate", "check_champion", "train", "evaluate", "promote", "drift")
WORKER = BENCH / "workers" / "step.py"


def step_cmd(
    step: str, model: str, args: dict[str, Any], *, frame: bool = False, importtime: bool = False
) -> list[str]:
    from harness import BIN

    py = [str(BIN / "python"), *(["-X", "importtime"] if importtime else [])]
    return [*py, str(WORKER), step, model, "--args", json.dumps(args), *(["--frame"] if frame else [])]


def run_chain(
    env: Mapping[str, str], model: str, snapshot: str, *, importtime: bool = False
) -> dict[str, tuple[Run, dict[str, Any]]]:
    """claim -> ... -> promote, then drift, each a fresh process; step -> (run, worker JSON)."""
    run_id = f"bench-{uuid.uuid4().hex[:8]}"
    out: dict[str, tuple[Run, dict[str, Any]]] = {}
    args: dict[str, Any] = {"snapshot": snapshot, "run_id": run_id}
    for step in STEPS:
        run = measure(
            step_cmd(step, model, args, frame=step == "validate", importtime=importtime), env=env
        ).check()
        doc = run.json()
        out[step] = (run, doc)
        res = doc["result"]
        if step == "validate":
            args["sha256"] = res["sha256"]
        elif step == "train":
            args["challenger"] = res["version"]
        elif step == "evaluate":
            args["verdict"] = res
    return out


def warm_up(env: Mapping[str, str], model: str, snapshot: str) -> None:
    """A first `mlops run`: the MLflow store exists and there is a champion, so evaluate predicts both
    models and drift has a reference, as in steady state."""
    measure(mlops("run", model, "--snapshot", snapshot), env=env).check()


_IMPORTTIME = re.compile(r"^import time:\s+(\d+)\s+\|\s+(\d+)\s+\|(\s*)(\S+)")


def import_seconds(stderr: str) -> dict[str, float]:
    """`-X importtime` output -> self seconds summed per top-level package, largest first."""
    per: dict[str, float] = defaultdict(float)
    for line in stderr.splitlines():
        m = _IMPORTTIME.match(line)
        if m:
            per[m.group(4).split(".")[0]] += int(m.group(1)) / 1e6
    top = sorted(per.items(), key=lambda kv: -kv[1])
    return {k: round(v, 3) for k, v in top[:15]}


def summarise(chains: list[dict[str, tuple[Run, dict[str, Any]]]], **meta: Any) -> dict[str, Any]:
    """Per step: the process figure (median of repeats) and the worker's parts (median)."""
    from harness import median_of

    out: dict[str, Any] = {}
    frame = chains[0]["validate"][1].get("frame_mb")
    for step in STEPS:
        runs = [c[step][0] for c in chains]
        docs = [c[step][1] for c in chains]
        fig = figure(runs, **meta)
        for key in ("startup_s", "import_steps_s", "call_s", "call_rss_growth_mb", "rss_before_mb"):
            fig[key] = median_of([d[key] for d in docs])
        fig["modules_loaded"] = docs[-1]["modules_loaded"]
        fig["heavy_loaded"] = docs[-1]["heavy_loaded"]
        fig["packages_loaded"] = docs[-1]["packages_loaded"]
        if frame:
            fig["frame_mb"] = frame
            fig["rss_growth_over_frame"] = round(fig["call_rss_growth_mb"] / frame, 2) if frame else None
            fig["peak_rss_over_frame"] = round(fig["peak_rss_mb"] / frame, 2) if frame else None
        out[step] = fig
    return out
