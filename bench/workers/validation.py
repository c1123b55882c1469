"""Gate 1's checks through Great Expectations (the project's validate_dataframe) vs the same checks in
plain pandas (bare_retrain.pandas_checks), on one loaded frame in one process, both after their
imports and one warm-up call, so only the checking itself is compared. Prints one JSON object."""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("model")
    p.add_argument("snapshot")
    p.add_argument("--config", type=Path, required=True, help="the model's YAML (for the pandas checks)")
    p.add_argument("--repeat", type=int, default=3)
    ns = p.parse_args()
    import yaml
    from airflow_champion.config import load_config
    from airflow_champion.data.reading import load_snapshot
    from airflow_champion.validation.validate import validate_dataframe
    from bare_retrain import pandas_checks

    cfg = load_config(ns.model)
    raw = yaml.safe_load(ns.config.read_text())
    df, _ = load_snapshot(cfg, ns.snapshot)
    gx_ok = validate_dataframe(cfg, df, ns.snapshot).success  # warm-up (GX builds its context once)
    pd_ok = not pandas_checks(raw, df)
    times: dict[str, list[float]] = {"gx": [], "pandas": []}
    for _ in range(ns.repeat):
        t0 = time.perf_counter()
        validate_dataframe(cfg, df, ns.snapshot)
        t1 = time.perf_counter()
        pandas_checks(raw, df)
        t2 = time.perf_counter()
        times["gx"].append(t1 - t0)
        times["pandas"].append(t2 - t1)
    out = {
        "rows": len(df),
        "cols": df.shape[1],
        "gx_s": round(statistics.median(times["gx"]), 4),
        "pandas_s": round(statistics.median(times["pandas"]), 4),
        "gx_runs": [round(t, 4) for t in times["gx"]],
        "pandas_runs": [round(t, 4) for t in times["pandas"]],
        "verdicts_agree": gx_ok == pd_ok,
        "gx_success": gx_ok,
    }
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
