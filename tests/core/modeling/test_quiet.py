"""Saving and loading a model in an Airflow task process does not flood the task log.

skops's first import in a process scans every loaded module; with Airflow's deprecated-module shims
loaded (every task process has them) that was ~1,160 DeprecatedImportWarning lines per task
(settings.import_skops says why). Each check runs in a fresh interpreter, because only the first
import of skops in a process warns, with the shims imported first, as in a task.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ISOLATED_VARS

pytestmark = [pytest.mark.unit, pytest.mark.mlflow]

# Airflow's deprecated-module shims that a task process has loaded (they warn on any attribute)
SHIMS = (
    "airflow.utils.timezone",
    "airflow.utils.trigger_rule",
    "airflow.utils.operator_resources",
    "airflow.utils.entry_points",
    "airflow.serialization.serde",
)


def _run(home: Path, body: str) -> dict[str, Any]:
    """Run `body` in a fresh interpreter with the shims loaded; count what skops's import warned."""
    code = "\n".join(
        [
            "import importlib, json, warnings",
            f"for name in {SHIMS!r}:",
            "    importlib.import_module(name)",
            "out = {}",
            "with warnings.catch_warnings(record=True) as caught:",
            "    warnings.simplefilter('always')",
            textwrap.indent(textwrap.dedent(body), "    "),
            "skops = [w for w in caught if w.filename.replace('\\\\', '/').endswith('skops/io/_utils.py')]",
            "out['skops_warnings'] = len(skops)",
            "out['first'] = str(skops[0].message) if skops else None",
            "print(json.dumps(out))",
        ]
    )
    env = {k: v for k, v in os.environ.items() if k not in ISOLATED_VARS}
    env["MLOPS_HOME"] = str(home)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


@pytest.fixture(scope="module")
def home(mlflow_db_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("quiet")
    shutil.copy(mlflow_db_template, home / "mlflow.db")
    mp = pytest.MonkeyPatch()
    mp.setenv("MLOPS_HOME", str(home))
    try:
        from airflow_champion.config import load_config
        from airflow_champion_demo import datagen

        datagen.write_weekly_snapshots(load_config("churn"), start=date(2026, 11, 2), rows=400, seed=1)
    finally:
        mp.undo()
    return home


def test_the_shims_make_a_plain_skops_import_flood_the_log(home: Path) -> None:
    """The cause, reproduced: if this stops flooding, skops or Airflow fixed it upstream."""
    out = _run(home, "import skops.io")
    assert out["skops_warnings"] > 100, out
    assert out["first"].startswith("The `airflow."), out


@pytest.fixture(scope="module")
def saved_and_loaded(home: Path) -> dict[str, Any]:
    """Train (fit, skops check, log_model) and load the version, in one task-like process."""
    return _run(
        home,
        """
        from airflow_champion.pipeline import steps
        from airflow_champion.registry import tracking
        cfg = steps.config("churn")
        trained = steps.train(cfg, "2026-11-02", lineage={"dag_id": "t", "run_id": "t"})
        out["version"] = int(trained["version"])
        out["loaded"] = type(tracking.load_model(cfg, out["version"])).__name__
        """,
    )


def test_saving_and_loading_a_model_emits_no_skops_scan_warning(saved_and_loaded: dict[str, Any]) -> None:
    assert saved_and_loaded["loaded"] == "Pipeline", saved_and_loaded
    assert saved_and_loaded["skops_warnings"] == 0, saved_and_loaded


def test_loading_first_as_the_evaluate_task_does_emits_no_skops_scan_warning(
    home: Path, saved_and_loaded: dict[str, Any]
) -> None:
    """A task process that only loads a model (check_champion, evaluate, the drift monitor)."""
    out = _run(
        home,
        f"""
        from airflow_champion.pipeline import steps
        from airflow_champion.registry import tracking
        model = tracking.load_model(steps.config("churn"), {saved_and_loaded["version"]})
        out["loaded"] = type(model).__name__
        """,
    )
    assert out["loaded"] == "Pipeline", out
    assert out["skops_warnings"] == 0, out
