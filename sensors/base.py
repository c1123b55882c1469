"""What the project's sensors share: one model's config, deferrable by default, S3 via the amazon hook."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseSensorOperator

if TYPE_CHECKING:
    from airflow_champion.config import ModelConfig


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
