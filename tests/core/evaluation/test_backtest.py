"""The gate backtest on the time-ordered scenario (demo `deliveries`: day-level shocks, one regime
change, weekly 28-day extracts): a random holdout promotes nearly every week against the next-week
truth and overstates its scores; the time holdout agrees with the next week and does not.

These numbers are the measure of the holdout policies; README "Choosing a holdout policy" quotes them.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.unit, pytest.mark.slow]


@pytest.fixture(scope="module")
def scenario() -> tuple[Any, list[str], dict[str, Any]]:
    from airflow_champion.config import load_config
    from airflow_champion_demo.deliveries import generate_events, weekly_extracts

    cfg = load_config("deliveries")
    start = dt.date(2026, 6, 1)
    events = generate_events(28 + 7 * 11, start=start)
    extracts = dict(weekly_extracts(events, first_end=start + dt.timedelta(days=27), weeks=12))
    return cfg, list(extracts), extracts


def _replay(scenario: tuple[Any, list[str], dict[str, Any]], **holdout: Any) -> dict[str, Any]:
    from airflow_champion.evaluation.backtest import replay

    cfg, ids, extracts = scenario
    cfg = cfg.model_copy(update={"holdout": cfg.holdout.model_copy(update=holdout)})
    return replay(cfg, ids, extracts.__getitem__, progress=lambda _line: None)


def test_a_random_holdout_promotes_nearly_every_week_and_overstates_its_scores(scenario: Any) -> None:
    result = _replay(scenario, policy="random", time_column=None)
    t = result["total"]
    assert t["judged_steps"] == 10
    assert t["gate_promotions"] >= 9  # "promoted 10 times out of 10"
    assert t["oracle_promotions"] <= 6  # the next week says the candidate was better about half the time
    assert t["agreement"] <= 0.6
    assert t["optimism_mean"] >= 0.07  # the registered AUC overstates next week's by ~0.1


def test_a_time_holdout_agrees_with_the_next_week(scenario: Any) -> None:
    result = _replay(scenario)  # as shipped: policy time on event_time, day-clustered bootstrap
    t = result["total"]
    assert result["holdout"]["policy"] == "time"
    assert t["agreement"] >= 0.8
    assert t["optimism_mean"] <= 0.03
    assert t["wrong_promotions"] <= 1
    first = result["steps"][0]
    assert first["gate"] == "promote" and first["champion"] is None  # the floor decides the first


def test_replay_writes_its_report_and_touches_no_registry(
    scenario: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from airflow_champion.data import snapshots
    from airflow_champion.pipeline import steps

    cfg, ids, extracts = scenario
    monkeypatch.setenv("MLOPS_HOME", str(tmp_path))
    for sid in ids[:4]:
        snapshots.write_snapshot(cfg.snapshot_root(), sid, extracts[sid])
    lines: list[str] = []
    result = steps.replay(
        "deliveries", to_id=ids[3], overrides={"promotion": {"bootstrap_samples": 200}}, progress=lines.append
    )
    assert [s["snapshot_id"] for s in result["steps"]] == ids[:4]
    assert len(lines) == 4 and lines[0].startswith("replay deliveries 1/4")
    saved = json.loads(Path(result["json_uri"].removeprefix("file://")).read_text())
    assert saved["total"] == result["total"] and saved["promotion"]["bootstrap_samples"] == 200
    page = Path(result["report_uri"].removeprefix("file://")).read_text()
    assert "Gate backtest of deliveries" in page and "Nothing was registered" in page
    assert not (tmp_path / "mlflow.db").exists()  # no MLflow store was even opened
    assert snapshots.list_snapshot_ids(cfg.snapshot_root()) == ids[:4]  # _replays is not a snapshot
