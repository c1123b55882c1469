"""Named exceptions: every gate that refuses says which gate and why."""

from __future__ import annotations


class MlopsError(Exception):
    """Base class for every error the core raises on purpose."""


class TransientError(MlopsError):
    """A step could not finish because a service blinked (tracking server, S3, network): the same call
    may succeed later, so operators let Airflow retry it instead of failing the gate. See
    `is_transient` and include/airflow_champion/adr/0001-transient-or-permanent.md."""


# --- which caught exception may pass on a retry (one classifier for every wrapping site) -------------
# By qualified class name anywhere in the MRO, so this module imports none of these libraries.
_TRANSIENT_TYPES = frozenset(
    {
        "builtins.ConnectionError",  # refused / reset / aborted / broken pipe
        "builtins.TimeoutError",
        "socket.gaierror",  # DNS lookup failed
        "requests.exceptions.ConnectionError",
        "requests.exceptions.Timeout",
        "requests.exceptions.ChunkedEncodingError",
        "urllib3.exceptions.TimeoutError",
        "urllib3.exceptions.ProtocolError",
        "urllib3.exceptions.MaxRetryError",
        "botocore.exceptions.ConnectionError",  # EndpointConnectionError, ConnectTimeoutError
        "botocore.exceptions.HTTPClientError",  # ConnectionClosedError, ReadTimeoutError
        "sqlalchemy.exc.OperationalError",  # database unreachable or locked (MLflow's SQL store)
        "sqlalchemy.exc.TimeoutError",  # connection pool exhausted
    }
)
_TRANSIENT_MLFLOW_CODES = frozenset(
    {"TEMPORARILY_UNAVAILABLE", "DEADLINE_EXCEEDED", "REQUEST_LIMIT_EXCEEDED", "RESOURCE_EXHAUSTED"}
)
_TRANSIENT_S3_CODES = frozenset(
    {"SlowDown", "ServiceUnavailable", "InternalError", "RequestTimeout", "Throttling", "ThrottlingException"}
)


def _names(exc: BaseException) -> set[str]:
    return {f"{k.__module__}.{k.__qualname__}" for k in type(exc).__mro__}


def _one_is_transient(exc: BaseException) -> bool:
    names = _names(exc)
    if isinstance(exc, TransientError) or names & _TRANSIENT_TYPES:
        return True
    if "mlflow.exceptions.MlflowException" in names:
        code = str(getattr(exc, "error_code", ""))
        if code in _TRANSIENT_MLFLOW_CODES:
            return True
        # INTERNAL_ERROR is also MLflow's default for local faults (a corrupt artifact): transient only
        # when the server answered it (a 5xx REST answer), never when raised on this side.
        return code == "INTERNAL_ERROR" and "mlflow.exceptions.RestException" in names
    if "botocore.exceptions.ClientError" in names:
        response = getattr(exc, "response", None) or {}
        status = int((response.get("ResponseMetadata") or {}).get("HTTPStatusCode") or 0)
        return status >= 500 or (response.get("Error") or {}).get("Code") in _TRANSIENT_S3_CODES
    return False


def is_transient(exc: BaseException) -> bool:
    """Whether retrying the step that raised `exc` may help: a network, S3 or tracking-server fault
    anywhere in its cause chain (MLflow re-raises a lost connection as a plain MlflowException whose
    context is the requests error). Everything else is permanent: a missing version, a corrupt
    artifact, a wrong schema, a bug."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if _one_is_transient(current):
            return True
        seen.add(id(current))
        current = current.__cause__ or (None if current.__suppress_context__ else current.__context__)
    return False


def classified(exc: BaseException, permanent: type[MlopsError], message: str) -> MlopsError:
    """The named error to raise for `exc`, caught while doing what `message` says: a TransientError
    (Airflow retries it) when `is_transient(exc)`, else `permanent` (a gate failure, never retried)."""
    detail = f"{message}: {type(exc).__name__}: {exc}"
    if is_transient(exc):
        return TransientError(f"{detail} (transient: the task is retried)")
    return permanent(detail)


class ConfigError(MlopsError):
    """A model config file is missing, malformed or names an unknown field."""


class SnapshotError(MlopsError):
    """A snapshot id, path or manifest is not acceptable."""


class IncompleteSnapshotError(SnapshotError):
    """A snapshot has no manifest yet or its data does not match the manifest's hash."""


class SnapshotLoadError(SnapshotError):
    """The snapshot's data file cannot be read as a table (empty, corrupt, wrong format)."""


class SnapshotTooLargeError(SnapshotError):
    """The snapshot is larger than the model's configured size limit."""


class ValidationFailedError(MlopsError):
    """The data failed its expectation suite; the snapshot was quarantined."""

    def __init__(
        self, message: str, *, snapshot_id: str, report_uri: str | None = None, result: dict | None = None
    ) -> None:
        super().__init__(message)
        self.snapshot_id = snapshot_id
        self.report_uri = report_uri
        self.result = result


class TrainingError(MlopsError):
    """Fitting or logging the challenger failed for a non-transient reason."""


class UnjudgeableHoldoutError(TrainingError):
    """The holdout policy leaves judged rows that cannot rank two models (e.g. a single class): said
    before anything is fit or logged, since no retry or refit changes the split."""


class EvaluationError(MlopsError):
    """Champion/challenger comparison could not be carried out."""


class PromotionConflictError(MlopsError):
    """The `champion` alias moved since the verdict was made (compare-and-set lost)."""


class PromotionRefusedError(MlopsError):
    """Promotion was asked for a version whose verdict does not allow it."""


class RollbackError(MlopsError):
    """No valid version to roll back to, or the named version is not acceptable."""


class SnapshotOutOfMemoryError(TransientError, SnapshotError):
    """Decoding a snapshot ran out of memory within its size limits: the file may be fine and the worker
    short of memory, so it is never quarantined, and the task is retried (transient)."""


class LockLost(TransientError):
    """The holder of a named lock no longer holds it (its lease ran out during a stall, its session
    dropped): another process may be inside the critical section, so this one stops before writing.
    Transient: the retry takes the lock again and re-reads the registry."""


class ClaimLostError(MlopsError):
    """The run's claim on its snapshot was taken over (it stopped heartbeating for claim_ttl_hours):
    another run retrains that snapshot now, so this one stops before training or deciding twice."""
