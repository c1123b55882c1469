"""MLflow access shared by training, evaluation and the registry.

Models are only ever loaded from the model's own registered name: a version number or alias is
resolved against `cfg.registered_model_name`, never a free-form URI from a parameter.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow_champion import settings

if TYPE_CHECKING:
    from mlflow.tracking import MlflowClient

    from airflow_champion.config import ModelConfig

CHAMPION = "champion"
CHALLENGER = "challenger"
PREVIOUS_CHAMPION = "previous_champion"


def configure() -> None:
    """Point the mlflow module at the project's tracking and registry store."""
    import mlflow

    uri = settings.tracking_uri()
    if uri.startswith("sqlite:///"):
        from pathlib import Path

        Path(uri.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)


def client() -> MlflowClient:
    from mlflow.tracking import MlflowClient

    configure()
    return MlflowClient(tracking_uri=settings.tracking_uri(), registry_uri=settings.tracking_uri())


def experiment_name(cfg: ModelConfig) -> str:
    return f"mlops/{cfg.name}"


def ensure_experiment(cfg: ModelConfig) -> str:
    """Create (once) and return the model's experiment id."""
    import mlflow

    configure()
    name = experiment_name(cfg)
    exp = mlflow.get_experiment_by_name(name)
    if exp is not None:
        return str(exp.experiment_id)
    try:
        return str(mlflow.create_experiment(name, artifact_location=f"{settings.artifact_root()}/{cfg.name}"))
    except Exception:  # another task created it first
        exp = mlflow.get_experiment_by_name(name)
        if exp is None:
            raise
        return str(exp.experiment_id)


def alias_version(cfg: ModelConfig, alias: str, c: MlflowClient | None = None) -> int | None:
    """Version an alias points at, or None when the alias (or the registered model) does not exist."""
    from mlflow.exceptions import MlflowException

    c = c or client()
    try:
        mv = c.get_model_version_by_alias(cfg.registered_model_name, alias)
    except MlflowException as exc:
        if is_absent(exc):
            return None
        raise
    return int(mv.version)


def is_absent(exc: BaseException) -> bool:
    """The registry said "no such model, version or alias" (a real answer), not that it is unreachable:
    only then may a caller read it as "nothing there"; anything else propagates and is retried."""
    return getattr(exc, "error_code", "") in {
        "RESOURCE_DOES_NOT_EXIST",
        "INVALID_PARAMETER_VALUE",
        "NOT_FOUND",
    }


def model_uri(cfg: ModelConfig, version: int) -> str:
    """Always this model's own registry name: a gate can only ever load one of its own versions."""
    number = int(version)
    if number < 1:
        raise ValueError(f"model version must be >= 1, got {version!r}")
    return f"models:/{cfg.registered_model_name}/{number}"


def load_model(cfg: ModelConfig, version: int) -> Any:
    """Load a registered version of this model (skops format; trusted types were fixed at log time)."""
    import mlflow.sklearn

    settings.import_skops()  # before mlflow.sklearn imports it: see settings.import_skops
    configure()
    return mlflow.sklearn.load_model(model_uri(cfg, version))


def run_url(experiment_id: str, run_id: str) -> str:
    return f"{settings.mlflow_ui_url()}/#/experiments/{experiment_id}/runs/{run_id}"


def artifact_url(experiment_id: str, run_id: str, path: str) -> str:
    """The MLflow UI's run page with one artifact selected (its `artifactPath` route)."""
    return f"{run_url(experiment_id, run_id)}/artifactPath/{path}"


def model_version_url(name: str, version: int) -> str:
    return f"{settings.mlflow_ui_url()}/#/models/{name}/versions/{int(version)}"


def redacted_uri(uri: str | None = None) -> str:
    """The tracking URI with any password removed, safe to print or log."""
    from urllib.parse import urlsplit, urlunsplit

    uri = uri or settings.tracking_uri()
    parts = urlsplit(uri)
    if parts.password:
        netloc = f"{parts.username}:***@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
        return urlunsplit(parts._replace(netloc=netloc))
    return uri
