"""What the project's sensors share: one model's config, deferrable by default, S3 via the amazon hook."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseSensorOperator
from airflow.sdk.exceptions import AirflowException, AirflowSensorTimeout

if TYPE_CHECKING:
    from airflow_champion.config import ModelConfig


class TriggerFailed(AirflowException):
    """The sensor's trigger kept failing to poll (storage unreachable, ...): a task retry may help."""


def _now() -> datetime:
    return datetime.now(UTC)


class ModelSensor(BaseSensorOperator):
    """A sensor about one model. `mode="reschedule"` matters only when `deferrable=False`: a poking
    sensor then still frees its worker slot between pokes.

    :param model: model config name (templated)
    :param deferrable: wait in the triggerer (default) or poke from a worker
    """

    template_fields: tuple[str, ...] = ("model",)
    default_timeout_s: float = 6 * 3600.0

    def __init__(self, *, model: str, deferrable: bool = True, **kwargs: Any) -> None:
        kwargs.setdefault("poke_interval", 60.0)
        kwargs.setdefault("timeout", self.default_timeout_s)
        kwargs.setdefault("mode", "reschedule")
        super().__init__(**kwargs)
        self.model = model
        self.deferrable = deferrable

    @cached_property
    def cfg(self) -> ModelConfig:
        """Loaded once per task try (at execute time, never at DAG parse)."""
        from airflow_champion.pipeline import steps

        return steps.config(self.model)

    @property
    def aws_conn_id(self) -> str:
        return self.cfg.snapshots.aws_conn_id

    @property
    def poll_seconds(self) -> float:
        return self.cfg.snapshots.poll_seconds

    def deferral(self, started_at: str | None = None) -> dict[str, Any]:
        """`defer()` arguments that keep the sensor's `timeout` counted from its first deferral.

        Airflow counts a sensor's timeout from its start (BaseSensorOperator: "time elapsed between
        the first poke and the current time"), but `defer(timeout=...)` starts a new clock at each
        deferral. A sensor that defers again (a lost announce race) therefore passes what is left of
        its timeout, and carries its start along in the resume kwargs. Past the timeout it fails as
        AirflowSensorTimeout (soft_fail applies), naming the model.
        """
        now = _now()
        start = datetime.fromisoformat(started_at) if started_at else now
        if not self.timeout:
            return {"timeout": None, "kwargs": {"started_at": start.isoformat()}}
        left = timedelta(seconds=self.timeout) - (now - start)
        if left <= timedelta(0):
            raise AirflowSensorTimeout(
                f"{self.model}: sensor timed out: waited since {start.isoformat()}, "
                f"over its timeout of {self.timeout:.0f}s"
            )
        return {"timeout": left, "kwargs": {"started_at": start.isoformat()}}

    def fail_on_error(self, event: dict[str, Any] | None) -> None:
        """A trigger's error event becomes a named failure: final for a config error, else retried."""
        if not event or event.get("status") != "error":
            return
        message = str(event.get("message") or f"{self.model}: the trigger failed (no message)")
        if event.get("permanent"):
            from airflow.sdk.exceptions import AirflowFailException

            raise AirflowFailException(message)  # not retried (operators' GateFailed is one layer up)
        raise TriggerFailed(message)
