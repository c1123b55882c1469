"""Snapshots for the gate, rollback and drift-signal stories: churn data with one known defect each.

Each builder returns a DataFrame of the churn generator's columns (plus `event_time` where a story
judges the latest rows); what is wrong with it is the builder's name. Tests land them with
`land(cfg, snapshot_id, df)` and run the real DAGs on them.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

CONFIGS = Path(__file__).resolve().parents[2] / "include" / "configs"


def churn(rows: int, seed: int, **kw: Any) -> pd.DataFrame:
    from airflow_champion_demo import datagen

    return datagen.generate("churn", rows=rows, seed=seed, **kw)


def with_event_time(
    df: pd.DataFrame, *, seed: int, start: str = "2026-09-01", days: int = 60
) -> pd.DataFrame:
    """Rows in time order over `days` days (the time holdout judges the latest quarter)."""
    rng = np.random.default_rng(seed)
    offsets = np.sort(rng.uniform(0, days * 86400, len(df)))
    out = df.copy()
    out["event_time"] = (pd.Timestamp(start, tz="UTC") + pd.to_timedelta(offsets, unit="s")).astype(str)
    return out


def labels_inverted_early_for_the_old(
    df: pd.DataFrame, *, share: float = 0.75, age: float = 60
) -> pd.DataFrame:
    """A logging bug: in the first `share` of the extract, customers aged `age`+ have inverted labels.
    A model trained on it is worse on that slice only; the latest rows (judged) are right."""
    out = df.copy()
    early = out.index[: int(len(out) * share)]
    hit = early[(out.loc[early, "age"] >= age).to_numpy()]
    out.loc[hit, "churned"] = 1 - out.loc[hit, "churned"]
    return out


def label_copied_into(df: pd.DataFrame, column: str) -> pd.DataFrame:
    """A post-outcome column: `column` is 40 for a churner and 0..10 otherwise, within its declared range."""
    rng = np.random.default_rng(0)
    out = df.copy()
    out[column] = np.where(out["churned"] == 1, 40.0, rng.integers(0, 11, len(out)).astype(float))
    return out


def labels_inverted_for(df: pd.DataFrame, column: str, value: str) -> pd.DataFrame:
    """A one-week anomaly: for one segment the label is the opposite of what it usually is."""
    out = df.copy()
    hit = out[column] == value
    out.loc[hit, "churned"] = 1 - out.loc[hit, "churned"]
    return out


def more_positives(df: pd.DataFrame, *, share_of_negatives: float, seed: int) -> pd.DataFrame:
    """The churn rate jumps: a random share of the negatives churn; the features do not move."""
    rng = np.random.default_rng(seed)
    out = df.copy()
    neg = out.index[(out["churned"] == 0).to_numpy()]
    flip = rng.choice(neg, size=int(len(neg) * share_of_negatives), replace=False)
    out.loc[flip, "churned"] = 1
    return out


def swapped_labels(df: pd.DataFrame, *, pairs_share: float, seed: int) -> pd.DataFrame:
    """The champion's world changed but not its inputs nor the churn rate: labels swapped between
    random positive/negative pairs (the rate stays exactly the same, the score drops)."""
    rng = np.random.default_rng(seed)
    out = df.copy()
    pos = out.index[(out["churned"] == 1).to_numpy()]
    neg = out.index[(out["churned"] == 0).to_numpy()]
    k = int(min(len(pos), len(neg)) * pairs_share)
    a, b = rng.choice(pos, size=k, replace=False), rng.choice(neg, size=k, replace=False)
    out.loc[a, "churned"], out.loc[b, "churned"] = 0, 1
    return out


def champion_events(run_id: str, uri: str = "x-mlops://churn/champion") -> list[dict[str, Any]]:
    """The extras of the champion asset's events that one DAG run emitted (the real metadata DB)."""
    from airflow.models.asset import AssetEvent, AssetModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        events = session.scalars(
            select(AssetEvent)
            .join(AssetModel, AssetEvent.asset_id == AssetModel.id)
            .where(AssetModel.uri == uri, AssetEvent.source_run_id == run_id)
            .order_by(AssetEvent.id)
        ).all()
        return [dict(e.extra or {}) for e in events]


def private_home(mp: Any, folder: Path) -> None:
    """A module's own embedded state: MLOPS_HOME in `folder`, no inherited tracking or lock URL."""
    mp.setenv("MLOPS_HOME", str(folder))
    for var in ("MLFLOW_TRACKING_URI", "MLOPS_ARTIFACT_ROOT", "MLOPS_LOCK_URL"):
        mp.delenv(var, raising=False)


def land(cfg: Any, snapshot_id: str, df: pd.DataFrame) -> str:
    from airflow_champion.data import snapshots

    snapshots.write_snapshot(cfg.snapshot_root(), snapshot_id, df)
    return snapshot_id


def churn_config(folder: Path, **edits: Any) -> Path:
    """The shipped configs in `folder`, churn.yaml with `a__b=value` edits (a nested key path)."""
    folder.mkdir(parents=True, exist_ok=True)
    for f in CONFIGS.iterdir():
        shutil.copy(f, folder / f.name)
    raw = yaml.safe_load((CONFIGS / "churn.yaml").read_text())
    for path, value in edits.items():
        node = raw
        *parents, leaf = path.split("__")
        for p in parents:
            node = node.setdefault(p, {})
        node[leaf] = value
    (folder / "churn.yaml").write_text(yaml.safe_dump(raw, sort_keys=False))
    return folder
