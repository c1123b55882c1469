"""Every gate beside the overall comparison can reject, through `churn_retrain` on the embedded
default: a slice regression hidden by an overall gain, a worse-calibrated challenger, a serving
budget breach, a feature that copies the label; shadow mode runs every gate and moves no alias;
the same data with none of these defects is promoted (the control that shows each rejection is the
gate's doing).

One module-scoped world: champion v1 from a small, noisy week (time holdout on `event_time`), then
one snapshot per case, each with its config edit (tests/dags/scenarios.py builds the data).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.dags import scenarios

pytestmark = [pytest.mark.airflow, pytest.mark.mlflow, pytest.mark.slow]

BASE = {
    "holdout__policy": "time",
    "holdout__time_column": "event_time",
    "holdout__stratify": False,
    "promotion__bootstrap_unit": "row",
    "promotion__slices": {"by": [{"column": "age", "bins": [60]}], "min_rows": 80, "margin": 0.02},
}
ESTIMATOR = {"class": "sklearn.ensemble.HistGradientBoostingClassifier"}
HGB = {"max_iter": 150, "learning_rate": 0.08, "max_leaf_nodes": 15, "random_state": 0}
CASES = {  # snapshot id -> (config edits on top of BASE, run params)
    "2026-11-09": ({}, {}),  # slice: data with the old customers' labels inverted early on
    "2026-11-16": ({"estimator": {**ESTIMATOR, "params": {**HGB, "class_weight": {0: 1, 1: 10}}}}, {}),
    "2026-11-23": ({"promotion__budgets": {"max_artifact_mb": 0.05, "max_p95_latency_ms": 0.001}}, {}),
    "2026-11-30": ({}, {"shadow": True}),
    "2026-12-01": ({}, {}),  # leak: a feature that copies the label, within its declared range
    "2026-12-07": ({}, {}),  # control: clean data, plain config
}
SLICE, CALIBRATION, BUDGET, SHADOW, LEAK, CONTROL = CASES


def _run(dag: Any, day: int, conf: dict[str, Any]) -> dict[str, Any]:
    dr = dag.test(logical_date=datetime(2027, 2, day, tzinfo=UTC), run_conf=conf)
    tis = {ti.task_id: ti for ti in dr.get_task_instances()}
    ok = str(tis["evaluate"].state) == "success"
    return {
        "state": str(dr.state),
        "tasks": {k: str(t.state) for k, t in tis.items()},
        "verdict": tis["evaluate"].xcom_pull(task_ids="evaluate") if ok else None,
        "promote": tis["promote"].xcom_pull(task_ids="promote") if ok else None,
    }


@pytest.fixture(scope="module")
def world(airflow_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    from airflow_champion.config import load_config
    from airflow_champion.operators.dag_factory import build_dags
    from airflow_champion.registry import ledger, tracking

    tmp = tmp_path_factory.mktemp("gates")
    mp = pytest.MonkeyPatch()
    scenarios.private_home(mp, tmp / "home")
    mp.setenv("MLOPS_CONFIG_DIR", str(scenarios.churn_config(tmp / "base", **BASE)))
    cfg = load_config("churn")
    first = scenarios.with_event_time(scenarios.churn(700, 1, label_noise=0.25), seed=1)
    scenarios.land(cfg, "2026-11-02", first)
    out: dict[str, Any] = {"cfg": cfg, "runs": {}}
    out["runs"]["2026-11-02"] = _run(build_dags("churn")["churn_retrain"], 1, {"snapshot_id": "2026-11-02"})
    for day, (sid, (edits, params)) in enumerate(CASES.items(), start=2):
        data = scenarios.with_event_time(scenarios.churn(8000, day), seed=day)
        if sid == SLICE:
            data = scenarios.labels_inverted_early_for_the_old(data)
        if sid == LEAK:
            data = scenarios.label_copied_into(data, "support_tickets_90d")
        scenarios.land(cfg, sid, data)
        mp.setenv("MLOPS_CONFIG_DIR", str(scenarios.churn_config(tmp / sid, **BASE, **edits)))
        dag = build_dags("churn")["churn_retrain"]
        out["runs"][sid] = {**_run(dag, day, {"snapshot_id": sid, **params}), "champion": None}
        out["runs"][sid]["champion"] = tracking.alias_version(cfg, tracking.CHAMPION)
    out["ledger"] = ledger.read_ledger(cfg)
    yield out
    mp.undo()


def _failing(verdict: dict[str, Any], prefix: str) -> list[str]:
    return [r for r in verdict["reasons"] if r.startswith(prefix)]


def _overall_passed(verdict: dict[str, Any]) -> None:
    """The overall comparison alone would promote: the gain is real (the rejection is the gate's)."""
    assert verdict["diff"] > 0.005 and verdict["ci_low"] > 0, verdict["reasons"]


def test_first_week_makes_champion_v1(world: dict[str, Any]) -> None:
    run = world["runs"]["2026-11-02"]
    assert run["state"] == "success", run["tasks"]
    assert run["verdict"]["decision"] == "promote" and run["verdict"]["budgets"]["artifact_mb"] > 0


def test_a_slice_regression_hidden_by_an_overall_gain_is_rejected(world: dict[str, Any]) -> None:
    run = world["runs"][SLICE]
    v = run["verdict"]
    assert run["state"] == "success", run["tasks"]
    _overall_passed(v)
    assert v["decision"] == "reject" and run["champion"] == 1
    (reason,) = _failing(v, "slice age=>= 60")
    assert "worse than the margin -0.02" in reason and "Holm p" in reason
    rows = {r["slice"]: r for r in v["slices"]["slices"]}
    assert rows[">= 60"]["status"] == "worse" and rows[">= 60"]["diff"] < -0.2
    assert rows["< 60"]["status"] == "ok" and rows["< 60"]["diff"] > 0  # the gain that hides it
    assert v["slices"]["correction"] == "holm" and v["slices"]["tested"] == 2


def test_a_worse_calibrated_challenger_is_rejected(world: dict[str, Any]) -> None:
    run = world["runs"][CALIBRATION]
    v = run["verdict"]
    _overall_passed(v)
    assert v["decision"] == "reject" and run["champion"] == 1
    (reason,) = _failing(v, "calibration: ECE")
    assert "> max_ece_increase 0.03" in reason
    cal = v["calibration"]
    assert cal["ece_increase"] > 0.03 and cal["ece_increase_ci"][0] > 0
    assert not _failing(v, "slice")


def test_a_serving_budget_breach_is_rejected_with_its_numbers(world: dict[str, Any]) -> None:
    run = world["runs"][BUDGET]
    v = run["verdict"]
    _overall_passed(v)
    assert v["decision"] == "reject" and run["champion"] == 1
    size = _failing(v, "serving budget: model artifact")
    latency = _failing(v, "serving budget: p95 predict latency")
    assert size and f"{v['budgets']['artifact_mb']:.4g}" in size[0] and "> max_artifact_mb 0.05" in size[0]
    assert latency and "> max_p95_latency_ms 0.001" in latency[0]


def test_shadow_mode_runs_every_gate_and_moves_no_alias(world: dict[str, Any]) -> None:
    run = world["runs"][SHADOW]
    assert run["state"] == "success", run["tasks"]
    assert run["verdict"]["decision"] == "promote"  # it would have been promoted
    assert run["promote"]["shadow"] is True and run["promote"]["would_promote"] is True
    assert run["champion"] == 1
    (entry,) = [e for e in world["ledger"] if e["action"] == "shadow"]
    assert entry["to_version"] == run["verdict"]["challenger_version"] and entry["from_version"] == 1
    assert entry["reason"].startswith("shadow: would promote")


def test_a_feature_that_copies_the_label_in_range_is_rejected_as_possible_leakage(
    world: dict[str, Any],
) -> None:
    """Validation cannot see it (every value is within 0..200); the gate names the feature."""
    run = world["runs"][LEAK]
    assert run["tasks"]["validate"] == "success"
    v = run["verdict"]
    assert v["decision"] == "reject" and run["champion"] == 1
    (reason,) = _failing(v, "possible leakage: feature 'support_tickets_90d'")
    assert "alone predicts every one of" in reason


def test_the_same_data_without_a_defect_is_promoted(world: dict[str, Any]) -> None:
    run = world["runs"][CONTROL]
    assert run["verdict"]["decision"] == "promote", run["verdict"]["reasons"]
    assert run["champion"] == run["verdict"]["challenger_version"]
    moves = [e["action"] for e in world["ledger"]]
    assert moves == ["promote", "reject", "reject", "reject", "shadow", "reject", "promote"]
