"""`mlops reproduce`: exit 0 only when the version came out identical; a difference, a non-reproducible
estimator or a refusal prints its JSON with the reason and exits EXIT_GATE."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from airflow_champion.pipeline.cli import EXIT_GATE, main

pytestmark = pytest.mark.unit


@pytest.mark.mlflow
def test_a_version_that_does_not_exist_exits_gate_with_its_reason(
    mlops_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["reproduce", "churn", "7"]) == EXIT_GATE
    out = json.loads(capsys.readouterr().out)
    assert out["status"] == "refused" and out["reason"] == "version_not_found"
    assert "no registered version 7" in out["reasons"][0]["message"]


@pytest.mark.parametrize(
    ("status", "code"), [("identical", 0), ("differs", EXIT_GATE), ("not_reproducible", EXIT_GATE)]
)
def test_only_an_identical_reproduction_exits_zero(
    status: str, code: int, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from airflow_champion.modeling import reproduce

    calls: list[dict[str, Any]] = []

    def fake(model: str, version: int, **kw: Any) -> dict[str, Any]:
        calls.append({"model": model, "version": version, **kw})
        return {"status": status, "reason": None if status == "identical" else "metrics_differ"}

    monkeypatch.setattr(reproduce, "reproduce", fake)
    assert main(["reproduce", "churn", "3", "--allow-code-change", "--no-record"]) == code
    assert json.loads(capsys.readouterr().out)["status"] == status
    assert calls == [
        {"model": "churn", "version": 3, "allow_code_change": True, "use_config_file": False, "record": False}
    ]
