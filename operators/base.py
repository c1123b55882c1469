"""Shared behaviour of the project's operators: core refusals become non-retried, named failures;
transient faults (errors.TransientError, a lock timeout) are retried by Airflow."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseOperator
from airflow.sdk.exceptions import AirflowFailException
from airflow_champion.errors import MlopsError, TransientError, ValidationFailedError
from airflow_champion.operators.links import ReportLink, report_url
from airflow_champion.sensors.connections import model_credentials

if TYPE_CHECKING:
    from airflow.sdk import Context
    from airflow_champion.config import ModelConfig


class GateFailed(AirflowFailException):
    """A pipeline gate refused (bad config, bad snapshot, lost compare-and-set): retrying cannot help."""


class SnapshotValidationFailed(GateFailed):
    """The snapshot failed its expectation suite; the result is in XCom key `validation_result`."""


def as_bool(value: Any, name: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"true", "1", "yes"}:
        return True
    if text in {"false", "0", "no", "", "none"}:
        return False
    raise GateFailed(f"{name} must be a boolean, got {value!r}")


def as_optional_int(value: Any, name: str) -> int | None:
    if value is None or (isinstance(value, str) and value.strip().lower() in {"", "none", "null"}):
        return None
    if isinstance(value, bool):
        raise GateFailed(f"{name} must be an integer, got {value!r}")
    try:
        number = int(str(value).strip())
    except ValueError:
        raise GateFailed(f"{name} must be an integer, got {value!r}") from None
    if number < 1:
        raise GateFailed(f"{name} must be >= 1, got {number}")
    return number


def snapshot_from_asset_event(context: Context) -> str | None:
    """A run started by a new-snapshot asset event names its snapshot in the event's extra.

    Sensor-made events carry `extra.snapshot_id`; AssetWatcher-made ones `extra.payload.snapshot_id`.
    """
    events = context.get("triggering_asset_events") or {}
    try:
        for _asset, asset_events in events.items():
            for event in reversed(list(asset_events)):
                extra = getattr(event, "extra", None) or {}
                snapshot = extra.get("snapshot_id") or (extra.get("payload") or {}).get("snapshot_id")
                if snapshot:
                    return str(snapshot)
    except (AttributeError, TypeError):
        return None
    return None


def run_type(context: Context) -> str:
    """The run's type as its plain value ("scheduled", "manual", ...): the task SDK's DagRunType is a
    str enum whose str() is "DagRunType.MANUAL", which made every run look manual."""
    value = getattr(context.get("dag_run"), "run_type", "") or ""
    return str(getattr(value, "value", value))


def trigger_reason(context: Context, snapshot: str | None = None) -> str:
    """Why this run exists, as it really was: `cron`, `new snapshot <id>`, `drift: ...` (the drift
    monitor's reason), `rest: <reason>` (a REST/API call that named a reason) or `manual: ...`."""
    from airflow_champion.pipeline.reasons import safe_reason

    params = context.get("params") or {}
    kind = run_type(context)
    if kind == "scheduled":
        return "cron"
    if "asset" in kind:
        return f"new snapshot {snapshot}" if snapshot and snapshot != "latest" else "new snapshot"
    given = safe_reason(str(params.get("reason") or "")).strip()
    if given.startswith("drift:"):
        return given
    if given and given != "manual":
        return safe_reason(f"rest: {given}")
    user = getattr(context.get("dag_run"), "triggering_user_name", None)
    return safe_reason(f"manual: {'by ' + str(user) if user else 'no reason given'}")


def run_lineage(context: Context) -> dict[str, str]:
    """What the model version records about the Airflow run that made it."""
    return {
        "dag_id": str(context["dag"].dag_id),
        "run_id": str(context["run_id"]),
        "run_type": run_type(context),
        "trigger_reason": trigger_reason(context, snapshot_from_asset_event(context)),
    }


def actor(context: Context) -> str:
    dag_run = context.get("dag_run")
    user = getattr(dag_run, "triggering_user_name", None)
    base = f"airflow:{context['dag'].dag_id}/{context['run_id']}"
    return f"{base} by {user}" if user else base


class MlopsOperator(BaseOperator):
    """Base for the gates: holds the model name and maps core errors onto Airflow's failure modes.

    A subclass takes `model` in its own `__init__` and sets `self.model`: this class has no
    `__init__` on purpose. Airflow wraps every class's own `__init__` in `apply_defaults`, and each
    wrapper deep-copies the DAG's params again, so one level less is one copy less per task, at
    every parse of every model (about a tenth of a model's DAG-building time).

    :param model: name of the model config in the config folder (templated)
    """

    template_fields: tuple[str, ...] = ("model",)
    ui_color = "#e8f0fe"
    model: str

    @cached_property
    def cfg(self) -> ModelConfig:
        """The model's config, loaded once per task try in execute() (never in __init__ or at parse)."""
        from airflow_champion.pipeline import steps

        return steps.config(self.model)

    def execute(self, context: Context) -> Any:
        for link in self.operator_extra_links:
            getattr(type(link), "persist")(context, None)  # noqa: B009 - our links only
        try:
            with model_credentials(self.cfg):  # S3 with the model's Airflow connection
                return self.run(context)
        except TransientError as exc:
            # a service blinked, or another run holds the registry lock (LockTimeout): not a GateFailed,
            # so Airflow retries with back-off; the XCom says why
            # this try failed (gate_error stays for refusals, which a retry cannot change)
            context["ti"].xcom_push(key="last_error", value=f"{type(exc).__name__}: {exc}"[:2000])
            raise
        except MlopsError as exc:
            # why the gate refused, readable through the REST API without opening the task log
            context["ti"].xcom_push(key="gate_error", value=f"{type(exc).__name__}: {exc}"[:2000])
            if isinstance(exc, ValidationFailedError):
                context["ti"].xcom_push(key="validation_result", value=exc.result or {"message": str(exc)})
                ReportLink.persist(context, report_url(exc.report_uri))
                raise SnapshotValidationFailed(f"{exc} [result in XCom key 'validation_result']") from exc
            raise GateFailed(f"{type(exc).__name__}: {exc}") from exc

    def run(self, context: Context) -> Any:
        raise NotImplementedError
