"""Loading the champion (or the challenger) in evaluation: a blink of the registry or artifact store is
a TransientError (the task is retried), a missing version or a corrupt artifact an EvaluationError."""

from __future__ import annotations

from typing import Any

import pytest
from airflow_champion.errors import EvaluationError, TransientError

pytestmark = pytest.mark.unit


def _missing() -> Exception:
    from mlflow.exceptions import MlflowException
    from mlflow.protos.databricks_pb2 import RESOURCE_DOES_NOT_EXIST

    return MlflowException("Model Version (name=churn, version=9) not found", RESOURCE_DOES_NOT_EXIST)


@pytest.mark.parametrize(
    ("fault", "expected"),
    [
        (lambda: ConnectionResetError("reset by peer"), TransientError),
        (lambda: TimeoutError("read timed out"), TransientError),
        (_missing, EvaluationError),
        (lambda: ValueError("not a skops file"), EvaluationError),
    ],
    ids=["connection reset", "timeout", "missing version", "corrupt artifact"],
)
def test_loading_a_version_is_classified(
    fault: Any, expected: type, churn_cfg: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from airflow_champion.evaluation import evaluate
    from airflow_champion.registry import tracking

    def load(cfg: Any, version: int) -> Any:
        raise fault()

    monkeypatch.setattr(tracking, "load_model", load)
    with pytest.raises(expected) as caught:
        evaluate.load_version(churn_cfg, 9, "champion")
    assert type(caught.value) is expected
    assert str(caught.value).startswith("churn: cannot load champion v9 from the registry: ")
