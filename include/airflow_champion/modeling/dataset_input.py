"""The snapshot a version was trained on, as an MLflow dataset input of its training run.

So MLflow's own UI (the run's "Datasets used") says which data each version used, without our tags.
Metadata only (mlflow.data.meta_dataset.MetaDataset): name = snapshot id, digest = the snapshot's
sha256 (MLflow keeps at most 36 characters of a digest; the full hash is an input tag), source =
the snapshot folder's URI. No data is copied or read again for it.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

from airflow_champion.data.ids import validate_snapshot_id
from airflow_champion.data.storage import open_store
from airflow_champion.registry import tags

if TYPE_CHECKING:
    from mlflow.data.meta_dataset import MetaDataset

    from airflow_champion.config import ModelConfig

CONTEXT = "training"
DIGEST_CHARS = 36
"""mlflow.utils.validation.MAX_DATASET_DIGEST_SIZE: a longer digest is refused by the tracking store."""
SHA256_TAG = tags.key("snapshot_sha256")


def digest(snapshot_sha256: str) -> str:
    """The dataset digest MLflow stores for a snapshot: the first 36 hex digits of its sha256."""
    return snapshot_sha256[:DIGEST_CHARS]


def snapshot_dataset(cfg: ModelConfig, snapshot_id: str, snapshot_sha256: str) -> MetaDataset:
    """The snapshot as a metadata-only MLflow dataset (source: its folder in the snapshot store)."""
    from mlflow.data.dataset_source_registry import resolve_dataset_source
    from mlflow.data.meta_dataset import MetaDataset

    uri = open_store(cfg.snapshot_root()).uri(validate_snapshot_id(snapshot_id))
    with warnings.catch_warnings():  # a file:// URI matches two equal local sources; either is right
        warnings.simplefilter("ignore", UserWarning)
        source = resolve_dataset_source(uri)
    # mlflow's stubs leave `profile` abstract on MetaDataset; the class itself runs (its profile is None)
    return MetaDataset(source=source, name=snapshot_id, digest=digest(snapshot_sha256))  # type: ignore[abstract]


def log_snapshot_input(cfg: ModelConfig, snapshot_id: str, snapshot_sha256: str) -> None:
    """Log the snapshot as the active run's `training` dataset input (full sha256 as an input tag)."""
    import mlflow

    mlflow.log_input(
        snapshot_dataset(cfg, snapshot_id, snapshot_sha256),
        context=CONTEXT,
        tags={SHA256_TAG: snapshot_sha256, tags.key("model"): cfg.name},
    )


__all__ = ["CONTEXT", "DIGEST_CHARS", "digest", "log_snapshot_input", "snapshot_dataset"]
