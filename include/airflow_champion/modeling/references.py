"""Samples of a version's data logged with its training run: the drift monitor's baselines.

`reference/reference.parquet`: training rows, the feature-drift reference. `reference/holdout.parquet`:
holdout rows, the prediction-drift baseline (a model's scores on rows it was fit on are more extreme
than on any fresh data, which alone reads as prediction drift). `reference/train_fingerprints.npy`:
which rows it was trained on (modeling.fingerprints).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from airflow_champion.registry import tracking

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from airflow_champion.config import ModelConfig

REFERENCE_ARTIFACT = "reference/reference.parquet"
HOLDOUT_ARTIFACT = "reference/holdout.parquet"
FINGERPRINTS_ARTIFACT = "reference/train_fingerprints.npy"
"""Sorted unique fingerprints of the training rows (modeling.fingerprints), with their scheme in the
run's params: how evaluation knows which rows a champion has seen."""


def log_samples(cfg: ModelConfig, train_df: pd.DataFrame, holdout_df: pd.DataFrame) -> None:
    """Log both samples (at most drift.reference_rows rows each, seeded) to the active MLflow run."""
    n = cfg.drift.reference_rows
    seed = cfg.holdout.seed
    _log_sample(train_df.sample(n=min(len(train_df), n), random_state=seed), "reference.parquet")
    _log_sample(holdout_df.sample(n=min(len(holdout_df), n), random_state=seed), "holdout.parquet")


def _log_sample(sample: pd.DataFrame, name: str) -> None:
    import tempfile
    from pathlib import Path

    import mlflow

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        sample.to_parquet(path, index=False)
        mlflow.log_artifact(str(path), artifact_path="reference")


def load_reference(cfg: ModelConfig, version: int) -> pd.DataFrame:
    """The reference sample of a registered version (drift monitoring compares against it)."""
    import tempfile

    import mlflow
    import pandas as pd

    client = tracking.client()
    mv = client.get_model_version(cfg.registered_model_name, str(version))
    with tempfile.TemporaryDirectory() as tmp:
        local = mlflow.artifacts.download_artifacts(
            run_id=mv.run_id, artifact_path=REFERENCE_ARTIFACT, dst_path=tmp
        )
        return pd.read_parquet(local)


def load_holdout_sample(run_id: str) -> pd.DataFrame | None:
    """`reference/holdout.parquet` of a training run, or None when that run logged none."""
    import tempfile

    import mlflow
    import pandas as pd

    client = tracking.client()
    if HOLDOUT_ARTIFACT not in {a.path for a in client.list_artifacts(run_id, "reference")}:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        local = mlflow.artifacts.download_artifacts(
            run_id=run_id, artifact_path=HOLDOUT_ARTIFACT, dst_path=tmp
        )
        return pd.read_parquet(local)


def log_fingerprints(values: np.ndarray) -> None:
    """Log the training rows' fingerprints to the active MLflow run."""
    import tempfile
    from pathlib import Path

    import mlflow
    import numpy as np

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / Path(FINGERPRINTS_ARTIFACT).name
        np.save(path, np.asarray(values, dtype=np.uint64), allow_pickle=False)
        mlflow.log_artifact(str(path), artifact_path="reference")


def load_train_fingerprints(cfg: ModelConfig, version: int) -> np.ndarray | None:
    """The training fingerprints a version logged, or None when it logged none (or another scheme)."""
    import tempfile

    import mlflow
    import numpy as np

    from airflow_champion.modeling.fingerprints import SCHEME

    client = tracking.client()
    mv = client.get_model_version(cfg.registered_model_name, str(version))
    if not mv.run_id or client.get_run(mv.run_id).data.params.get("fingerprints.scheme") != SCHEME:
        return None
    if FINGERPRINTS_ARTIFACT not in {a.path for a in client.list_artifacts(mv.run_id, "reference")}:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        local = mlflow.artifacts.download_artifacts(
            run_id=mv.run_id, artifact_path=FINGERPRINTS_ARTIFACT, dst_path=tmp
        )
        return np.asarray(np.load(local, allow_pickle=False), dtype=np.uint64)
