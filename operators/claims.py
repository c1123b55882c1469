"""Gate 0 of a retrain run (claim the snapshot) and its release when the run fails before deciding."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow.sdk.exceptions import AirflowSkipException
from airflow_champion.operators.base import MlopsOperator, as_bool, snapshot_from_asset_event, trigger_reason

if TYPE_CHECKING:
    from airflow.sdk import Context


class SnapshotPickingOperator(MlopsOperator):
    """An operator that works on "a snapshot": the `snapshot_id` param, else the asset event's, else latest.

    :param snapshot_id: snapshot id or "latest" (templated)
    :param force: redo work already done for this snapshot (templated)
    """

    template_fields: tuple[str, ...] = ("model", "snapshot_id", "force")

    def __init__(self, *, model: str, snapshot_id: str = "latest", force: Any = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.model = model
        self.snapshot_id = snapshot_id
        self.force = force

    def requested_snapshot(self, context: Context) -> str:
        requested = str(self.snapshot_id or "latest")
        if requested == "latest":
            return snapshot_from_asset_event(context) or "latest"
        return requested


class ClaimSnapshotOperator(SnapshotPickingOperator):
    """Resolve which snapshot this run trains on and claim it; skip the run if someone else has it.

    Order of precedence: the `snapshot_id` param, then the triggering asset event's snapshot, then the
    newest complete, non-quarantined snapshot ("latest"). A snapshot that another run holds or already
    decided on skips this run (every downstream task is skipped, the log says who has it), unless
    `force` is set.
    `force` takes the snapshot even if it was retrained before.
    """

    def run(self, context: Context) -> dict[str, Any]:
        from airflow_champion.pipeline import decision_log, steps

        requested = self.requested_snapshot(context)
        reason = trigger_reason(context, requested)
        result = steps.claim(
            self.cfg,
            requested,
            run_id=str(context["run_id"]),
            reason=reason,
            force=as_bool(self.force, "force"),
        )
        if not result["granted"]:
            # why this run lost the snapshot, readable through the REST API without the task log
            context["ti"].xcom_push(key="skip_reason", value=str(result["reason"])[:2000])
            raise AirflowSkipException(f"{self.model}: not retraining: {result['reason']}")
        self.log.info("%s", decision_log.claimed(result))
        return {"snapshot_id": result["snapshot_id"], "reason": reason, "generation": result["generation"]}


class ReleaseClaimOperator(MlopsOperator):
    """Teardown of a retrain run: frees the snapshot if the run ended without a decision.

    A quarantined snapshot stays refused anyway (validation quarantines it; the pickers skip it).

    :param snapshot_id: the claimed snapshot (templated; empty when the claim itself never happened)
    """

    template_fields = ("model", "snapshot_id")
    ui_color = "#f3f3f3"

    def __init__(self, *, model: str, snapshot_id: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.model = model
        self.snapshot_id = snapshot_id

    def run(self, context: Context) -> bool:
        from airflow_champion.data.ids import validate_snapshot_id
        from airflow_champion.pipeline import steps

        sid = str(self.snapshot_id or "")
        if sid in {"", "None"}:
            self.log.info("No snapshot was claimed by this run; nothing to release")
            return False
        # exactly the claimed id: trimming it released "2026-11-02" while "2026-11-02\n" stayed claimed
        sid = validate_snapshot_id(sid)
        released = steps.release_claim(self.cfg, sid, str(context["run_id"]), "a gate failed; see the run")
        self.log.info(
            "Claim on snapshot %s %s", sid, "released" if released else "kept (decided, or not ours)"
        )
        return released
