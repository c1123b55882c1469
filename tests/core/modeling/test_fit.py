"""fit_challenger refuses, before anything is fit or logged, judged rows that cannot rank two models."""

from __future__ import annotations

from typing import Any

import pytest
from airflow_champion.errors import TrainingError

from tests.dags import scenarios

pytestmark = pytest.mark.unit


def _time_cfg(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    from airflow_champion.config import load_config

    folder = scenarios.churn_config(
        tmp_path / "cfg", holdout__policy="time", holdout__time_column="event_time", holdout__stratify=False
    )
    monkeypatch.setenv("MLOPS_CONFIG_DIR", str(folder))
    return load_config("churn")


def test_a_single_class_holdout_is_a_named_error_before_fitting(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from airflow_champion.modeling import fit

    cfg = _time_cfg(tmp_path, monkeypatch)
    df = scenarios.with_event_time(scenarios.churn(400, 1), seed=1)
    df.loc[df.index[300:], "churned"] = 0  # the latest quarter (the judged rows) never churns
    fitted: list[Any] = []
    monkeypatch.setattr(fit, "build_pipeline", lambda c: fitted.append(c) or pytest.fail("fit"))
    with pytest.raises(TrainingError) as caught:
        fit.fit_challenger(cfg, df, "2026-11-02")
    message = str(caught.value)
    assert type(caught.value).__name__ == "UnjudgeableHoldoutError"
    assert "snapshot 2026-11-02" in message and "holdout policy 'time'" in message
    assert "100 judged rows" in message and "{0: 100}" in message  # the class counts
    assert "holdout.fraction" in message  # the advice
    assert not fitted
