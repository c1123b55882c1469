"""The gate backtest as a task: `<model>_replay`, a thin call into pipeline.steps.replay."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow_champion.operators.base import GateFailed, MlopsOperator
from airflow_champion.operators.links import ReportLink, report_url

if TYPE_CHECKING:
    from airflow.sdk import Context


class ReplayGateOperator(MlopsOperator):
    """Backtest the model's gate over its past snapshots; registers nothing and moves no alias.

    :param from_id: first snapshot id, empty for the oldest (templated)
    :param to_id: last snapshot id, empty for the newest (templated)
    :param overrides: config sections to try instead, e.g. ``{"holdout": {"policy": "time"}}`` (templated)
    """

    template_fields = ("model", "from_id", "to_id", "overrides")
    operator_extra_links = (ReportLink(),)
    ui_color = "#eef7ee"

    def __init__(
        self,
        *,
        model: str,
        from_id: Any = None,
        to_id: Any = None,
        overrides: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.model = model
        self.from_id = from_id
        self.to_id = to_id
        self.overrides = overrides

    def run(self, context: Context) -> dict[str, Any]:
        from airflow_champion.pipeline import steps

        overrides = self.overrides or None
        if overrides is not None and not isinstance(overrides, dict):
            raise GateFailed(
                f"overrides must be a mapping of config sections, got {type(overrides).__name__}"
            )
        result = steps.replay(
            self.cfg,
            from_id=_optional(self.from_id),
            to_id=_optional(self.to_id),
            overrides=overrides,
            overrides_source="the overrides param",
            replay_id=_replay_id(str(context["run_id"])),
            progress=self.log.info,
        )
        ReportLink.persist(context, report_url(result.get("report_uri")))
        t = result["total"]
        self.log.info(
            "Backtest of %s (%s): agreement %s over %s steps, %s wrong and %s missed promotions, "
            "optimism %s, regret %s",
            self.model,
            result["holdout"]["policy"],
            t["agreement"],
            t["judged_steps"],
            t["wrong_promotions"],
            t["missed_promotions"],
            t["optimism_mean"],
            t["regret_total"],
        )
        return {k: result[k] for k in ("model", "replay_id", "total", "report_uri", "json_uri")}


def _optional(value: Any) -> str | None:
    """A rendered optional param: empty (or None) means "not given"."""
    text = "" if value is None else str(value).strip()
    return None if text in {"", "None"} else text


def _replay_id(run_id: str) -> str:
    """One report folder per Airflow run (a retried task rewrites its own), as a valid id."""
    import re

    return re.sub(r"[^A-Za-z0-9._-]", "-", run_id).strip("-._")[:64] or "replay"
