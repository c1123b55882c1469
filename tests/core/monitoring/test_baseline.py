"""The drift reference of the champion: a blink while loading it is a TransientError (the monitor is
retried), a reference that is not there a DriftReferenceError; a blink while loading the holdout
baseline is retried too, instead of silently scoring against the biased training rows."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from airflow_champion.errors import TransientError

pytestmark = pytest.mark.unit


def test_a_blink_loading_the_reference_is_transient(churn_cfg: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from airflow_champion.modeling import references
    from airflow_champion.monitoring import baseline

    def lost(cfg: Any, version: int) -> Any:
        raise ConnectionResetError("reset by peer")

    monkeypatch.setattr(references, "load_reference", lost)
    with pytest.raises(TransientError, match=r"churn v3: cannot load its drift reference .*ConnectionReset"):
        baseline.load_reference(churn_cfg, 3)


def test_a_missing_reference_is_permanent(churn_cfg: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from airflow_champion.modeling import references
    from airflow_champion.monitoring import baseline

    def missing(cfg: Any, version: int) -> Any:
        raise FileNotFoundError("reference.parquet")

    monkeypatch.setattr(references, "load_reference", missing)
    with pytest.raises(baseline.DriftReferenceError) as caught:
        baseline.load_reference(churn_cfg, 3)
    assert not isinstance(caught.value, TransientError)


def test_a_blink_loading_the_holdout_baseline_is_retried_not_a_fallback(
    churn_cfg: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from airflow_champion.modeling import references
    from airflow_champion.monitoring import baseline
    from airflow_champion.registry import tracking

    version = SimpleNamespace(run_id="r1", tags={"mlops.snapshot_id": "2026-01-05"})
    client = SimpleNamespace(get_model_version=lambda name, v: version)
    monkeypatch.setattr(tracking, "client", lambda: client)

    def lost(run_id: str) -> Any:
        raise TimeoutError("read timed out")

    monkeypatch.setattr(references, "load_holdout_sample", lost)
    with pytest.raises(TransientError, match="cannot load its holdout"):
        baseline.score_baseline(churn_cfg, 3, reference=None)  # type: ignore[arg-type]
