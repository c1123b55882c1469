"""Monitors that fire on real change, through `churn_drift_monitor` on the embedded default.

Champion v1 from a clean week. Then a week whose churn rate jumps while the inputs stay put (target
drift), and a week whose labels are swapped between random pairs (the rate and the inputs stay put,
the champion's measured score drops). Each starts exactly one retrain, whose reason names the signal
and its numbers; checking the same week again starts none. A clean week says "no drift".
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.dags import scenarios
from tests.dags.test_drift_retrain import _retrain_runs, _task_states

pytestmark = [pytest.mark.airflow, pytest.mark.mlflow, pytest.mark.slow]

FIRST, CLEAN, RATE_JUMP, SWAPPED = "2026-11-30", "2026-12-07", "2026-12-14", "2026-12-21"
"""Ids no other test module uses: the session's Airflow DB keeps every `drift__<snapshot>` run."""
EDITS = {"drift__cooldown_hours": 0}  # three verdicts in one test run: no cooldown between them


@pytest.fixture(scope="module")
def story(airflow_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    from airflow_champion.config import load_config
    from airflow_champion.operators.dag_factory import build_dags

    tmp = tmp_path_factory.mktemp("drift-signals")
    mp = pytest.MonkeyPatch()
    scenarios.private_home(mp, tmp / "home")
    mp.setenv("MLOPS_CONFIG_DIR", str(scenarios.churn_config(tmp / "configs", **EDITS)))
    cfg = load_config("churn")
    scenarios.land(cfg, FIRST, scenarios.churn(3000, 1))
    scenarios.land(cfg, CLEAN, scenarios.churn(3000, 2))
    scenarios.land(
        cfg, RATE_JUMP, scenarios.more_positives(scenarios.churn(3000, 3), share_of_negatives=0.4, seed=3)
    )
    scenarios.land(cfg, SWAPPED, scenarios.swapped_labels(scenarios.churn(3000, 4), pairs_share=0.45, seed=4))
    dags = build_dags("churn")
    retrain, monitor = dags["churn_retrain"], dags["churn_drift_monitor"]
    day = iter(range(1, 28))

    def run(dag: Any, conf: dict[str, Any]) -> Any:
        return dag.test(logical_date=datetime(2027, 4, next(day), tzinfo=UTC), run_conf=conf)

    out: dict[str, Any] = {"cfg": cfg}
    run(retrain, {"snapshot_id": FIRST})
    for sid in (CLEAN, RATE_JUMP, SWAPPED):
        # the rate jump also costs the champion some AUC: with the performance signal off, the target
        # signal alone must start the retrain
        alone = {"drift__signals": {"performance": {"enabled": False}}} if sid == RATE_JUMP else {}
        mp.setenv("MLOPS_CONFIG_DIR", str(scenarios.churn_config(tmp / f"configs-{sid}", **EDITS, **alone)))
        before = _retrain_runs()
        first = run(monitor, {"snapshot_id": sid})
        after_first = _retrain_runs()
        again = run(monitor, {"snapshot_id": sid})
        out[sid] = {
            "first": first,
            "again": again,
            "started": [r for r in after_first if r not in before],
            "started_again": [r for r in _retrain_runs() if r not in after_first],
        }
    yield out
    mp.undo()


def _decision(dr: Any) -> dict[str, Any]:
    return dr.get_task_instance("drift_gate").xcom_pull(task_ids="drift_gate")


def _verdict(dr: Any) -> dict[str, Any]:
    return dr.get_task_instance("monitor").xcom_pull(task_ids="monitor")


def test_a_clean_week_says_no_drift_and_starts_nothing(story: dict[str, Any]) -> None:
    s = story[CLEAN]
    assert _task_states(s["first"])["trigger_retrain"] == "skipped" and not s["started"]
    perf = _verdict(s["first"])["performance"]
    assert perf["status"] == "ok" and perf["drop"] < 0.03 and perf["unseen_rows"] > 2000


def test_a_churn_rate_jump_starts_exactly_one_retrain_named_by_its_signal(story: dict[str, Any]) -> None:
    s = story[RATE_JUMP]
    verdict = _verdict(s["first"])
    assert verdict["drifted"] is False  # the inputs did not move: feature drift alone would miss it
    td = verdict["target_drift"]
    assert td["positive_rate"]["current"] - td["positive_rate"]["reference"] > 0.2
    assert _task_states(s["first"]) == {
        "monitor": "success",
        "drift_gate": "success",
        "trigger_retrain": "success",
    }
    decision = _decision(s["first"])
    assert decision["fired"] == ["target"], decision["reason"]
    ((run_id, _type, conf),) = s["started"]
    assert run_id == f"drift__{RATE_JUMP}" and conf["reason"].startswith("drift: ")
    assert "target drift jensenshannon" in conf["reason"] and "positive rate" in conf["reason"]
    assert s["started_again"] == []


def test_a_measured_champion_drop_starts_exactly_one_retrain(story: dict[str, Any]) -> None:
    s = story[SWAPPED]
    verdict = _verdict(s["first"])
    assert verdict["drifted"] is False
    td = verdict["target_drift"]
    assert abs(td["positive_rate"]["current"] - td["positive_rate"]["reference"]) < 0.05
    perf = verdict["performance"]
    assert perf["drop"] > 0.1 and perf["score"] < perf["promoted_score"]
    decision = _decision(s["first"])
    assert decision["fired"] == ["performance"], decision["reason"]
    ((run_id, _type, conf),) = s["started"]
    assert run_id == f"drift__{SWAPPED}"
    assert "champion roc_auc" in conf["reason"] and "it was promoted on: drop" in conf["reason"]
    assert s["started_again"] == []
