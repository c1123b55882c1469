"""The retrain chain the CLI runs is the DAG's chain, and every CLI flag says what it does."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from airflow_champion.pipeline import chain
from airflow_champion.pipeline.cli import build_parser

pytestmark = pytest.mark.unit


def _actions(parser: Any) -> list[Any]:
    import argparse

    out = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                out.extend(_actions(sub))
        elif not isinstance(action, argparse._HelpAction):
            out.append((parser.prog, action))
    return out


def test_every_cli_flag_and_argument_has_a_description() -> None:
    missing = [f"{prog} {a.dest}" for prog, a in _actions(build_parser()) if not (a.help or "").strip()]
    assert missing == []


@pytest.mark.mlflow
@pytest.mark.slow
def test_mlops_run_claims_judges_promotes_and_finishes_the_claim(
    mlops_home: Path, bc_cfg: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pandas as pd
    from airflow_champion.data import claims, reading
    from airflow_champion_demo import datagen

    (m,) = datagen.write_weekly_snapshots(bc_cfg, start=__import__("datetime").date(2026, 11, 2), seed=1)
    decoded: list[Any] = []
    real = reading._load_snapshot
    monkeypatch.setattr(reading, "_load_snapshot", lambda c, sid: decoded.append(real(c, sid)) or decoded[-1])
    result = chain.run_retrain("breast_cancer", m.snapshot_id, run_id="cli-test", reason="test")
    assert len(decoded) == 1  # one read and hash for every step: the frame validate checked
    pd.testing.assert_frame_equal(decoded[0][0], real(bc_cfg, m.snapshot_id)[0])  # no step wrote into it
    assert list(result) == ["claim", *chain.RETRAIN_STEPS[1:]]
    assert result["promote"]["promoted"] is True and result["promote"]["claim_finished"] is True
    _gen, record = claims.current_claim(bc_cfg, m.snapshot_id)
    assert record is not None and record["state"] == claims.DONE
    again = chain.run_retrain("breast_cancer", m.snapshot_id, run_id="cli-test-2", reason="test")
    assert "already retrained" in again["skipped"]
