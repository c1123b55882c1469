"""Operator extra links: the URL is persisted to XCom in execute() and read back in get_link()."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from airflow.sdk import BaseOperatorLink

if TYPE_CHECKING:
    from airflow.sdk import BaseOperator, Context
    from airflow.sdk.types import TaskInstanceKey


class _XComUrlLink(BaseOperatorLink):
    name: ClassVar[str] = ""
    key: ClassVar[str] = ""

    @property
    def xcom_key(self) -> str:
        return self.key

    def get_link(self, operator: BaseOperator, *, ti_key: TaskInstanceKey) -> str:
        from airflow.providers.common.compat.sdk import XCom

        try:
            value = XCom.get_value(key=self.key, ti_key=ti_key)
        except Exception:  # the UI must never break because a link is missing
            return ""
        return value if isinstance(value, str) else ""

    @classmethod
    def persist(cls, context: Context, url: str | None) -> None:
        """Always push (an empty value means 'nothing yet'), so the UI never looks up a missing key."""
        context["ti"].xcom_push(key=cls.key, value=url or "")


class MlflowRunLink(_XComUrlLink):
    """The MLflow run a task created (training or evaluation)."""

    name = "MLflow run"
    key = "mlops_link_mlflow_run"


class ModelVersionLink(_XComUrlLink):
    """The registered model version a task trained, promoted or rolled back to."""

    name = "Model version"
    key = "mlops_link_model_version"


class ReportLink(_XComUrlLink):
    """A human-readable report (validation, evaluation, drift)."""

    name = "Report"
    key = "mlops_link_report"


class EvidenceLink(_XComUrlLink):
    """The evidence bundle of the decision a promote task made (validation, training, evaluation,
    lineage, drift context and the decision, in one page on the challenger's MLflow training run)."""

    name = "Evidence"
    key = "mlops_link_evidence"


def report_url(uri: str | None) -> str | None:
    """Turn a stored report's URI into something a browser opens (file:// and s3:// as they are)."""
    if not uri:
        return None
    if "://" in uri:
        return uri
    return f"file://{uri}"
