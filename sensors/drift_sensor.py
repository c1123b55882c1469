"""Deferrable sensor: waits for a drift verdict and lets a retrain through only if the policy says so."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from airflow.sdk import PokeReturnValue
from airflow.sdk.exceptions import AirflowSkipException
from airflow_champion.sensors.base import ModelSensor
from airflow_champion.sensors.connections import model_credentials
from airflow_champion.sensors.triggers import DriftVerdictTrigger, check_drift

if TYPE_CHECKING:
    from airflow.sdk import Context


class DriftSensor(ModelSensor):
    """Wait for a drift verdict that crosses the model's drift policy, then hand over a retrain request.

    The policy (airflow_champion.monitoring.policy) applies the share of drifted features and effect size, the
    persistence over `consecutive_windows`, the cooldown, and once-per-snapshot. When it says retrain,
    the sensor writes the once-per-snapshot drift marker (atomic) and returns
    `{"snapshot_id", "reason", ...}` for the retrain trigger. When a specific snapshot's verdict is
    awaited and the policy says no, the task is skipped with the policy's reason (so nothing downstream
    runs and the log says why).

    :param model: model config name
    :param snapshot_id: wait for this snapshot's verdict (templated); empty = any new crossing verdict
    """

    template_fields = ("model", "snapshot_id")
    ui_color = "#fde8e8"

    def __init__(self, *, snapshot_id: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.snapshot_id = snapshot_id

    def _snapshot(self) -> str | None:
        """The awaited snapshot, exactly as given (an id that needs trimming is refused, not trimmed)."""
        from airflow_champion.data.ids import validate_snapshot_id

        value = str(self.snapshot_id or "")
        if not value or value.lower() in {"none", "latest"}:
            return None
        return validate_snapshot_id(value)

    def execute(self, context: Context) -> Any:
        if not self.deferrable:
            return super().execute(context)
        self.defer(
            trigger=DriftVerdictTrigger(
                self.model,
                snapshot_id=self._snapshot(),
                poll_seconds=self.poll_seconds,
                aws_conn_id=self.aws_conn_id,
            ),
            method_name="execute_complete",
            timeout=timedelta(seconds=self.timeout) if self.timeout else None,
        )

    def poke(self, context: Context) -> PokeReturnValue:
        decision = check_drift(self.model, self._snapshot(), self.aws_conn_id)
        if decision is None or not (self._snapshot() or decision.get("retrain")):
            return PokeReturnValue(is_done=False)
        return PokeReturnValue(is_done=True, xcom_value=self._accept(context, decision))

    def execute_complete(self, context: Context, event: dict[str, Any] | None = None) -> dict[str, Any]:
        self.fail_on_error(event)
        if not event or "retrain" not in event:
            raise RuntimeError(f"{self.model}: unexpected trigger event {event!r}")
        return self._accept(context, event)

    def _accept(self, context: Context, decision: dict[str, Any]) -> dict[str, Any]:
        from airflow_champion.pipeline import steps
        from airflow_champion.pipeline.reasons import safe_reason

        sid = decision.get("snapshot_id")
        if not decision.get("retrain"):
            raise AirflowSkipException(
                f"{self.model}: no retrain for snapshot {sid}: {decision.get('reason')}"
            )
        by = f"{context['dag'].dag_id}/{context['run_id']}"
        with model_credentials(self.cfg):
            started = steps.record_drift_retrain(self.cfg, decision, by)
        if not started:
            raise AirflowSkipException(
                f"{self.model}: a drift retrain for snapshot {sid} was already started"
            )
        reason = str(decision.get("reason") or "drift")
        self.log.info("Drift policy crossed for %s: %s", self.model, reason)
        return {**decision, "conf": {"snapshot_id": sid, "force": False, "reason": safe_reason(reason)}}
