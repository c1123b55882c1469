"""Named exceptions: every gate that refuses says which gate and why."""

from __future__ import annotations


class MlopsError(Exception):
    """Base class for every error the core raises on purpose."""


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


class EvaluationError(MlopsError):
    """Champion/challenger comparison could not be carried out."""


class PromotionConflictError(MlopsError):
    """The `champion` alias moved since the verdict was made (compare-and-set lost)."""


class PromotionRefusedError(MlopsError):
    """Promotion was asked for a version whose verdict does not allow it."""


class RollbackError(MlopsError):
    """No valid version to roll back to, or the named version is not acceptable."""
