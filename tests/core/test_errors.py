"""errors.is_transient: the one classifier of caught exceptions into "a retry may help" or not.

Every wrapping site (`errors.classified`) asks it, so a table here holds the whole taxonomy
(adr/0001-transient-or-permanent.md)."""

from __future__ import annotations

import socket
from typing import Any

import pytest
from airflow_champion.errors import (
    EvaluationError,
    MlopsError,
    TransientError,
    classified,
    is_transient,
)

pytestmark = pytest.mark.unit


def _mlflow(code: str) -> Exception:
    from mlflow.exceptions import MlflowException
    from mlflow.protos import databricks_pb2

    return MlflowException("boom", error_code=getattr(databricks_pb2, code))


def _rest(code: str) -> Exception:
    from mlflow.exceptions import RestException

    return RestException({"error_code": code, "message": "server says no"})


def _s3(code: str, status: int) -> Exception:
    from botocore.exceptions import ClientError

    return ClientError({"Error": {"Code": code}, "ResponseMetadata": {"HTTPStatusCode": status}}, "GetObject")


def _lost_connection_as_mlflow_reraises_it() -> Exception:
    """What MLflow's REST client does after its own retries: `raise MlflowException(...)` inside the
    `except` of the requests error (no `from`: the cause is only in __context__)."""
    import requests
    from mlflow.exceptions import MlflowException

    try:
        try:
            raise requests.exceptions.ConnectionError("Max retries exceeded")
        except Exception as e:
            raise MlflowException(f"API request to http://mlflow/api failed with exception {e}")  # noqa: B904
    except MlflowException as exc:
        return exc


def _suppressed() -> Exception:
    try:
        try:
            raise ConnectionError("unrelated")
        except ConnectionError:
            raise KeyError("a bug") from None
    except KeyError as exc:
        return exc


def _botocore(name: str) -> Exception:
    import botocore.exceptions as b

    return getattr(b, name)(endpoint_url="http://s3", error="x")  # type: ignore[no-any-return]


TRANSIENT: dict[str, Any] = {
    "ConnectionError": lambda: ConnectionResetError("reset by peer"),
    "TimeoutError": lambda: TimeoutError("timed out"),
    "DNS": lambda: socket.gaierror(-3, "Temporary failure in name resolution"),
    "requests ConnectionError": lambda: __import__("requests").exceptions.ConnectionError("refused"),
    "requests ReadTimeout": lambda: __import__("requests").exceptions.ReadTimeout("slow"),
    "botocore EndpointConnectionError": lambda: _botocore("EndpointConnectionError"),
    "botocore ConnectionClosedError": lambda: _botocore("ConnectionClosedError"),
    "botocore ReadTimeoutError": lambda: _botocore("ReadTimeoutError"),
    "S3 SlowDown": lambda: _s3("SlowDown", 503),
    "S3 500": lambda: _s3("InternalError", 500),
    "MLflow 503": lambda: _mlflow("TEMPORARILY_UNAVAILABLE"),
    "MLflow 429": lambda: _mlflow("REQUEST_LIMIT_EXCEEDED"),
    "MLflow server 500": lambda: _rest("INTERNAL_ERROR"),
    "MLflow lost connection": _lost_connection_as_mlflow_reraises_it,
}
PERMANENT: dict[str, Any] = {
    "missing file": lambda: FileNotFoundError("no such artifact"),
    "no permission": lambda: PermissionError("denied"),
    "missing version": lambda: _mlflow("RESOURCE_DOES_NOT_EXIST"),
    "bad parameter": lambda: _mlflow("INVALID_PARAMETER_VALUE"),
    "MLflow local fault (its default code)": lambda: _mlflow("INTERNAL_ERROR"),
    "S3 NoSuchKey": lambda: _s3("NoSuchKey", 404),
    "S3 AccessDenied": lambda: _s3("AccessDenied", 403),
    "requests InvalidURL": lambda: __import__("requests").exceptions.InvalidURL("bad"),
    "wrong schema": lambda: KeyError("column 'age'"),
    "corrupt artifact": lambda: ValueError("unpickling error"),
    "context suppressed with from None": _suppressed,
    "a refusal": lambda: EvaluationError("refused"),
}


@pytest.mark.parametrize("make", TRANSIENT.values(), ids=TRANSIENT.keys())
def test_network_s3_and_tracking_faults_are_transient(make: Any) -> None:
    assert is_transient(make())


@pytest.mark.parametrize("make", PERMANENT.values(), ids=PERMANENT.keys())
def test_missing_corrupt_and_wrong_things_are_permanent(make: Any) -> None:
    assert not is_transient(make())


def test_classified_names_the_step_and_the_cause_either_way() -> None:
    blink = classified(ConnectionResetError("reset"), EvaluationError, "churn: cannot load champion v3")
    assert type(blink) is TransientError and isinstance(blink, MlopsError)
    assert str(blink).startswith("churn: cannot load champion v3: ConnectionResetError: reset")
    gone = classified(FileNotFoundError("MLmodel"), EvaluationError, "churn: cannot load champion v3")
    assert type(gone) is EvaluationError
    assert str(gone) == "churn: cannot load champion v3: FileNotFoundError: MLmodel"
