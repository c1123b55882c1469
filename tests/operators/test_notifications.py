"""The model's notifiers against a real SMTP server on loopback (aiosmtpd), through the SMTP
provider's hook and an Airflow connection from the environment, with a task's callback context.

What a whole DAG run mails is in tests/dags/test_retrain_story.py; here: a failure mail, a server
that is down (logged, never raised), text that looks like Jinja (sent as written), the chosen events,
and which tasks the DAG factory gives a notifier.
"""

from __future__ import annotations

import logging
import socket
from pathlib import Path
from typing import Any

import pytest
from airflow_champion.operators import notifications  # Airflow loaded before caplog attaches

from tests.smtp_support import Mailbox, mailbox  # noqa: F401 (a fixture)
from tests.smtp_support import notifications as section

pytestmark = pytest.mark.airflow

LOG_URL = "http://airflow.example/dags/churn_retrain/runs/manual__1/tasks/validate?try_number=1"


class FakeTI:
    """What a notifier reads of the task instance in a callback context."""

    def __init__(self, task_id: str, xcoms: dict[tuple[str, str], Any] | None = None) -> None:
        self.dag_id, self.task_id, self.run_id, self.try_number = "churn_retrain", task_id, "manual__1", 1
        self.log_url = LOG_URL
        self.xcoms = xcoms or {}

    def xcom_pull(self, task_ids: str, key: str = "return_value") -> Any:
        return self.xcoms.get((task_ids, key))


class FakeTask:
    def __init__(self, **rendered: Any) -> None:
        self.__dict__.update(rendered)


@pytest.fixture
def smtp_conn(mailbox: Mailbox) -> Mailbox:  # noqa: F811
    mailbox.clear()
    return mailbox


def _notifier(cls: type[notifications.ModelEventNotifier], *events: str) -> Any:
    return cls(model="churn", to=["ml-team@example.com"], from_email="mlops@example.com", events=list(events))


def test_a_failed_task_is_mailed_with_its_error_and_links(smtp_conn: Mailbox) -> None:
    error = ValueError("snapshot 2026-11-23: 3 of 40 expectations failed (age out of range)")
    context = {"ti": FakeTI("validate"), "exception": error, "params": {"snapshot_id": "2026-11-23"}}
    _notifier(notifications.FailureNotifier, "failure")(context)
    (mail,) = smtp_conn.wait_for(lambda got: len(got) == 1)
    assert mail.mail_from == "mlops@example.com" and mail.rcpt_tos == ["ml-team@example.com"]
    assert mail.subject == "[mlops] churn: churn_retrain.validate failed (ValueError)"
    assert "3 of 40 expectations failed (age out of range)" in mail.html
    assert "2026-11-23" in mail.html and f"href='{LOG_URL.replace('&', '&amp;')}'" in mail.html
    assert "/dags/churn_retrain/runs/manual__1'" in mail.html  # the run's page


def test_an_smtp_server_that_is_down_is_logged_and_never_raised(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("AIRFLOW_CONN_SMTP_DEFAULT", Mailbox(port=port).connection())
    context = {"ti": FakeTI("validate"), "exception": RuntimeError("boom")}
    with caplog.at_level(logging.WARNING, logger=notifications.__name__):
        _notifier(notifications.FailureNotifier, "failure")(context)  # does not raise
    (warning,) = [r.getMessage() for r in caplog.records if r.name == notifications.__name__]
    assert "Could not send the failure notification of churn over connection 'smtp_default'" in warning
    assert "ConnectionRefusedError" in warning


def test_text_that_looks_like_jinja_is_mailed_as_written(smtp_conn: Mailbox) -> None:
    """SmtpNotifier renders its subject and body as templates when it builds them itself; ours are
    finished text, so a reason from the data is never evaluated."""
    result = {"promoted": False, "decision": "reject", "champion": 2, "from_version": 2, "to_version": 3}
    verdict = {"metric": "roc_auc", "challenger_score": 0.7, "reasons": ["{{ 7 * 7 }} <script>x</script>"]}
    context = {
        "ti": FakeTI("promote", {("promote", "return_value"): result}),
        "task": FakeTask(verdict=verdict),
    }
    _notifier(notifications.PromotionNotifier, "promote", "reject")(context)
    (mail,) = smtp_conn.wait_for(lambda got: len(got) == 1)
    assert "{{ 7 * 7 }} &lt;script&gt;" in mail.html and "49" not in mail.html


def test_only_the_chosen_events_are_mailed(smtp_conn: Mailbox) -> None:
    rejected = {"promoted": False, "decision": "reject", "champion": 2, "to_version": 3}
    promoted = {"promoted": True, "decision": "promote", "champion": 3, "from_version": 2, "to_version": 3}
    only_promote = _notifier(notifications.PromotionNotifier, "promote")
    for result in (rejected, promoted):
        only_promote({"ti": FakeTI("promote", {("promote", "return_value"): result}), "task": FakeTask()})
    (mail,) = smtp_conn.wait_for(lambda got: len(got) == 1)
    assert mail.subject.startswith("[mlops] churn: promoted v3 (champion was v2)")
    nothing_moved = {"action": "keep", "reason": "champion holds up", "champion": 2}
    _notifier(notifications.RollbackNotifier, "rollback")(
        {
            "ti": FakeTI("check_champion", {("check_champion", "return_value"): nothing_moved}),
            "task": FakeTask(),
        }
    )
    assert len(smtp_conn.mails) == 1  # a champion check that moved nothing is no rollback


def _callbacks(dags: dict[str, Any]) -> dict[str, list[str]]:
    out = {}
    for dag_id, dag in dags.items():
        for task in dag.tasks:
            kinds = [c.kind for c in [*task.on_success_callback, *task.on_failure_callback]]
            if kinds:
                out[f"{dag_id}.{task.task_id}"] = kinds
    return out


def test_the_dag_factory_attaches_the_notifiers_only_when_configured(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from airflow_champion.operators.dag_factory import build_dags

    from tests.dags import scenarios

    monkeypatch.setenv("MLOPS_CONFIG_DIR", str(scenarios.churn_config(tmp_path / "plain")))
    assert _callbacks(build_dags("churn")) == {}
    edits = {"notifications": section("promote", "rollback", "drift_retrain")}  # no failure, no reject
    monkeypatch.setenv("MLOPS_CONFIG_DIR", str(scenarios.churn_config(tmp_path / "mail", **edits)))
    assert _callbacks(build_dags("churn")) == {
        "churn_retrain.check_champion": ["rollback"],
        "churn_retrain.promote": ["promotion"],
        "churn_rollback.rollback": ["rollback"],
        "churn_drift_monitor.trigger_retrain": ["drift_retrain"],
    }
    edits = {"notifications": section()}  # all events
    monkeypatch.setenv("MLOPS_CONFIG_DIR", str(scenarios.churn_config(tmp_path / "all", **edits)))
    every = _callbacks(build_dags("churn"))
    assert every["churn_retrain.promote"] == ["promotion", "failure"]
    assert all("failure" in kinds for kinds in every.values())
    assert len(every) == sum(len(d.tasks) for d in build_dags("churn").values())
