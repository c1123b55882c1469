"""The monitors on data nobody here generated: a champion trained on January 2013's New York flights
(time holdout: judged on January's latest days), then the drift monitor on each later month.

The late rate moves with the seasons (about 0.2 in winter, 0.31 in summer, 0.13 in September): the
target signal fires on the months where it moved and on no month where it did not. The champion's
measured score on each month's labels stays near the honest score it was promoted on, so the
performance signal stays quiet; a champion promoted on a random holdout's optimistic score is caught
by the same signal every month. On every month, our per-column drift verdicts equal Evidently's on
the same rows, the 100-value `dest` column included.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.real_data import flights

pytestmark = [pytest.mark.unit, pytest.mark.mlflow, pytest.mark.slow]

TIME = {"policy": "time", "time_column": "time_hour"}


def _champion(cfg: Any, month: str) -> None:
    from airflow_champion.pipeline import steps

    trained = steps.train(cfg, month)
    steps.promote(cfg, steps.evaluate(cfg, month, trained["version"]), actor="test")


@pytest.fixture(scope="module")
def monitored(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    from airflow_champion.data import snapshots
    from airflow_champion.evaluation.performance import champion_performance
    from airflow_champion.monitoring.gate import evaluate_policy
    from airflow_champion.pipeline import steps
    from airflow_champion.registry import tracking

    mp = pytest.MonkeyPatch()
    mp.setenv("MLOPS_HOME", str(tmp_path_factory.mktemp("flights-monitor")))
    for var in ("MLFLOW_TRACKING_URI", "MLOPS_ARTIFACT_ROOT", "MLOPS_LOCK_URL"):
        mp.delenv(var, raising=False)
    months = flights.monthly(fraction=0.5, seed=0)
    cfg = flights.config(holdout=TIME, drift={"cooldown_hours": 0})
    for month, df in months.items():
        snapshots.write_snapshot(cfg.snapshot_root(), month, df.assign(time_hour=df["time_hour"].astype(str)))
    _champion(cfg, "2013-01")
    later = list(months)[1:]
    out: dict[str, Any] = {"verdicts": {}, "decisions": {}, "optimistic": {}}
    for month in later:
        out["verdicts"][month] = steps.drift(cfg, month)
        out["decisions"][month] = evaluate_policy(cfg, month)
    # the same January, promoted on a random holdout (rows of one stormy day on both sides)
    random = flights.config(name="flights_random", snapshots={"root": "snapshots/flights"})
    _champion(random, "2013-01")
    champion = tracking.alias_version(random, tracking.CHAMPION)
    assert champion is not None
    for month in later:
        out["optimistic"][month] = champion_performance(random, months[month], champion)
    yield out
    mp.undo()


def test_the_target_signal_fires_where_the_late_rate_moved(monitored: dict[str, Any]) -> None:
    moved, still = [], []
    for month, v in monitored["verdicts"].items():
        rates = v["target_drift"]["positive_rate"]
        shift = abs(rates["current"] - rates["reference"])
        fired = "target" in monitored["decisions"][month]["fired"]
        (moved if shift > 0.08 else still if shift < 0.03 else []).append((month, fired, round(shift, 3)))
    assert len(moved) >= 3 and all(f for _m, f, _s in moved), moved  # summer and September
    assert len(still) >= 3 and not any(f for _m, f, _s in still), still
    reason = next(d["reason"] for d in monitored["decisions"].values() if "target" in d["fired"])
    assert "positive rate" in reason and reason.startswith("drift: ")


def test_an_honestly_promoted_champion_keeps_its_score_and_the_performance_signal_stays_quiet(
    monitored: dict[str, Any],
) -> None:
    drops = {m: v["performance"]["drop"] for m, v in monitored["verdicts"].items()}
    assert all(v["performance"]["status"] == "ok" for v in monitored["verdicts"].values())
    assert max(drops.values()) < 0.03, drops
    assert not any("performance" in d["fired"] for d in monitored["decisions"].values())


def test_a_champion_promoted_on_an_optimistic_score_is_caught_every_month(monitored: dict[str, Any]) -> None:
    drops = {m: p["drop"] for m, p in monitored["optimistic"].items()}
    assert min(drops.values()) > 0.05, drops  # the random holdout's score was ~0.1 too high


def test_our_drift_verdict_equals_evidentlys_on_every_month(monitored: dict[str, Any]) -> None:
    for month, v in monitored["verdicts"].items():
        agreement = v["evidently"]["agreement"]
        assert agreement["same_rows"] is True, month
        assert agreement["n_agree"] == agreement["n_columns"] == 11, (month, agreement["disagree"])
        assert (
            v["features"]["dest"]["method"] == "jensenshannon" and v["features"]["dest"]["n_categories"] > 80
        )
