"""MlopsOperator maps the error taxonomy onto Airflow: a TransientError is re-raised as it is (Airflow
retries it) with an XCom `last_error` naming it; any other named error is a GateFailed (never retried)
with `gate_error`."""

from __future__ import annotations

from typing import Any

import pytest
from airflow_champion.errors import EvaluationError, TransientError

pytestmark = [pytest.mark.airflow]


class _TI:
    def __init__(self) -> None:
        self.xcom: dict[str, Any] = {}

    def xcom_push(self, key: str, value: Any) -> None:
        self.xcom[key] = value


def _run(exc: Exception) -> tuple[BaseException, dict[str, Any]]:
    from airflow_champion.operators.base import MlopsOperator

    class Raises(MlopsOperator):
        def __init__(self, *, model: str, **kwargs: Any) -> None:  # as every subclass does
            super().__init__(**kwargs)
            self.model = model

        def run(self, context: Any) -> Any:
            raise exc

    ti = _TI()
    with pytest.raises(BaseException) as caught:
        Raises(task_id="t", model="churn").execute({"ti": ti})  # type: ignore[arg-type]
    return caught.value, ti.xcom


def test_a_transient_error_is_retried_and_named_in_last_error() -> None:
    from airflow.sdk.exceptions import AirflowFailException

    message = "churn: cannot load champion v1: ConnectionResetError: reset"
    raised, xcom = _run(TransientError(message))
    assert type(raised) is TransientError and not isinstance(raised, AirflowFailException)
    assert xcom == {"last_error": f"TransientError: {message}"}


def test_a_permanent_error_is_a_gate_failure_named_in_gate_error() -> None:
    from airflow_champion.operators.base import GateFailed

    raised, xcom = _run(EvaluationError("churn: cannot load champion v9: RESOURCE_DOES_NOT_EXIST"))
    assert isinstance(raised, GateFailed)
    assert xcom == {"gate_error": "EvaluationError: churn: cannot load champion v9: RESOURCE_DOES_NOT_EXIST"}
