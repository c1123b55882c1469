"""A gated model through Airflow in one process (`dag.test()`): the approval task parks the run in
`awaiting_input`, and a person answers through the REST API's own handler (the function behind
`PATCH .../hitlDetails`, called with a user, on the embedded metadata DB), as the real stack does
through HTTP (tests/integration/test_stack_approval.py). Reject: promote records who rejected it and
moves nothing; a second answer is refused (409). Approve: the champion moves, the ledger says who.
"""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.dags import scenarios

pytestmark = [pytest.mark.airflow, pytest.mark.mlflow, pytest.mark.slow]


def _answer_when_parked(
    dag_id: str, logical_date: datetime, option: str, user: str, answers: list[Any]
) -> threading.Thread:
    """A person who answers as soon as the approval request of the run at `logical_date` is there
    (and gives up when that run ends unasked); what the handler said, and what it says to a second
    answer, goes to `answers`."""
    from airflow.api_fastapi.auth.managers.simple.user import SimpleAuthManagerUser
    from airflow.api_fastapi.core_api.datamodels.hitl import UpdateHITLDetailPayload
    from airflow.api_fastapi.core_api.routes.public.hitl import update_hitl_detail
    from airflow.models.dagrun import DagRun
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session
    from airflow.utils.state import DagRunState, TaskInstanceState
    from fastapi import HTTPException
    from sqlalchemy import select, update
    from sqlalchemy.orm import joinedload

    def respond(session: Any, run_id: str, chosen: str) -> Any:
        payload = UpdateHITLDetailPayload(chosen_options=[chosen])
        who = SimpleAuthManagerUser(username=user, role="admin")
        try:
            return update_hitl_detail(dag_id, run_id, "approve", payload, who, session, map_index=-1)
        except HTTPException as exc:
            return exc.status_code

    def look(session: Any) -> tuple[Any, Any]:
        run = session.scalars(
            select(DagRun).where(DagRun.dag_id == dag_id, DagRun.logical_date == logical_date)
        ).first()
        if run is None:
            return None, None
        ti = session.scalars(
            select(TaskInstance)
            .where(
                TaskInstance.dag_id == dag_id,
                TaskInstance.run_id == run.run_id,
                TaskInstance.task_id == "approve",
            )
            .options(joinedload(TaskInstance.hitl_detail))
        ).first()
        return run, ti

    def answer() -> None:
        while True:
            with create_session() as session:
                run, ti = look(session)
                if ti is not None and ti.state == TaskInstanceState.AWAITING_INPUT and ti.hitl_detail:
                    detail = ti.hitl_detail
                    answers.append({"subject": detail.subject, "body": detail.body, "run_id": ti.run_id})
                    answers.append(respond(session, ti.run_id, option))
                    break
                if run is not None and run.state in (DagRunState.SUCCESS, DagRunState.FAILED):
                    answers.append(f"run ended unasked: {run.state}")
                    return
            time.sleep(0.5)
        with create_session() as session:
            answers.append(respond(session, answers[0]["run_id"], "Approve"))

    def person() -> None:
        try:
            answer()
        except Exception as exc:  # a broken person must not leave dag.test() waiting for ever
            answers.append(f"{type(exc).__name__}: {exc}")
            with create_session() as session:
                session.execute(
                    update(TaskInstance)
                    .where(TaskInstance.dag_id == dag_id, TaskInstance.task_id == "approve")
                    .where(TaskInstance.state == TaskInstanceState.AWAITING_INPUT)
                    .values(state=TaskInstanceState.FAILED)
                )

    thread = threading.Thread(target=person, name=f"approver-{option}", daemon=True)
    thread.start()
    return thread


@pytest.fixture(scope="module")
def story(
    airflow_db: Path, mlflow_db_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[[int, str, str], dict[str, Any]]]:
    from airflow_champion.config import load_config
    from airflow_champion.operators.dag_factory import build_dags
    from airflow_champion_demo import datagen

    mp = pytest.MonkeyPatch()
    home = tmp_path_factory.mktemp("approval-story")
    shutil.copy(mlflow_db_template, home / "mlflow.db")
    scenarios.private_home(mp, home)
    configs = scenarios.churn_config(home / "configs", promotion__approval={"when": "always"})
    mp.setenv("MLOPS_CONFIG_DIR", str(configs))
    cfg = load_config("churn")
    snapshots = datagen.write_weekly_snapshots(cfg, start=date(2026, 11, 2), weeks=2, rows=800, seed=1)
    dag = build_dags("churn")["churn_retrain"]

    def run(week: int, option: str, user: str) -> dict[str, Any]:
        answers: list[Any] = []
        logical = datetime(2027, 5, week + 1, tzinfo=UTC)
        person = _answer_when_parked(dag.dag_id, logical, option, user, answers)
        conf = {"snapshot_id": snapshots[week].snapshot_id}
        dr = dag.test(logical_date=logical, run_conf=conf)
        person.join(timeout=30)
        tis = {ti.task_id: ti for ti in dr.get_task_instances()}
        return {
            "state": str(dr.state),
            "tasks": {t: str(ti.state) for t, ti in tis.items()},
            "answers": answers,
            "approval": tis["approve"].xcom_pull(task_ids="approve"),
            "promote": tis["promote"].xcom_pull(task_ids="promote"),
        }

    try:
        yield run
    finally:
        mp.undo()


@pytest.mark.timeout(3600)  # a person who never answers would keep dag.test() waiting: fail instead
def test_reject_then_approve_through_the_rest_handler(story: Any) -> None:
    from airflow_champion.config import load_config
    from airflow_champion.registry import ledger, tracking

    rejected = story(0, "Reject", "bob")
    assert rejected["state"] == "success", rejected["tasks"]
    assert len(rejected["answers"]) == 3 and isinstance(rejected["answers"][0], dict), rejected["answers"]
    request, answer, second = rejected["answers"]
    assert request["subject"].startswith("Promote churn v1, the first champion? roc_auc ")
    assert "| challenger v1 |" in request["body"] and "promotion.approval is always" in request["body"]
    assert answer.chosen_options == ["Reject"] and answer.responded_by.name == "bob"
    assert second == 409  # answered once, for good
    assert rejected["tasks"]["promote"] == "success"  # Reject does not skip promote: it records it
    assert rejected["approval"]["status"] == "rejected" and rejected["approval"]["by"] == "bob"
    assert rejected["promote"]["promoted"] is False
    cfg = load_config("churn")
    entry = ledger.read_ledger(cfg)[-1]
    assert (entry["action"], entry["to_version"]) == ("reject", 1)
    assert entry["reason"].startswith("approval rejected by bob at ")
    assert entry["approval"]["by"] == "bob" and entry["approval"]["status"] == "rejected"
    assert tracking.alias_version(cfg, tracking.CHAMPION) is None

    approved = story(1, "Approve", "alice")
    assert approved["state"] == "success", approved["tasks"]
    assert approved["promote"]["promoted"] is True
    entry = ledger.read_ledger(cfg)[-1]
    assert (entry["action"], entry["to_version"]) == ("promote", 2)
    assert entry["approval"]["by"] == "alice" and entry["approval"]["status"] == "approved"
    assert entry["approval"]["at"] == approved["approval"]["at"]
    assert tracking.alias_version(cfg, tracking.CHAMPION) == 2
