"""E-mail on a model's events through Airflow's notifier mechanism: thin notifiers that read the
task's XCom and URLs from the callback context, let pipeline.notify write the message, and send it
with the SMTP provider's SmtpNotifier over the config's Airflow connection.

A notification never decides a task's outcome: Airflow runs these callbacks after the task's state
is final, and a notifier that cannot send (SMTP down, connection missing) logs a warning and
returns, so the gate is neither failed nor retried. How long a dead server can hold the worker is
the connection's `timeout` and `retry_limit` extras (SmtpHook's defaults: 30 s, 5 retries).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from airflow.sdk import BaseNotifier

if TYPE_CHECKING:
    from airflow.sdk import Context
    from airflow_champion.config import ModelConfig
    from airflow_champion.pipeline.notify import Links, Message

log = logging.getLogger(__name__)  # stdlib: Airflow routes it into the task log

KINDS = {  # what a notifier is attached to -> the config events it may send
    "promotion": ("promote", "reject"),
    "rollback": ("rollback",),
    "failure": ("failure",),
    "drift_retrain": ("drift_retrain",),
}


def run_url(dag_id: str, run_id: str) -> str:
    """The Airflow UI page of a DAG run (the same base URL as the task instance's log_url)."""
    from airflow.providers.common.compat.sdk import conf

    base = conf.get("api", "base_url", fallback="http://localhost:8080/").rstrip("/")
    return f"{base}/dags/{dag_id}/runs/{quote(run_id)}"


def airflow_links(context: Context) -> list[tuple[str, str | None]]:
    ti = context["ti"]
    return [("Airflow: task log", ti.log_url), ("Airflow: run", run_url(ti.dag_id, ti.run_id))]


class ModelEventNotifier(BaseNotifier):
    """Base of the model's notifiers: one config's recipients, connection and events.

    Plain values, not the config object: a notifier is made at DAG parse and lives on the task.
    """

    kind = ""

    def __init__(
        self,
        *,
        model: str,
        to: list[str],
        events: list[str],
        smtp_conn_id: str = "smtp_default",
        from_email: str | None = None,
    ) -> None:
        super().__init__()
        self.model = model
        self.to = list(to)
        self.events = list(events)
        self.smtp_conn_id = smtp_conn_id
        self.from_email = from_email

    def message(self, context: Context) -> Message | None:
        """The e-mail for this context, or None when the task's result is not an event to mail."""
        raise NotImplementedError

    def notify(self, context: Context) -> None:
        """Send the message; any error is logged and swallowed (the task's outcome stands)."""
        try:
            msg = self.message(context)
            if msg is None or msg.event not in self.events:
                return
            from airflow.providers.smtp.notifications.smtp import SmtpNotifier

            # subject and html_content are set, so SmtpNotifier renders no template of its own:
            # the message's text (reasons, exception text) is never read as Jinja.
            SmtpNotifier(
                to=self.to,
                from_email=self.from_email,
                subject=msg.subject,
                html_content=msg.html,
                smtp_conn_id=self.smtp_conn_id,
            ).notify(context)
            log.info("Mailed %s: %s", ", ".join(self.to), msg.subject)
        except Exception as exc:
            log.warning(
                "Could not send the %s notification of %s over connection %r (the task's outcome "
                "stands): %s: %s",
                self.kind,
                self.model,
                self.smtp_conn_id,
                type(exc).__name__,
                exc,
                exc_info=True,
            )


def _own_result(context: Context) -> Any:
    ti = context["ti"]
    return ti.xcom_pull(task_ids=ti.task_id)


class PromotionNotifier(ModelEventNotifier):
    """on_success_callback of promote: its XCom says promote or reject (a rejection succeeds too)."""

    kind = "promotion"

    def message(self, context: Context) -> Message | None:
        from airflow_champion.pipeline.notify import promotion_message

        result = _own_result(context)
        if not isinstance(result, dict):
            return None
        verdict = getattr(context["task"], "verdict", None)  # the rendered input promote decided on
        return promotion_message(
            self.model, result, verdict if isinstance(verdict, dict) else None, airflow_links(context)
        )


class RollbackNotifier(ModelEventNotifier):
    """on_success_callback of the rollback DAG's task and of check_champion (automatic rollback)."""

    kind = "rollback"

    def message(self, context: Context) -> Message | None:
        from airflow_champion.pipeline.notify import rollback_message

        result = _own_result(context)
        if not isinstance(result, dict):
            return None
        reason = getattr(context["task"], "reason", None)
        return rollback_message(
            self.model,
            result,
            airflow_links(context),
            reason=reason if isinstance(reason, str) else None,
        )


class FailureNotifier(ModelEventNotifier):
    """on_failure_callback of every task of the model's DAGs (default_args): runs once the task has
    failed for good, not on a failure that will be retried."""

    kind = "failure"

    def message(self, context: Context) -> Message | None:
        from airflow_champion.pipeline.notify import failure_message

        ti = context["ti"]
        params = context.get("params") or {}
        snapshot = params.get("snapshot_id") if hasattr(params, "get") else None
        return failure_message(
            self.model,
            dag_id=ti.dag_id,
            task_id=ti.task_id,
            run_id=ti.run_id,
            error=context.get("exception"),
            try_number=getattr(ti, "try_number", None),
            snapshot_id=str(snapshot) if snapshot else None,
            links=airflow_links(context),
        )


class DriftRetrainNotifier(ModelEventNotifier):
    """on_success_callback of the drift DAG's trigger task: the gate's decision and the started run."""

    kind = "drift_retrain"

    def __init__(self, *, decision_task_id: str = "drift_gate", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.decision_task_id = decision_task_id

    def message(self, context: Context) -> Message | None:
        from airflow_champion.pipeline.notify import drift_retrain_message

        ti = context["ti"]
        decision = ti.xcom_pull(task_ids=self.decision_task_id)
        run_id = ti.xcom_pull(task_ids=ti.task_id, key="trigger_run_id")
        links: Links = airflow_links(context)
        if run_id:
            links = [*links, ("Airflow: started retrain", run_url(f"{self.model}_retrain", str(run_id)))]
        return drift_retrain_message(
            self.model,
            decision if isinstance(decision, dict) else {},
            retrain_run_id=str(run_id) if run_id else None,
            links=links,
        )


_CLASSES: dict[str, type[ModelEventNotifier]] = {
    "promotion": PromotionNotifier,
    "rollback": RollbackNotifier,
    "failure": FailureNotifier,
    "drift_retrain": DriftRetrainNotifier,
}


def notifier(cfg: ModelConfig, kind: str) -> ModelEventNotifier | None:
    """The notifier of `kind` for this model, or None (no `notifications` section, or none of the
    kind's events chosen): the DAG factory passes it as a task's callback either way."""
    spec = cfg.notifications
    if spec is None:
        return None
    events = [e for e in KINDS[kind] if spec.wants(e)]
    if not events:
        return None
    return _CLASSES[kind](
        model=cfg.name,
        to=list(spec.to),
        events=events,
        smtp_conn_id=spec.smtp_conn_id,
        from_email=spec.from_email,
    )


__all__ = [
    "DriftRetrainNotifier",
    "FailureNotifier",
    "ModelEventNotifier",
    "PromotionNotifier",
    "RollbackNotifier",
    "airflow_links",
    "notifier",
    "run_url",
]
