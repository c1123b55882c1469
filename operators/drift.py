"""The drift monitor task: newest snapshot vs the champion's training reference."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow.sdk.exceptions import AirflowSkipException
from airflow_champion.operators.base import as_bool, run_lineage
from airflow_champion.operators.claims import SnapshotPickingOperator
from airflow_champion.operators.links import MlflowRunLink, ReportLink, report_url

if TYPE_CHECKING:
    from airflow.sdk import Context


class DriftMonitorOperator(SnapshotPickingOperator):
    """Compute the drift verdict (own vectorised engine) and a bounded Evidently report.

    The verdict JSON is the task's XCom and is stored next to the snapshot and in an MLflow run; the
    Evidently HTML is linked from the task ("Report").

    :param snapshot_id: snapshot id or "latest" (templated; an asset-triggered run uses the event's)
    :param force: recompute even if this snapshot was already checked against this champion (templated)
    """

    operator_extra_links = (MlflowRunLink(), ReportLink())
    ui_color = "#fde8e8"

    def run(self, context: Context) -> dict[str, Any]:
        from airflow_champion.monitoring.monitor import NoChampionError
        from airflow_champion.pipeline import steps

        requested = self.requested_snapshot(context)
        try:
            verdict = steps.drift(
                self.cfg, requested, lineage=run_lineage(context), force=as_bool(self.force, "force")
            )
        except NoChampionError as exc:
            raise AirflowSkipException(f"{self.model}: no drift check: {exc}") from exc
        MlflowRunLink.persist(context, verdict.get("run_url"))
        ReportLink.persist(context, report_url(verdict.get("report_uri")))
        self.log.info(
            "Drift on %s snapshot %s vs champion v%s: %s (share %s; drifted: %s)",
            self.model,
            verdict.get("snapshot_id"),
            verdict.get("champion_version"),
            "DRIFT" if verdict.get("drifted") else "no drift",
            verdict.get("share_drifted"),
            ", ".join(verdict.get("drifted_features") or []) or "none",
        )
        return verdict
