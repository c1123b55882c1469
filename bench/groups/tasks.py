"""Per task and per stage, each step a fresh process (as an Airflow task is).

* `tasks`: the chain's steps on a tiny snapshot, where what is left is each task's fixed cost
  (interpreter start, imports, config, MLflow client), plus one `-X importtime` run per step: import
  seconds per top-level package, and the packages each step loads.
* `stages`: the same steps at the e2e sizes (seconds per row of each stage, peak RSS against the
  frame's in-memory size), and validation through GX vs the same checks in pandas.
"""

from __future__ import annotations

from typing import Any

from harness import (
    BENCH,
    BIN,
    MODELS,
    Scale,
    base_env,
    bench_home,
    fits_in_memory,
    generate,
    log,
    measure,
    ratio,
    write_config,
)

from groups import steps_chain
from groups.e2e import estimated_peak_mb


def _chains(scale: Scale, kind: str, rows: int, repeat: int, importtime: bool) -> tuple[dict[str, Any], Any]:
    model = MODELS[kind]
    with bench_home(f"steps-{kind}-{rows}") as home:
        write_config(home / "configs", model, scale=scale)
        env = base_env(home, home / "configs")
        ids = generate(env, model, rows=rows, weeks=1 + repeat)
        steps_chain.warm_up(env, model, ids[0])
        chains = []
        for sid in ids[1:]:
            chains.append(steps_chain.run_chain(env, model, sid))
            log(
                f"steps {kind} {rows} {sid}: "
                + ", ".join(f"{s} {r.wall_s:.1f}s" for s, (r, _) in chains[-1].items())
            )
        summary = steps_chain.summarise(chains, kind=kind, model=model, rows=rows)
        extra: dict[str, Any] = {}
        if importtime:  # train and evaluate again on the last snapshot (train is forced: a new version)
            last = chains[-1]
            args = {
                "snapshot": ids[-1],
                "run_id": "bench-importtime",
                "sha256": last["validate"][1]["result"]["sha256"],
                "challenger": last["train"][1]["result"]["version"],
            }
            for step in ("validate", "train", "evaluate"):
                r = measure(steps_chain.step_cmd(step, model, args, importtime=True), env=env).check()
                extra[step] = steps_chain.import_seconds(r.stderr)
        else:
            cfg_path = home / "configs" / f"{model}.yaml"
            cmd = [
                str(BIN / "python"),
                str(BENCH / "workers" / "validation.py"),
                model,
                ids[-1],
                "--config",
                str(cfg_path),
            ]
            extra = measure(cmd, env=env).check().json()
        return summary, extra


def run_tasks(scale: Scale, repeat: int, kinds: list[str]) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    imports: dict[str, Any] = {}
    for kind in kinds:
        summary, imp = _chains(scale, kind, scale.tiny_rows, repeat, importtime=True)
        for step, fig in summary.items():
            figures[f"task_{step}_{kind}"] = {**fig, "step": step}
        imports[kind] = imp
    return {"figures": figures, "import_seconds_by_package": imports}


def run_stages(scale: Scale, repeat: int, kinds: list[str]) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    comparisons: dict[str, Any] = {}
    skipped: dict[str, str] = {}
    for kind in kinds:
        for rows in scale.e2e_rows:
            why = fits_in_memory(estimated_peak_mb(rows))
            if why:
                skipped[f"{kind}_{rows}"] = why
                continue
            summary, val = _chains(scale, kind, rows, repeat, importtime=False)
            for step, fig in summary.items():
                fig["call_s_per_million_rows"] = round(fig["call_s"] / rows * 1e6, 4)
                figures[f"stage_{step}_{kind}_{rows}"] = {**fig, "step": step}
            figures[f"stage_validation_gx_{kind}_{rows}"] = {
                "median_s": val["gx_s"],
                "runs": val["gx_runs"],
                "rows": rows,
                "kind": kind,
                "engine": "gx",
            }
            figures[f"stage_validation_pandas_{kind}_{rows}"] = {
                "median_s": val["pandas_s"],
                "runs": val["pandas_runs"],
                "rows": rows,
                "kind": kind,
                "engine": "pandas",
            }
            comparisons[f"validation_gx_over_pandas_{kind}_{rows}"] = {
                **ratio(val["gx_runs"], val["pandas_runs"]),
                "verdicts_agree": val["verdicts_agree"],
            }
    return {"figures": figures, "comparisons": comparisons, "skipped": skipped}


def stage_targets(result: dict[str, Any]) -> list[dict[str, Any]]:
    """Peak RSS <= 3x the frame, per task. Imports alone are ~200-400 MB, so with two sizes or more
    the ratio is marginal: (peak at the largest - peak at the smallest) / (frame difference); with one
    size it is the raw growth over the frame (meaningless at small sizes, and said so)."""
    figs = [f for f in result["figures"].values() if "rss_growth_over_frame" in f]
    if not figs:
        return []
    worst: tuple[float, str] | None = None
    sizes = sorted({f["rows"] for f in figs})
    for f in (f for f in figs if f["rows"] == sizes[-1]):
        small = next(
            (g for g in figs if g["rows"] == sizes[0] and g["step"] == f["step"] and g["kind"] == f["kind"]),
            None,
        )
        if len(sizes) > 1 and small is not None and f["frame_mb"] > small["frame_mb"]:
            value = (f["peak_rss_mb"] - small["peak_rss_mb"]) / (f["frame_mb"] - small["frame_mb"])
        else:
            value = f["rss_growth_over_frame"]
        if worst is None or value > worst[0]:
            worst = (round(value, 2), f"{f['step']} ({f['kind']})")
    assert worst is not None
    how = f"marginal, {sizes[0]:,} -> {sizes[-1]:,} rows" if len(sizes) > 1 else "raw growth, one size"
    return [
        {
            "target": f"peak RSS of every task <= 3x the frame ({how})",
            "measured": worst[0],
            "met": worst[0] <= 3,
            "worst": worst[1],
        }
    ]
