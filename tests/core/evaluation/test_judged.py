"""The judged rows: no row either model was trained on is ever judged (duplicates, overlapping and
cumulative extracts), possible leakage rejects, and the bootstrap resamples what is independent."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from airflow_champion.evaluation import leakage
from airflow_champion.evaluation.bootstrap import paired_bootstrap
from airflow_champion.evaluation.judged import judged_rows
from airflow_champion.modeling import fingerprints
from airflow_champion.modeling.holdout import split_holdout
from airflow_champion.tasks import get_metric

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def churn() -> tuple[Any, pd.DataFrame]:
    from airflow_champion.config import load_config
    from airflow_champion_demo.datagen import generate_churn

    return load_config("churn"), generate_churn(3000, 5)


def _seen(cfg: Any, rows: pd.DataFrame) -> np.ndarray:
    return fingerprints.unique_sorted(fingerprints.row_fingerprints(cfg, rows))


def test_rows_repeated_across_the_split_are_not_judged(churn: tuple[Any, pd.DataFrame]) -> None:
    cfg, df = churn
    doubled = pd.concat([df, df], ignore_index=True)  # every row twice
    judged = judged_rows(cfg, doubled, champion_training=None)
    train_seen = _seen(cfg, judged.split.train)
    assert not fingerprints.seen(fingerprints.row_fingerprints(cfg, judged.rows), train_seen).any()
    assert judged.info["duplicates_of_training"] > 0.6 * judged.info["holdout_rows"]
    assert judged.info["judged_rows"] == judged.info["holdout_rows"] - judged.info["duplicates_of_training"]
    reasons = leakage.holdout_blockers(cfg, judged.info)
    assert any("duplicate training rows" in r and "holdout.max_duplicate_share" in r for r in reasons)


def test_a_cumulative_extract_does_not_judge_the_champion_on_its_own_training_rows(
    churn: tuple[Any, pd.DataFrame],
) -> None:
    from airflow_champion_demo.datagen import generate_churn

    cfg, df = churn
    champion_train = split_holdout(cfg, df).train
    cumulative = pd.concat([df, generate_churn(1500, 6)], ignore_index=True)  # "all rows so far"
    judged = judged_rows(cfg, cumulative, champion_training=_seen(cfg, champion_train))
    assert judged.info["seen_by_champion"] > 0
    assert not fingerprints.seen(
        fingerprints.row_fingerprints(cfg, judged.rows), _seen(cfg, champion_train)
    ).any()
    without = judged_rows(cfg, cumulative, champion_training=None)
    assert without.info["judged_rows"] - judged.info["judged_rows"] == judged.info["seen_by_champion"]


def test_too_few_judged_rows_cannot_decide(churn: tuple[Any, pd.DataFrame]) -> None:
    cfg, df = churn
    judged = judged_rows(cfg, df.iloc[:100], champion_training=_seen(cfg, df))  # the champion saw all
    assert judged.info["judged_rows"] == 0
    assert any("too few to tell the models apart" in r for r in leakage.holdout_blockers(cfg, judged.info))


def test_a_perfect_score_and_a_feature_that_copies_the_label_are_possible_leakage(
    churn: tuple[Any, pd.DataFrame],
) -> None:
    from airflow_champion.modeling.pipeline import features_and_target

    cfg, df = churn
    assert leakage.perfect_score(get_metric("binary", "roc_auc"), 1.0, 500, "challenger")
    assert not leakage.perfect_score(get_metric("binary", "roc_auc"), 0.97, 500, "challenger")
    poisoned = df.assign(support_tickets_90d=df["churned"] * 3 + 1.0)  # in range, and the label itself
    split = split_holdout(cfg, poisoned)
    Xt, yt = features_and_target(cfg, split.train)
    Xj, yj = features_and_target(cfg, split.judged)
    found = leakage.single_feature_leaks(cfg, Xt, np.asarray(yt), Xj, np.asarray(yj))
    assert found == [
        f"possible leakage: feature 'support_tickets_90d' alone predicts every one of {len(yj)} judged labels"
    ]
    clean = split_holdout(cfg, df)
    Xt, yt = features_and_target(cfg, clean.train)
    Xj, yj = features_and_target(cfg, clean.judged)
    assert leakage.single_feature_leaks(cfg, Xt, np.asarray(yt), Xj, np.asarray(yj)) == []


def test_a_regression_feature_that_copies_the_target_is_possible_leakage() -> None:
    from airflow_champion.config import load_config
    from airflow_champion.modeling.pipeline import features_and_target
    from airflow_champion_demo.datagen import generate

    cfg = load_config("diabetes")
    df = generate("diabetes", 800, 2)
    df["s6"] = df["target"] / 3.0 + 10  # within its declared range, and the target rescaled
    split = split_holdout(cfg, df)
    Xt, yt = features_and_target(cfg, split.train)
    Xj, yj = features_and_target(cfg, split.judged)
    found = leakage.single_feature_leaks(cfg, Xt, np.asarray(yt), Xj, np.asarray(yj))
    assert len(found) == 1 and "'s6' alone explains" in found[0]


def test_the_cluster_bootstrap_is_wider_when_rows_of_a_day_move_together() -> None:
    rng = np.random.default_rng(0)
    days = np.repeat(np.arange(14), 200)
    shock = rng.normal(0, 1.0, 14)[days]  # what neither model sees: the day's disruption
    y = (rng.random(days.size) < 1 / (1 + np.exp(-(shock + rng.normal(0, 1, days.size))))).astype(int)
    a = np.clip(0.5 + 0.1 * (y - 0.5) + rng.normal(0, 0.2, days.size), 0, 1)
    day_skill = rng.normal(0, 0.08, 14)[days]  # b is better on some days and worse on others
    b = np.clip(a + day_skill * (y - 0.5) + rng.normal(0, 0.02, days.size), 0, 1)
    metric = get_metric("binary", "roc_auc")
    rows = paired_bootstrap(metric, y, a, b, samples=400, alpha=0.05)
    by_day = paired_bootstrap(metric, y, a, b, samples=400, alpha=0.05, clusters=days)
    assert by_day["clusters"] == 14 and rows["clusters"] is None
    assert (by_day["ci_high"] - by_day["ci_low"]) > 1.3 * (rows["ci_high"] - rows["ci_low"])
    assert by_day["diff"] == rows["diff"]


def test_the_leakage_probe_samples_the_training_rows_before_their_features(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """evaluate builds features for the probe's sample only (it built all 750k training rows' at 1M
    rows): the same rows, in the same order, as sampling the full features."""
    from airflow_champion.config import load_config
    from airflow_champion.modeling.pipeline import features_and_target
    from airflow_champion_demo.datagen import generate_churn

    monkeypatch.setattr(leakage, "SAMPLE_ROWS", 500)
    cfg = load_config("churn")
    train = split_holdout(cfg, generate_churn(2000, 3)).train
    X, y = leakage.training_sample(cfg, train)
    full_X, full_y = features_and_target(cfg, train)
    want_X, want_y = leakage._sample(full_X, np.asarray(full_y), cfg.holdout.seed)
    assert len(X) == 500
    pd.testing.assert_frame_equal(X, want_X)
    assert np.array_equal(y, want_y)
    small_X, _ = leakage.training_sample(cfg, train.iloc[:300])  # fewer than the sample: every row
    pd.testing.assert_frame_equal(small_X, features_and_target(cfg, train.iloc[:300])[0])


def test_judged_rows_are_the_same_with_the_train_steps_shared_work(churn: tuple[Any, pd.DataFrame]) -> None:
    """Inside the chain's scope the split, the judged side's features and the training fingerprints
    come from the train step; the judged rows must be those computed from nothing."""
    from airflow_champion.data.reading import shared_reads

    cfg, df = churn
    doubled = pd.concat([df, df.iloc[:500]], ignore_index=True)  # some judged rows duplicate training
    alone = judged_rows(cfg, doubled, champion_training=_seen(cfg, df.iloc[:200]))
    with shared_reads():
        split_holdout(cfg, doubled)  # what the train step made
        shared = judged_rows(cfg, doubled, champion_training=_seen(cfg, df.iloc[:200]))
    assert shared.info["duplicates_of_training"] > 0 and shared.info == alone.info
    pd.testing.assert_frame_equal(shared.X, alone.X)
    pd.testing.assert_frame_equal(shared.rows, alone.rows)
    assert np.array_equal(shared.y, alone.y) and shared.positions is not None
    assert np.array_equal(doubled.index[shared.positions], shared.rows.index)
