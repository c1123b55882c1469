"""The approval task between evaluate and promote (`promotion.approval`): the standard provider's
ApprovalOperator, asked only when the config says this verdict needs a person.

Not needed (the verdict rejects, a shadow run, no condition holds): the task returns at once with
status `not_required`, asks nobody and takes no slot. Needed: it logs the evidence bundle with the
decision pending, writes the request (subject and body with the verdict's numbers and the bundle's
link) and waits without a worker slot (Airflow 3.3 parks the task in `awaiting_input`; older
versions defer to the HITL trigger) until someone answers on the Required Actions page or through
REST (`PATCH .../hitlDetails`). Its timeout's default is
Reject, so no answer ends as `timed_out`, not as a failure.

Unlike the stock operator, a Reject does not skip `promote`: promote records every decision in the
ledger (registry adr/0002), so it runs and records the rejection with who and when, and moves
nothing. The answer is this task's XCom: {status, by, at, asked_because, timeout, approvers}.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from airflow.providers.standard.operators.hitl import ApprovalOperator, HITLOperator
from airflow_champion.operators.base import GateFailed, as_bool

if TYPE_CHECKING:
    from airflow.sdk import Context
    from airflow_champion.config import ModelConfig


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    return value.isoformat(timespec="seconds") if isinstance(value, datetime) else str(value)


class PromotionApprovalOperator(ApprovalOperator):
    """Ask a person to approve the verdict's promotion, when the model's config says so.

    :param model: model config name (templated)
    :param verdict: the evaluation verdict (templated; the evaluate task's output)
    :param shadow: the run's shadow flag (templated); a shadow run moves nothing, so asks nobody
    :param approvers: Airflow user ids who may answer (empty: anyone allowed to edit HITL details)
    :param timeout_text: the config's timeout as written ("72h"), for the rejection's reason
    """

    template_fields = ("model", "verdict", "shadow")
    ui_color = "#fff4d6"

    def __init__(
        self,
        *,
        model: str,
        verdict: Any,
        shadow: Any = False,
        approvers: list[str] | None = None,
        timeout_text: str = "",
        **kwargs: Any,
    ) -> None:
        users = [{"id": u, "name": u} for u in approvers or []]
        super().__init__(
            subject=f"Promote the {model} challenger?",  # replaced by the verdict's numbers at run time
            defaults=self.REJECT,  # what a timeout answers: a clean rejection, not a failed task
            assigned_users=users or None,  # type: ignore[arg-type]
            **kwargs,
        )
        self.model = model
        self.verdict = verdict
        self.shadow = shadow
        self.approvers = list(approvers or [])
        self.timeout_text = timeout_text

    def _cfg(self) -> ModelConfig:
        from airflow_champion.pipeline import steps

        return steps.config(self.model)

    def execute(self, context: Context) -> Any:
        from airflow_champion.registry import approval

        if not isinstance(self.verdict, dict):
            raise GateFailed(f"verdict must be a mapping, got {type(self.verdict).__name__}")
        cfg = self._cfg()
        needed = approval.why_needed(cfg, self.verdict, shadow=as_bool(self.shadow, "shadow"))
        if not needed:
            self.log.info(
                "%s: no approval needed for this verdict (%s)", self.model, self.verdict.get("decision")
            )
            return {"status": approval.NOT_REQUIRED, "asked_because": [], "at": _iso(datetime.now(UTC))}
        self.subject = approval.subject(cfg, self.verdict)
        self.body = approval.body(cfg, self.verdict, needed, self._pending_bundle(cfg, needed, context))
        self.log.info(
            "%s: approval asked (%s); waiting up to %s", self.model, "; ".join(needed), self.timeout_text
        )
        return super().execute(context)  # parks the task until an answer or the timeout

    def _pending_bundle(self, cfg: ModelConfig, needed: list[str], context: Context) -> str | None:
        """Log the evidence bundle with the decision pending, so the body's link opens a page while
        the approver reads it; its MLflow UI URL, or None when it could not be logged."""
        from airflow_champion.pipeline import evidence_record

        request = {"asked_because": needed, "approvers": self.approvers, "timeout": self.timeout_text}
        run = {"dag_id": getattr(context.get("dag"), "dag_id", None), "run_id": context.get("run_id")}
        rec = evidence_record.record_pending(
            cfg, self.verdict, request, actor=self.task_id, context={k: str(v) for k, v in run.items() if v}
        )
        return str(rec["url"]) if rec and rec.get("logged") else None

    def execute_complete(self, context: Context, event: dict[str, Any]) -> Any:
        """The answer, as this task's XCom (never skips promote: it records every answer)."""
        from airflow_champion.registry import approval

        shadow = as_bool(self.shadow, "shadow")
        needed = (
            approval.why_needed(self._cfg(), self.verdict, shadow=shadow)
            if isinstance(self.verdict, dict)
            else []
        )
        base = {"asked_because": needed, "timeout": self.timeout_text, "approvers": self.approvers}
        if event.get("error_type") == "timeout":  # no default applied (older HITL paths): still a rejection
            return {**base, "status": approval.TIMED_OUT, "by": None, "at": _iso(datetime.now(UTC))}
        answered = HITLOperator.execute_complete(self, context=context, event=event)
        chosen = (answered.get("chosen_options") or [self.REJECT])[0]
        user = answered.get("responded_by_user") or {}
        at = _iso(answered.get("responded_at"))
        if event.get("timedout") or not user:
            self.log.info("%s: nobody answered within %s; rejected", self.model, self.timeout_text)
            return {**base, "status": approval.TIMED_OUT, "by": None, "at": at}
        status = approval.APPROVED if chosen == self.APPROVE else approval.REJECTED
        self.log.info("%s: %s by %s at %s", self.model, status, user.get("name"), at)
        return {
            **base,
            "status": status,
            "by": user.get("name") or user.get("id"),
            "by_id": user.get("id"),
            "at": at,
        }


__all__ = ["PromotionApprovalOperator"]
