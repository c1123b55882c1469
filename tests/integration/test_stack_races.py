"""Two retrain runs for one snapshot started at once on the real stack: a REST trigger and a drift
trigger (run id `drift__<snapshot>`, as the drift monitor names it). One trains and decides; the other
is skipped at the claim and says which run has the snapshot."""

from __future__ import annotations

import datetime as dt
from typing import Any

from tests.integration.conftest import STACK_MARKS, AirflowStack
from tests.integration.test_celery_stack_retrain import DAG_ID, _task_logs, _wait_for_run
from tests.integration.test_stack_faults import _land, _ready, _registry, _ti

pytestmark = STACK_MARKS


def _xcom(stack: AirflowStack, run_id: str, task: str, key: str) -> Any:
    path = f"/dags/{DAG_ID}/dagRuns/{run_id}/taskInstances/{task}/xcomEntries/{key}"
    status, body = stack.api("GET", path)
    return body.get("value") if status == 200 and isinstance(body, dict) else None


def test_rest_and_drift_triggers_at_once_retrain_the_snapshot_once(airflow_stack: AirflowStack) -> None:
    stack = airflow_stack
    _ready(stack)
    sid = _land(stack, dt.date(2026, 12, 21), rows=1500, seed=9)
    ledger_before = len(_registry(stack, sid)["ledger"])
    runs = []
    for run_id, reason in ((f"drift__{sid}", "drift: it"), (f"rest__{sid}", "api: it")):
        body = {"dag_run_id": run_id, "logical_date": None, "conf": {"snapshot_id": sid, "reason": reason}}
        status, run = stack.api("POST", f"/dags/{DAG_ID}/dagRuns", body)
        assert status == 200, run
        runs.append(run_id)
    finished = {run_id: _wait_for_run(stack, run_id) for run_id in runs}
    assert all(r["state"] == "success" for r in finished.values()), {r: _task_logs(stack, r) for r in runs}
    claims = {run_id: _ti(stack, run_id, "claim")["state"] for run_id in runs}
    winners = [r for r, state in claims.items() if state == "success"]
    losers = [r for r, state in claims.items() if state == "skipped"]
    assert len(winners) == 1 and len(losers) == 1, claims
    (winner,), (loser,) = winners, losers
    assert _ti(stack, winner, "promote")["state"] == "success"
    assert _ti(stack, loser, "train")["state"] == "skipped"
    why = str(_xcom(stack, loser, "claim", "skip_reason"))
    assert f"run {winner}" in why and sid in why, why

    seen = _registry(stack, sid)
    assert len(seen["versions"]) == 1, seen
    new_entries = seen["ledger"][ledger_before:]
    assert len(new_entries) == 1 and new_entries[0]["context"]["run_id"] == winner, new_entries
    assert seen["champion_verdict"] == "promote"
