"""DAG files parse without errors, stay cheap to parse, and expose validated params."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from typing import Any

import pytest

from tests.airflow_support import AIRFLOW_ENV, REPO

pytestmark = pytest.mark.airflow

# boto3 is listed: Airflow imports it (through the amazon provider's asset-URI handler) for an Asset
# whose scheme does not start with `x-`; ours is `x-mlops` (operators/champion.py, ASSET_SCHEME).
HEAVY = {
    "boto3",
    "botocore",
    "pandas",
    "numpy",
    "sklearn",
    "scipy",
    "mlflow",
    "great_expectations",
    "evidently",
    "pyarrow",
    "matplotlib",
    "skops",
    "kubernetes",  # only a config in execution.mode kubernetes loads the pod operator
}


def test_dagbag_has_no_import_errors_and_all_model_dags() -> None:
    from airflow.dag_processing.dagbag import DagBag
    from airflow_champion.config import list_config_names

    bag = DagBag(dag_folder=str(REPO / "dags"))
    assert bag.import_errors == {}
    for name in list_config_names():
        for suffix in ("retrain", "rollback"):
            assert f"{name}_{suffix}" in bag.dag_ids
    retrain = bag.dags.get("churn_retrain")
    assert retrain is not None
    assert retrain.max_active_runs == 1
    order = [t.task_id for t in retrain.topological_sort()]
    assert order[:6] == ["claim", "validate", "check_champion", "train", "evaluate", "promote"]
    assert order[6:] == ["champion_moved", "release_claim"]  # Airflow-only: the asset event, the teardown
    for name in list_config_names():
        assert f"{name}_drift_monitor" in bag.dag_ids
        assert f"{name}_snapshot_watch" in bag.dag_ids


def test_retrain_runs_on_cron_or_new_snapshot_and_updates_the_champion_asset() -> None:
    from airflow.sdk import AssetOrTimeSchedule
    from airflow_champion.operators.dag_factory import build_dags

    dags = build_dags("churn")
    retrain = dags["churn_retrain"]
    assert isinstance(retrain.timetable, AssetOrTimeSchedule)
    assert retrain.timetable.timetable.expression == "0 3 * * 1"
    assert retrain.timetable.asset_condition.uri == "x-mlops://churn/snapshots"
    assert retrain.get_task("promote").outlets == []  # a rejection succeeds too: no event from promote
    assert [o.uri for o in retrain.get_task("champion_moved").outlets] == ["x-mlops://churn/champion"]
    # the automatic rollback adds its event through an alias: a plain outlet would fire on every check
    assert [type(o).__name__ for o in retrain.get_task("check_champion").outlets] == ["AssetAlias"]
    assert [o.uri for o in dags["churn_rollback"].get_task("rollback").outlets] == [
        "x-mlops://churn/champion"
    ]
    watch = dags["churn_snapshot_watch"].get_task("wait_for_snapshot")
    assert [o.uri for o in watch.outlets] == ["x-mlops://churn/snapshots"]
    assert watch.deferrable is True
    assert dags["churn_drift_monitor"].get_task("drift_gate").deferrable is True


def test_watcher_mode_puts_an_asset_watcher_on_the_snapshot_asset(monkeypatch: pytest.MonkeyPatch) -> None:
    from airflow_champion.config import load_config
    from airflow_champion.operators import dag_factory
    from airflow_champion.sensors.triggers import NewSnapshotTrigger

    cfg = load_config("churn")
    watched = cfg.model_copy(update={"snapshots": cfg.snapshots.model_copy(update={"detection": "watcher"})})
    monkeypatch.setattr(dag_factory, "load_config", lambda _name: watched)
    dags = dag_factory.build_dags("churn")
    assert "churn_snapshot_watch" not in dags  # the watcher replaces the sensor DAG
    (watcher,) = dags["churn_retrain"].timetable.asset_condition.watchers
    assert isinstance(watcher.trigger, NewSnapshotTrigger)
    assert watcher.trigger.mode == "watch"


def test_parsing_dag_files_imports_no_heavy_module() -> None:
    code = (
        "import glob, importlib.util, sys, json\n"
        f"sys.path[:0] = [{str(REPO / 'dags')!r}, {str(REPO / 'plugins')!r}, {str(REPO)!r}]\n"
        f"for i, p in enumerate(sorted(glob.glob({str(REPO / 'dags' / '*.py')!r}))):\n"
        "    s = importlib.util.spec_from_file_location(f'_d{i}', p)\n"
        "    m = importlib.util.module_from_spec(s)\n"
        "    s.loader.exec_module(m)\n"
        "import mlops_plugin\n"
        "print(json.dumps(sorted({k.split('.')[0] for k in sys.modules})))\n"
    )
    env = {**AIRFLOW_ENV, "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    loaded = set(json.loads(out.stdout.strip().splitlines()[-1]))
    assert loaded & HEAVY == set(), f"DAG parsing imported heavy modules: {sorted(loaded & HEAVY)}"


def resolve(dag: Any, conf: dict[str, Any]) -> dict[str, Any]:
    """What Airflow does with a trigger's conf: merge into the DAG's params and validate."""
    params = copy.deepcopy(dag.params)
    params.update(conf)
    return dict(params.validate())


@pytest.mark.parametrize(
    "conf",
    [
        {"snapshot_id": "../../etc/passwd"},
        {"snapshot_id": "s3://other-bucket/x"},
        {"snapshot_id": "{{ 7 * 7 }}"},
        {"force": "yes"},
        {"reason": "x" * 500},
    ],
)
def test_retrain_params_reject_values_outside_schema(conf: dict) -> None:
    from airflow.sdk.exceptions import ParamValidationError
    from airflow_champion.operators.dag_factory import build_dags

    dag = build_dags("churn")["churn_retrain"]
    with pytest.raises(ParamValidationError):
        resolve(dag, conf)


def test_retrain_params_accept_good_values() -> None:
    from airflow_champion.operators.dag_factory import build_dags

    dag = build_dags("churn")["churn_retrain"]
    resolved = resolve(
        dag, {"snapshot_id": "2026-11-02", "force": True, "reason": "api: new labels", "shadow": True}
    )
    assert resolved == {
        "snapshot_id": "2026-11-02",
        "force": True,
        "reason": "api: new labels",
        "shadow": True,
    }
    assert resolve(dag, {})["shadow"] is False and resolve(dag, {})["reason"] == ""


def test_rollback_requires_a_reason() -> None:
    from airflow.sdk.exceptions import ParamValidationError
    from airflow_champion.operators.dag_factory import build_dags

    dag = build_dags("churn")["churn_rollback"]
    with pytest.raises(ParamValidationError):
        resolve(dag, {"to_version": 2})
    assert resolve(dag, {"reason": "bad week"})["to_version"] is None


def test_the_retrain_dag_runs_the_chain_the_cli_runs() -> None:
    from airflow_champion.operators.dag_factory import build_dags
    from airflow_champion.pipeline.chain import RETRAIN_STEPS

    order = [t.task_id for t in build_dags("churn")["churn_retrain"].topological_sort()]
    assert tuple(order[: len(RETRAIN_STEPS)]) == RETRAIN_STEPS
