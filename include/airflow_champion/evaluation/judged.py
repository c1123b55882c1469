"""The rows that judge a challenger: its holdout, minus every row either model was trained on.

The holdout policy (modeling.holdout) picks the candidate rows; then exact duplicates of the
challenger's own training rows (a snapshot with repeated rows, or the same event twice) and the
champion's training rows (an overlapping or cumulative extract: "last 90 days" every week) are
removed, counted and reported. The champion's training rows come from its lineage: the fingerprints
logged with it, or else its training snapshot re-split by the holdout settings it was trained with;
when neither can be had, the evaluation refuses with a named error rather than judge in-sample.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from airflow_champion.data.reading import derived
from airflow_champion.errors import EvaluationError, MlopsError, TransientError, classified
from airflow_champion.modeling import fingerprints, references
from airflow_champion.modeling.holdout import Split, split_holdout
from airflow_champion.modeling.pipeline import shared_features, target

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from airflow_champion.config import ModelConfig


@dataclass
class Judged:
    """The judged rows (as the model sees them) and how they were arrived at."""

    split: Split
    rows: pd.DataFrame
    X: pd.DataFrame
    y: np.ndarray
    info: dict[str, Any] = field(default_factory=dict)
    clusters: np.ndarray | None = None
    """Integer cluster code of each judged row (its day or key) when the bootstrap resamples clusters."""
    positions: np.ndarray | None = None
    """Where each judged row is in the snapshot's frame (to share predictions of its rows)."""


def judged_rows(cfg: ModelConfig, df: pd.DataFrame, *, champion_training: np.ndarray | None) -> Judged:
    """Split the snapshot, then drop judged rows that duplicate a training row or that the champion
    (whose sorted training fingerprints are `champion_training`) was fit on."""
    import numpy as np

    split = split_holdout(cfg, df)
    own = fingerprints.unique_sorted(fingerprints.shared_fingerprints(cfg, split.train))
    X_judged = shared_features(cfg, split.judged)  # the train step's, in the one-process chain
    fp = fingerprints.shared_fingerprints(cfg, split.judged, X_judged)
    duplicate = fingerprints.seen(fp, own)
    by_champion = (
        fingerprints.seen(fp, champion_training) & ~duplicate
        if champion_training is not None
        else np.zeros(fp.shape[0], dtype=bool)
    )
    keep = ~(duplicate | by_champion)
    everyone = bool(keep.all())  # the usual case: no copy of the judged side
    rows = split.judged if everyone else split.judged[keep]
    X, y = (X_judged if everyone else X_judged[keep]), target(cfg, rows)  # features are row by row
    clusters = clusters_of(cfg, rows)
    positions = None if split.mask is None else np.flatnonzero(split.mask)[keep]
    n = len(split.judged)
    info = {
        **split.info,
        "duplicates_of_training": int(duplicate.sum()),
        "duplicate_share": float(duplicate.mean()) if n else 0.0,
        "seen_by_champion": int(by_champion.sum()),
        "judged_rows": int(keep.sum()),
        "bootstrap_unit": cfg.bootstrap_unit,
        "bootstrap_clusters": None if clusters is None else int(clusters.max() + 1) if clusters.size else 0,
    }
    return Judged(
        split=split, rows=rows, X=X, y=np.asarray(y), info=info, clusters=clusters, positions=positions
    )


def clusters_of(cfg: ModelConfig, rows: pd.DataFrame) -> np.ndarray | None:
    """The bootstrap's unit for each judged row: None (rows), its UTC day, or its group key."""
    import numpy as np
    import pandas as pd

    unit = cfg.bootstrap_unit
    if unit == "row":
        return None
    if unit == "day":
        from airflow_champion.modeling.holdout import parse_times

        keys = parse_times(cfg, rows).dt.floor("D")
    else:
        keys = rows[cfg.holdout.group_column].astype(str)
    codes, _ = pd.factorize(keys, sort=True)
    return codes.astype(np.int64)


_TRAINING = object()
"""What shared training fingerprints are derived from (a version's lineage is not a frame)."""


def champion_training(cfg: ModelConfig, version: int) -> np.ndarray:
    """Sorted fingerprints of the rows a registered version was trained on, from its lineage; fetched
    once per version inside data.reading.shared_reads() (check_champion and evaluate both ask)."""
    key = f"champion_training:{cfg.registered_model_name}:{cfg.config_hash}:{int(version)}"
    return derived(_TRAINING, key, lambda: _champion_training(cfg, version))


def _champion_training(cfg: ModelConfig, version: int) -> np.ndarray:
    try:
        logged = references.load_train_fingerprints(cfg, version)
    except Exception as exc:  # MLflow raises several types for an unreadable artifact
        raise classified(
            exc, EvaluationError, f"{cfg.name}: cannot load champion v{version} (its training fingerprints)"
        ) from exc
    if logged is not None:
        return logged
    try:
        return _from_lineage(cfg, version)
    except TransientError:
        raise
    except MlopsError as exc:
        raise EvaluationError(
            f"{cfg.name}: cannot establish which rows champion v{version} was trained on, so it cannot be "
            f"judged out of sample: {exc}"
        ) from exc


def _from_lineage(cfg: ModelConfig, version: int) -> np.ndarray:
    """Re-split the version's training snapshot with the holdout settings it was trained with."""
    from airflow_champion.data.reading import load_snapshot
    from airflow_champion.registry import tags, tracking

    client = tracking.client()
    mv = client.get_model_version(cfg.registered_model_name, str(version))
    sid, sha = tags.read(mv, "snapshot_id"), tags.read(mv, "snapshot_sha256")
    if not sid or not mv.run_id:
        raise EvaluationError(f"v{version} records no training snapshot")
    params = client.get_run(str(mv.run_id)).data.params
    then = cfg.holdout_as_logged(params)
    df, manifest = load_snapshot(then, sid, keep=False)  # read for its fingerprints only
    if manifest.sha256 != sha:
        raise EvaluationError(f"snapshot {sid} is not the data v{version} was trained on (sha256 differs)")
    train = split_holdout(then, df).train
    return fingerprints.unique_sorted(fingerprints.row_fingerprints(then, train))


__all__ = ["Judged", "champion_training", "clusters_of", "judged_rows"]
