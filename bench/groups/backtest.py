"""The gate backtest: `mlops replay` over 12 snapshots (each step fits, judges and bootstraps the gate
against the next snapshot's truth), a fresh process per repeat.

The second half of the snapshots has concept drift (the same features, another relation to the
target), so there are weeks where a retrained challenger should win: on stationary data alone a
gate that never promotes would score a perfect agreement."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from harness import MODELS, Scale, base_env, bench_home, figure, generate, log, measure, mlops, write_config

START = "2026-01-05"


def run(scale: Scale, repeat: int, kinds: list[str]) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    for kind in kinds:
        model = MODELS[kind]
        with bench_home(f"replay-{kind}") as home:
            write_config(home / "configs", model, scale=scale)
            env = base_env(home, home / "configs")
            before = scale.backtest_snapshots // 2
            generate(env, model, rows=scale.backtest_rows, weeks=before, start=START)
            changed = (date.fromisoformat(START) + timedelta(weeks=before)).isoformat()
            generate(
                env,
                model,
                rows=scale.backtest_rows,
                weeks=scale.backtest_snapshots - before,
                start=changed,
                extra=("--drift", "concept", "--seed", "1000"),
            )
            runs = [measure(mlops("replay", model), env=env).check() for _ in range(repeat)]
            total = runs[-1].json().get("total")
            figures[f"backtest_{kind}"] = figure(
                runs,
                kind=kind,
                model=model,
                rows=scale.backtest_rows,
                snapshots=scale.backtest_snapshots,
                concept_drift_from=changed,
                total=total,
            )
            log(f"backtest {kind}: {figures[f'backtest_{kind}']['median_s']} s")
    return {"figures": figures}
