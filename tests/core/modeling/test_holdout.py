"""Holdout policies: random (stratified), time (judge the latest rows, fit on the ones before), group
(a key on one side only, the same side in every snapshot); and the fingerprints that recognise a row
in another snapshot."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from airflow_champion.errors import SnapshotError
from airflow_champion.modeling import fingerprints
from airflow_champion.modeling.holdout import split_holdout

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def deliveries() -> tuple[Any, pd.DataFrame]:
    from airflow_champion.config import load_config
    from airflow_champion_demo.deliveries import generate_events

    return load_config("deliveries"), generate_events(28, rows_per_day=60, seed=4)


def _with(cfg: Any, **holdout: Any) -> Any:
    return cfg.model_copy(update={"holdout": cfg.holdout.model_copy(update=holdout)})


def test_time_policy_judges_only_rows_after_every_training_row(deliveries: tuple[Any, pd.DataFrame]) -> None:
    cfg, df = deliveries
    split = split_holdout(cfg, df)
    assert split.train["event_time"].max() < split.judged["event_time"].min()
    assert (
        split.info["policy"] == "time"
        and split.info["cutoff"] == split.judged["event_time"].min().isoformat()
    )
    assert abs(len(split.judged) / len(df) - cfg.holdout.fraction) < 0.02


def test_time_policy_with_an_explicit_cutoff(deliveries: tuple[Any, pd.DataFrame]) -> None:
    cfg, df = deliveries
    split = split_holdout(_with(cfg, cutoff="2026-06-21"), df)
    assert (split.judged["event_time"] >= pd.Timestamp("2026-06-21", tz="UTC")).all()
    assert (split.train["event_time"] < pd.Timestamp("2026-06-21", tz="UTC")).all()
    with pytest.raises(SnapshotError, match="leaves no judged rows"):
        split_holdout(_with(cfg, cutoff="2027-01-01"), df)


def test_group_policy_keeps_a_key_on_one_side_in_every_snapshot(deliveries: tuple[Any, pd.DataFrame]) -> None:
    cfg, df = deliveries
    cfg = _with(cfg, policy="group", group_column="event_date", time_column=None)
    first = split_holdout(cfg, df)
    assert not set(first.train["event_date"]) & set(first.judged["event_date"])
    later = split_holdout(cfg, df[df["event_date"] >= "2026-06-10"])  # an overlapping later extract
    assert set(later.judged["event_date"]) <= set(first.judged["event_date"])
    assert set(later.train["event_date"]) <= set(first.train["event_date"])


def test_random_policy_is_stratified_and_deterministic(churn_cfg: Any) -> None:
    from airflow_champion_demo.datagen import generate_churn

    df = generate_churn(2000, 3)
    a, b = split_holdout(churn_cfg, df), split_holdout(churn_cfg, df)
    assert a.judged.index.equals(b.judged.index)
    assert abs(a.judged["churned"].mean() - a.train["churned"].mean()) < 0.01


def test_a_missing_policy_column_is_named(deliveries: tuple[Any, pd.DataFrame]) -> None:
    cfg, df = deliveries
    with pytest.raises(SnapshotError, match=r"holdout\.time_column 'event_time' is not a column"):
        split_holdout(cfg, df.drop(columns=["event_time"]))
    bad = df.assign(event_time="soon")
    with pytest.raises(SnapshotError, match="not times"):
        split_holdout(cfg, bad)


def test_fingerprints_recognise_the_same_row_in_another_extract(deliveries: tuple[Any, pd.DataFrame]) -> None:
    cfg, df = deliveries
    a = fingerprints.row_fingerprints(cfg, df.iloc[:500])
    shuffled = df.iloc[:500].sample(frac=1.0, random_state=1).reset_index(drop=True)
    seen = fingerprints.seen(fingerprints.row_fingerprints(cfg, shuffled), fingerprints.unique_sorted(a))
    assert seen.all()
    other = fingerprints.row_fingerprints(cfg, df.iloc[500:600])
    assert not fingerprints.seen(other, fingerprints.unique_sorted(a)).any()
    changed = df.iloc[:10].assign(distance_km=lambda d: d["distance_km"] + 0.01)
    assert not fingerprints.seen(
        fingerprints.row_fingerprints(cfg, changed), fingerprints.unique_sorted(a)
    ).any()


def test_duplicate_share_counts_repeated_rows(churn_cfg: Any) -> None:
    from airflow_champion_demo.datagen import generate_churn

    df = generate_churn(400, 1)
    assert fingerprints.duplicate_share(churn_cfg, df) == 0.0
    assert fingerprints.duplicate_share(churn_cfg, pd.concat([df, df])) == pytest.approx(0.5)
    few = pd.concat([df.iloc[:4]] * 50)
    assert fingerprints.duplicate_share(churn_cfg, few) == pytest.approx(1 - 4 / 200)
    assert np.isfinite(fingerprints.duplicate_share(churn_cfg, df.assign(region=[None, 1.5] * 200)))


@pytest.mark.parametrize("size", [0, 1, 2, 1000])
def test_unique_sorted_is_numpys_sorted_unique(size: int) -> None:
    """The sort-based replacement of np.unique (hash-based and ~70x slower on uint64 in numpy 2.4)."""
    rng = np.random.default_rng(size)
    values = rng.integers(0, 2**64 - 1, size=size, dtype=np.uint64, endpoint=True)
    values = np.concatenate([values, values[: size // 3]])  # repeats
    got = fingerprints.unique_sorted(values)
    assert got.dtype == np.uint64 and np.array_equal(got, np.unique(values))


def test_inside_shared_reads_a_frame_is_split_once_and_its_sides_derive_alike(churn_cfg: Any) -> None:
    """The train and evaluate steps of the one-process chain share a frame's split, the judged side's
    features and the training rows' fingerprints; each the same as computed on its own."""
    from airflow_champion.data.reading import shared_reads
    from airflow_champion.modeling import pipeline
    from airflow_champion_demo.datagen import generate_churn

    df = generate_churn(600, 2)
    alone = split_holdout(churn_cfg, df)
    assert split_holdout(churn_cfg, df) is not alone  # outside a scope nothing is kept
    with shared_reads():
        first = split_holdout(churn_cfg, df)
        assert split_holdout(churn_cfg, df) is first
        X = pipeline.shared_features(churn_cfg, first.judged)
        assert pipeline.shared_features(churn_cfg, first.judged) is X
        fp = fingerprints.shared_fingerprints(churn_cfg, first.train)
    assert first.mask is not None and np.array_equal(first.mask, alone.mask)
    pd.testing.assert_frame_equal(first.train, alone.train)
    pd.testing.assert_frame_equal(X, pipeline.features(churn_cfg, alone.judged))
    assert np.array_equal(fp, fingerprints.row_fingerprints(churn_cfg, alone.train))
    with shared_reads():  # a new scope: computed anew
        assert split_holdout(churn_cfg, df) is not first
