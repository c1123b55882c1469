"""`mlops check-config` reports every config and every problem in one run: a schema typo, estimator
params scikit-learn would refuse, a floor outside the metric's range, a missing suite file, an unknown
expectation and a column that is not in the config; a good config next to them is still ok."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from airflow_champion.pipeline import cli
from airflow_champion.pipeline.check_config import check_configs

pytestmark = pytest.mark.unit

REPO = Path(__file__).resolve().parents[3]


def _churn() -> dict[str, Any]:
    return dict(yaml.safe_load((REPO / "include" / "configs" / "churn.yaml").read_text()))


@pytest.fixture
def cfg_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "configs"
    (folder / "expectations").mkdir(parents=True)
    monkeypatch.setenv("MLOPS_CONFIG_DIR", str(folder))
    shutil.copy(REPO / "include" / "configs" / "churn.yaml", folder / "good.yaml")
    good = _churn() | {"name": "good"}
    (folder / "good.yaml").write_text(yaml.safe_dump(good))

    typo = _churn() | {"name": "typo"}  # does not parse: every other check still runs on its raw values
    typo["estimator"] = {"clas": "x"} | {"class": typo["estimator"]["class"], "params": {"max_iter": -5}}
    typo["promotion"] = typo["promotion"] | {"floor": 1.7}
    typo["validation"] = {"suite": "missing.yaml"}
    (folder / "typo.yaml").write_text(yaml.safe_dump(typo))

    suite = _churn() | {"name": "suite"}  # parses; its suite file has two bad entries, its params one
    suite["estimator"] = {"class": "sklearn.linear_model.LogisticRegression", "params": {"C": -1.0}}
    suite["validation"] = {"suite": "suite.yaml"}
    (folder / "suite.yaml").write_text(yaml.safe_dump(suite))
    entries = [
        {"expectation": "expect_column_means_to_be_between", "kwargs": {"column": "age"}},
        {"expectation": "expect_column_values_to_not_be_null", "kwargs": {"column": "customer_id"}},
    ]
    (folder / "expectations" / "suite.yaml").write_text(yaml.safe_dump({"expectations": entries}))
    return folder


def test_every_config_and_every_problem_in_one_report(cfg_dir: Path) -> None:
    report = check_configs()
    assert sorted(report) == ["good", "suite", "typo"]
    assert report["good"]["ok"] and report["good"]["problems"] == []

    typo = "\n".join(report["typo"]["problems"])
    assert not report["typo"]["ok"]
    assert "clas" in typo and "did you mean 'class'" in typo
    assert "max_iter" in typo  # scikit-learn: must be an int in [1, inf)
    assert "promotion.floor 1.7 is outside the range of roc_auc" in typo
    assert "missing.yaml" in typo

    suite = report["suite"]["problems"]
    assert not report["suite"]["ok"]
    assert any("estimator.params" in p and "'C'" in p for p in suite), suite
    assert any("expect_column_means_to_be_between" in p and "unknown expectation" in p for p in suite), suite
    assert any("customer_id" in p and "neither a feature nor the target" in p for p in suite), suite


def test_the_cli_prints_the_report_and_exits_3(cfg_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["check-config"]) == cli.EXIT_GATE
    printed = json.loads(capsys.readouterr().out)
    assert sorted(printed) == ["good", "suite", "typo"]
    assert cli.main(["check-config", "good"]) == 0


def test_late_config_mistakes_are_reported_by_check_config(cfg_dir: Path) -> None:
    """A suite path outside the suite folder, a cron field out of range and a floor a guess passes."""
    late = _churn() | {"name": "late", "schedule": "99 99 99 99 99"}
    (cfg_dir / "late.yaml").write_text(yaml.safe_dump(late))
    escape = _churn() | {"name": "escape", "validation": {"suite": "/etc/passwd"}}
    escape["promotion"] = escape["promotion"] | {"floor": 0.05}
    (cfg_dir / "escape.yaml").write_text(yaml.safe_dump(escape))
    report = check_configs(["late", "escape"])
    assert any("schedule" in p and "the minute field '99'" in p for p in report["late"]["problems"])
    problems = report["escape"]["problems"]
    assert any(
        f"validation.suite '/etc/passwd' resolves to /etc/passwd, outside {cfg_dir}" in p for p in problems
    )
    assert any("promotion.floor 0.05 is below roc_auc's chance level 0.5" in p for p in problems), problems
