"""A time-ordered scenario: late deliveries, with the structure that fools a random holdout.

Events (one row per delivery) happen every day. What makes a delivery late:

* row-level signal: distance, items, the hour (rush hours), the courier's vehicle, the region;
* a **day-level shock** shared by every delivery of a day (a storm, an event, a strike) that the data
  shows only through the day's weather columns, which are constant within the day: a flexible model
  can recognise a day from them and memorise its shock, which helps on other rows of *that* day and
  on no other day;
* **regime changes**: in a few weeks the regions' base rates move (a new depot, a road closure), so a
  model trained after the change is really better; between changes the world is stationary, and a
  newer model is no better than the champion.

Snapshots are **overlapping extracts**, as real feeds are: each weekly snapshot holds the last
`window_days` days (default 28), so three quarters of its rows were already in the previous one.

With a random holdout, rows of the same days sit on both sides: every challenger memorises its
newest days, looks far better than the champion, and is promoted nearly every week, although on the
next week it is no better. A time holdout (judge the latest days, fit on the days before) or a group
holdout on `event_date` (a day is all train or all judged, in every snapshot) judges out of sample.
`tests/core/evaluation/test_backtest.py` measures both with the gate backtest.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from airflow_champion.config import ModelConfig
    from airflow_champion.data.manifest import Manifest

REGIONS = ("north", "south", "east", "west", "centre", "harbour")
VEHICLES = ("bike", "scooter", "car", "van")
TARGET = "late"


def _regime_effects(
    rng: np.random.Generator, weeks: int, changes: tuple[int, ...], size: float
) -> np.ndarray:
    """Base-rate shift of each region in each week: constant within a regime, redrawn at each change."""
    effects = np.zeros((weeks, len(REGIONS)))
    current = rng.normal(0.0, size, len(REGIONS))
    for w in range(weeks):
        if w in changes:
            current = rng.normal(0.0, size, len(REGIONS))
        effects[w] = current
    return effects


def generate_events(
    days: int,
    *,
    start: dt.date = dt.date(2026, 6, 1),
    rows_per_day: int = 400,
    seed: int = 0,
    day_shock_sd: float = 1.2,
    regime_changes: tuple[int, ...] = (7,),
    regime_size: float = 2.0,
    signal: float = 2.5,
) -> pd.DataFrame:
    """Every delivery of `days` days from `start`, seeded (the whole history; snapshots cut it).

    The world is stationary but for the weeks in `regime_changes` (counted from `start`), when every
    region's base rate is redrawn; each day has its own shock (sd `day_shock_sd`, on the log-odds);
    `signal` scales what the row-level features explain."""
    rng = np.random.default_rng(seed)
    regimes = _regime_effects(rng, days // 7 + 2, tuple(regime_changes), regime_size)
    frames = []
    for d in range(days):
        day = start + dt.timedelta(days=d)
        n = int(rng.poisson(rows_per_day))
        shock = rng.normal(0.0, day_shock_sd)
        temp = 18 + 8 * np.sin(2 * np.pi * (d + 30) / 365) + rng.normal(0, 4)
        rain = float(max(0.0, rng.normal(0.0, 6.0)))
        wind = float(abs(rng.normal(14.0, 7.0)))
        hour = rng.integers(7, 23, n)
        region = rng.integers(0, len(REGIONS), n)
        vehicle = rng.integers(0, len(VEHICLES), n)
        distance = np.round(rng.gamma(2.0, 2.2, n), 2)
        items = rng.integers(1, 12, n)
        rush = ((hour >= 11) & (hour <= 13)) | ((hour >= 17) & (hour <= 20))
        slow = np.array([0.6, 0.2, 0.0, -0.3])[vehicle]
        logit = (
            -1.6
            + signal * (0.16 * (distance - 4.4) + 0.9 * rush + slow * (distance > 5) + 0.12 * (items > 6))
            + regimes[d // 7, region]
            + 0.05 * rain
            + shock
        )
        late = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(np.int64)
        seconds = rng.integers(0, 3600, n) + (hour * 3600)
        times = pd.to_datetime(day) + pd.to_timedelta(seconds, unit="s")
        frames.append(
            pd.DataFrame(
                {
                    "event_time": times.tz_localize("UTC"),
                    "event_date": day.isoformat(),
                    "distance_km": distance,
                    "items": items.astype(np.float64),
                    "hour": hour.astype(np.float64),
                    "region": np.array(REGIONS)[region],
                    "vehicle": np.array(VEHICLES)[vehicle],
                    "temperature_c": np.round(np.full(n, temp), 1),
                    "rain_mm": np.round(np.full(n, rain), 1),
                    "wind_kmh": np.round(np.full(n, wind), 1),
                    TARGET: late,
                }
            )
        )
    return (
        pd.concat(frames, ignore_index=True)
        .sort_values("event_time", kind="mergesort")
        .reset_index(drop=True)
    )


def weekly_extracts(
    events: pd.DataFrame, *, first_end: dt.date, weeks: int, window_days: int = 28
) -> list[tuple[str, pd.DataFrame]]:
    """(snapshot id, rows) of `weeks` weekly extracts, each the `window_days` days up to its end date."""
    out = []
    dates = pd.to_datetime(events["event_date"]).dt.date
    for w in range(weeks):
        end = first_end + dt.timedelta(days=7 * w)
        begin = end - dt.timedelta(days=window_days - 1)
        rows = events[(dates >= begin) & (dates <= end)].reset_index(drop=True)
        out.append((end.isoformat(), rows))
    return out


def write_scenario(
    cfg: ModelConfig,
    *,
    weeks: int = 12,
    window_days: int = 28,
    seed: int = 0,
    root: str | None = None,
    **kw: Any,
) -> list[Manifest]:
    """Land the scenario's weekly overlapping extracts as snapshots of `cfg` (ids = end dates)."""
    from airflow_champion.data import snapshots

    start = dt.date(2026, 6, 1)
    days = window_days + 7 * (weeks - 1)
    events = generate_events(days, start=start, seed=seed, **kw)
    first_end = start + dt.timedelta(days=window_days - 1)
    target_root = root if root is not None else cfg.snapshot_root()
    extra = {"generator": f"{__name__}.write_scenario", "seed": seed, "window_days": window_days, **kw}
    return [
        snapshots.write_snapshot(target_root, sid, rows, extra=extra)
        for sid, rows in weekly_extracts(events, first_end=first_end, weeks=weeks, window_days=window_days)
    ]


__all__ = ["REGIONS", "TARGET", "VEHICLES", "generate_events", "weekly_extracts", "write_scenario"]
