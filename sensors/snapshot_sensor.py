"""Deferrable sensor: waits for a new, complete snapshot of a model and announces it as an asset event."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from airflow.sdk import PokeReturnValue
from airflow_champion.sensors.base import ModelSensor
from airflow_champion.sensors.triggers import NewSnapshotTrigger, announce, scan_new_snapshots

if TYPE_CHECKING:
    from airflow.sdk import Context


class NewSnapshotSensor(ModelSensor):
    """Wait for a complete snapshot (manifest present, sha256 matching) that no one has picked up yet.

    Deferrable by default: the wait happens in the triggerer (`NewSnapshotTrigger`), not in a worker
    slot. On resume the sensor announces the snapshot with an atomic create-if-absent marker; if another
    sensor or watcher won that race it goes back to waiting. The announced snapshot is returned (XCom)
    and attached to the sensor's outlet asset event (`extra.snapshot_id`), which starts `<model>_retrain`.

    :param model: model config name
    :param deferrable: wait in the triggerer (default) or poke from a worker
    """

    ui_color = "#fff4e5"
    default_timeout_s = timedelta(days=7).total_seconds()

    def _trigger(self) -> NewSnapshotTrigger:
        return NewSnapshotTrigger(
            self.model, mode="sensor", poll_seconds=self.poll_seconds, aws_conn_id=self.aws_conn_id
        )

    def execute(self, context: Context) -> Any:
        if not self.deferrable:
            return super().execute(context)
        self.defer(trigger=self._trigger(), method_name="execute_complete", **self.deferral())

    def execute_complete(
        self, context: Context, event: dict[str, Any] | None = None, started_at: str | None = None
    ) -> dict[str, Any]:
        self.fail_on_error(event)
        if not event or event.get("status") != "new_snapshot":
            raise RuntimeError(f"{self.model}: unexpected trigger event {event!r}")
        if not self._announce(context, event):
            self.log.info(
                "Snapshot %s was announced by someone else; waiting for the next", event["snapshot_id"]
            )
            # what is left of the sensor's timeout, not a fresh one (nor none): see ModelSensor.deferral
            self.defer(trigger=self._trigger(), method_name="execute_complete", **self.deferral(started_at))
        return self._publish(context, event)

    def poke(self, context: Context) -> PokeReturnValue:
        ready, skipped = scan_new_snapshots(self.model, self.aws_conn_id)
        for sid, why in sorted(skipped.items()):
            if why.startswith(("incomplete", "unusable")):
                self.log.warning("%s: snapshot %s is not picked up: %s", self.model, sid, why)
        for payload in ready:
            if self._announce(context, payload):
                return PokeReturnValue(is_done=True, xcom_value=self._publish(context, payload))
        return PokeReturnValue(is_done=False)

    def _announce(self, context: Context, event: dict[str, Any]) -> bool:
        by = f"sensor:{context['dag'].dag_id}/{context['run_id']}"
        return announce(self.model, str(event["snapshot_id"]), by, self.aws_conn_id)

    def _publish(self, context: Context, event: dict[str, Any]) -> dict[str, Any]:
        payload: dict[str, Any] = {
            k: event[k] for k in ("model", "snapshot_id", "sha256", "rows") if k in event
        }
        for outlet in self.outlets or []:
            context["outlet_events"][outlet].extra = dict(payload)
        self.log.info(
            "New snapshot %s of %s announced (%s rows)",
            payload["snapshot_id"],
            self.model,
            payload.get("rows"),
        )
        return payload
