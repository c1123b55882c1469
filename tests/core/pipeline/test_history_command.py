"""`mlops history` on a real MLflow store: two promotions and a rollback through the CLI, then who was
champion when (table, --json, --at), an alias moved behind the ledger's back, and the errors.

Versions are registered without model files (promotion and rollback never load a model); the ledger's
clock is fixed so that each decision has its own instant.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from airflow_champion.pipeline import cli
from airflow_champion.registry import ledger, tracking

pytestmark = [pytest.mark.unit, pytest.mark.mlflow]

T1, T2, T3 = "2026-11-02T09:00:00+00:00", "2026-11-09T09:00:00+00:00", "2026-11-10T15:30:00+00:00"


def _version(cfg: Any, home: Path) -> int:
    from mlflow.exceptions import MlflowException

    c = tracking.client()
    try:
        c.get_registered_model(cfg.registered_model_name)
    except MlflowException:
        c.create_registered_model(cfg.registered_model_name)
    mv = c.create_model_version(
        cfg.registered_model_name, source=(home / "model").as_uri(), tags={"mlops.verdict": "promote"}
    )
    return int(mv.version)


def _verdict(tmp: Path, cfg: Any, challenger: int, champion: int | None) -> str:
    path = tmp / f"verdict-{challenger}.json"
    verdict = {
        "model": cfg.name,
        "snapshot_id": f"2026-11-0{challenger}",
        "challenger_version": challenger,
        "champion_version": champion,
        "decision": "promote",
        "reasons": [f"v{challenger} beats the champion"],
        "metric": "roc_auc",
        "challenger_score": 0.9 + challenger / 100,
        "champion_score": 0.9 if champion else None,
        "ci_low": 0.01,
        "eval_run_id": None,
    }
    path.write_text(json.dumps(verdict), encoding="utf-8")
    return str(path)


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def promoted_twice_then_rolled_back(
    mlops_home: Path, bc_cfg: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> Iterator[tuple[int, int]]:
    """v1 promoted at T1, v2 at T2, rolled back to v1 at T3: all through `mlops promote|rollback`."""
    times = iter([T1, T2, T3])
    monkeypatch.setattr(ledger, "_now", lambda: next(times))
    v1, v2 = _version(bc_cfg, mlops_home), _version(bc_cfg, mlops_home)
    assert _run(capsys, "promote", bc_cfg.name, "--verdict", _verdict(tmp_path, bc_cfg, v1, None))[0] == 0
    assert _run(capsys, "promote", bc_cfg.name, "--verdict", _verdict(tmp_path, bc_cfg, v2, v1))[0] == 0
    code, _out, err = _run(capsys, "rollback", bc_cfg.name, "--reason", "complaints", "--actor", "oncall")
    assert code == 0, err
    yield v1, v2


def test_history_after_two_promotions_and_a_rollback(
    promoted_twice_then_rolled_back: tuple[int, int], bc_cfg: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    v1, v2 = promoted_twice_then_rolled_back
    code, out, _err = _run(capsys, "history", bc_cfg.name, "--json")
    assert code == 0
    result = json.loads(out)
    assert [(p["version"], p["from"], p["until"], p["entry"]["action"]) for p in result["periods"]] == [
        (v1, T1, T2, "promote"),
        (v2, T2, T3, "promote"),
        (v1, T3, None, "rollback"),
    ]
    assert result["champion"] == result["ledger_champion"] == v1 and result["findings"] == []
    second = result["periods"][1]["entry"]
    assert second["reason"] == f"v{v2} beats the champion" and second["metric"]["name"] == "roc_auc"
    assert result["periods"][2]["entry"]["actor"] == "oncall"

    code, out, _err = _run(capsys, "history", bc_cfg.name, "--at", "2026-11-10")  # a date: 00:00 UTC
    assert code == 0
    assert f"At 2026-11-10T00:00:00+00:00 (the date 2026-11-10 is read as 00:00 UTC): v{v2}," in out
    assert f"v{v2} beats the champion" in out and "roc_auc 0.92 vs 0.9" in out
    marked = [line for line in out.splitlines() if line.startswith(">")]
    assert len(marked) == 1 and f"v{v2}" in marked[0] and T2 in marked[0]

    code, out, _err = _run(capsys, "history", bc_cfg.name, "--at", T3, "--json")  # the rollback's instant
    assert json.loads(out)["at"]["champion"] == v1
    code, out, _err = _run(capsys, "history", bc_cfg.name, "--at", "2026-11-01T23:59:59Z")
    assert "no champion (the first champion came at " + T1 in out


def test_an_alias_moved_outside_the_ledger_is_said(
    promoted_twice_then_rolled_back: tuple[int, int], bc_cfg: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    v1, v2 = promoted_twice_then_rolled_back
    tracking.client().set_registered_model_alias(bc_cfg.registered_model_name, tracking.CHAMPION, str(v2))
    code, out, _err = _run(capsys, "history", bc_cfg.name)
    assert code == 0
    assert f"Now: v{v2}." in out
    assert f"WARNING: the champion was moved outside the ledger from v{v1} to v{v2}" in out
    result = json.loads(_run(capsys, "history", bc_cfg.name, "--json")[1])
    assert (result["champion"], result["ledger_champion"], result["consistent"]) == (v2, v1, False)
    assert result["periods"][-1]["moved_outside_ledger"] is True


def test_an_unknown_model_and_a_bad_time_are_one_line_errors(
    mlops_home: Path, bc_cfg: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _run(capsys, "history", "no_such_model")
    assert code == cli.EXIT_GATE and out == ""
    assert err.count("\n") == 1 and err.startswith("mlops history: ConfigError: model config not found")
    with pytest.raises(SystemExit) as exc:
        cli.main(["history", bc_cfg.name, "--at", "last tuesday"])
    assert exc.value.code == 2
    assert "argument --at: not a time: 'last tuesday'" in capsys.readouterr().err
    code, out, _err = _run(capsys, "history", bc_cfg.name)  # registered nowhere yet: no champion, said
    assert code == 0 and "No champion yet" in out and "Now: no champion alias" in out
