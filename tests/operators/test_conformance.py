"""One conformance suite over every operator, sensor and trigger of the project (as scikit-learn's
`parametrize_with_checks` runs one suite over every estimator):

* every operator and sensor is listed here (a new one fails `test_every_operator_is_checked`);
* templated fields render from Jinja and keep their constructor argument's name;
* `__init__` loads no config, opens no store, no MLflow client, no socket, imports nothing heavy;
* every trigger's `serialize()` is exactly its constructor kwargs (a dropped kwarg fails), and the
  sensors defer with the kwargs their config says;
* re-executing an operator after it succeeded returns the same result and changes nothing more
  (no second version, ledger entry, claim generation or evaluation run).
"""

from __future__ import annotations

import importlib
import inspect
import json
import pkgutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.operators.fakes import FakeDag, FakeTI

pytestmark = pytest.mark.airflow

# ------------------------------------------------------------------------------------------ the list

OPERATOR_KWARGS: dict[str, dict[str, Any]] = {
    # class path -> constructor kwargs, every templated field given a template
    "airflow_champion.operators.claims.ClaimSnapshotOperator": {
        "model": "{{ params.model }}",
        "snapshot_id": "{{ params.sid }}",
        "force": "{{ params.force }}",
    },
    "airflow_champion.operators.claims.ReleaseClaimOperator": {
        "model": "{{ params.model }}",
        "snapshot_id": "{{ params.sid }}",
    },
    "airflow_champion.operators.gates.ValidateSnapshotOperator": {
        "model": "{{ params.model }}",
        "snapshot_id": "{{ params.sid }}",
    },
    "airflow_champion.operators.gates.CheckChampionOperator": {
        "model": "{{ params.model }}",
        "snapshot_id": "{{ params.sid }}",
    },
    "airflow_champion.operators.gates.TrainModelOperator": {
        "model": "{{ params.model }}",
        "snapshot_id": "{{ params.sid }}",
        "expected_sha256": "{{ params.sha }}",
        "force": "{{ params.force }}",
    },
    "airflow_champion.operators.gates.EvaluateChallengerOperator": {
        "model": "{{ params.model }}",
        "snapshot_id": "{{ params.sid }}",
        "challenger_version": "{{ params.version }}",
    },
    "airflow_champion.operators.gates.PromoteModelOperator": {
        "model": "{{ params.model }}",
        "verdict": "{{ params.verdict }}",
        "shadow": "{{ params.force }}",
        "approval": "{{ params.approval }}",
    },
    "airflow_champion.operators.approval.PromotionApprovalOperator": {
        "model": "{{ params.model }}",
        "verdict": "{{ params.verdict }}",
        "shadow": "{{ params.force }}",
    },
    "airflow_champion.operators.champion.ChampionMovedOperator": {
        "model": "{{ params.model }}",
        "promotion": "{{ params.verdict }}",
    },
    "airflow_champion.operators.gates.RollbackModelOperator": {
        "model": "{{ params.model }}",
        "reason": "{{ params.reason }}",
        "to_version": "{{ params.version }}",
        "expected_champion": "{{ params.version }}",
    },
    "airflow_champion.operators.drift.DriftMonitorOperator": {
        "model": "{{ params.model }}",
        "snapshot_id": "{{ params.sid }}",
        "force": "{{ params.force }}",
    },
    "airflow_champion.operators.replay.ReplayGateOperator": {
        "model": "{{ params.model }}",
        "from_id": "{{ params.sid }}",
        "to_id": "{{ params.sid }}",
        "overrides": "{{ params.overrides }}",
    },
    "airflow_champion.sensors.snapshot_sensor.NewSnapshotSensor": {"model": "{{ params.model }}"},
    "airflow_champion.sensors.drift_sensor.DriftSensor": {
        "model": "{{ params.model }}",
        "snapshot_id": "{{ params.sid }}",
    },
}
NOT_CHECKED = {
    # the provider's KubernetesPodOperator with one changed method (cleanup); its templating and
    # construction are the provider's, what we configure is checked in test_kubernetes_mode.py
    "airflow_champion.operators.kubernetes_pod.GatePodOperator",
}
ABSTRACT = {
    "airflow_champion.operators.base.MlopsOperator",
    "airflow_champion.operators.claims.SnapshotPickingOperator",
    "airflow_champion.sensors.base.ModelSensor",
}
PARAMS = {
    "model": "churn",
    "sid": "2026-11-09",
    "force": "True",
    "sha": "ab" * 32,
    "version": "3",
    "verdict": "promote",
    "reason": "incident 42",
    "overrides": "holdout-as-configured",
    "approval": "approved",
}
TRIGGER_KWARGS: dict[str, dict[str, Any]] = {  # every constructor argument, none at its default
    "airflow_champion.sensors.triggers.NewSnapshotTrigger": {
        "model": "churn",
        "mode": "watch",
        "poll_seconds": 7.0,
        "aws_conn_id": "aws_minio",
    },
    "airflow_champion.sensors.triggers.DriftVerdictTrigger": {
        "model": "churn",
        "snapshot_id": "2026-11-09",
        "poll_seconds": 9.0,
        "aws_conn_id": "aws_minio",
    },
}


def _classes(base_path: str, packages: tuple[str, ...]) -> set[str]:
    module, _, name = base_path.rpartition(".")
    base = getattr(importlib.import_module(module), name)
    found = set()
    for package in packages:
        pkg = importlib.import_module(package)
        for info in pkgutil.walk_packages(pkg.__path__, f"{package}."):
            mod = importlib.import_module(info.name)
            for obj in vars(mod).values():
                if inspect.isclass(obj) and issubclass(obj, base) and obj.__module__ == mod.__name__:
                    found.add(f"{obj.__module__}.{obj.__qualname__}")
    return found


def _load(path: str) -> type:
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)  # type: ignore[no-any-return]


def test_every_operator_and_trigger_is_checked() -> None:
    packages = ("airflow_champion.operators", "airflow_champion.sensors")
    operators = _classes("airflow.sdk.BaseOperator", packages)
    assert operators == set(OPERATOR_KWARGS) | NOT_CHECKED | ABSTRACT
    triggers = _classes("airflow.triggers.base.BaseTrigger", packages)
    assert triggers == set(TRIGGER_KWARGS)


# ----------------------------------------------------------------------------------------- templating


@pytest.mark.parametrize("path", sorted(OPERATOR_KWARGS))
def test_templated_fields_render_and_keep_their_argument_names(path: str) -> None:
    from airflow.sdk import DAG

    cls = _load(path)
    kwargs = OPERATOR_KWARGS[path]
    params = {
        name
        for c in cls.__mro__
        if "__init__" in vars(c)
        for name in inspect.signature(c.__init__).parameters
    }
    assert set(cls.template_fields) <= params, "a templated field must be named as its argument"
    assert set(cls.template_fields) <= set(kwargs), "every templated field is exercised"
    with DAG(f"conformance_{cls.__name__}", schedule=None, start_date=datetime(2026, 1, 1)) as dag:
        op = cls(task_id="t", **kwargs)
    op.render_template_fields({"params": PARAMS}, jinja_env=dag.get_template_env())
    for name in cls.template_fields:
        expected = kwargs[name].replace("{{ params.", "").replace(" }}", "")
        assert getattr(op, name) == PARAMS[expected], name


# ------------------------------------------------------------------------------------ cheap __init__


@pytest.mark.parametrize("path", sorted(OPERATOR_KWARGS))
def test_init_loads_no_config_and_does_no_io(path: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    from airflow_champion.config import loading
    from airflow_champion.data import credentials, storage
    from airflow_champion.pipeline import steps
    from airflow_champion.registry import tracking

    def forbidden(*_a: Any, **_k: Any) -> Any:
        raise AssertionError(f"{path}.__init__ did work that belongs in execute()")

    for target, name in (
        (loading, "load_config"),
        (steps, "load_config"),
        (storage, "open_store"),
        (credentials, "s3_client"),
        (tracking, "client"),
        (socket.socket, "connect"),
    ):
        monkeypatch.setattr(target, name, forbidden)
    _load(path)(
        task_id="t", **{k: v.replace("{{ params.model }}", "churn") for k, v in OPERATOR_KWARGS[path].items()}
    )


def test_constructing_every_operator_imports_nothing_heavy() -> None:
    code = f"""
import importlib, json, sys
kwargs = json.loads({json.dumps(json.dumps(OPERATOR_KWARGS))})
classes = []
for path in kwargs:
    module, _, name = path.rpartition(".")
    classes.append((getattr(importlib.import_module(module), name), kwargs[path]))
before = set(sys.modules)
for cls, kw in classes:
    cls(task_id="t", **kw)
heavy = {{"pandas", "numpy", "sklearn", "scipy", "mlflow", "great_expectations", "evidently"}}
heavy |= {{"boto3", "pyarrow"}}
print(json.dumps(sorted({{m.split(".")[0] for m in set(sys.modules) - before}} & heavy)))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert json.loads(out.strip().splitlines()[-1]) == []


# ------------------------------------------------------------------------------------------- triggers


@pytest.mark.parametrize("path", sorted(TRIGGER_KWARGS))
def test_trigger_serializes_to_exactly_its_constructor_kwargs(path: str) -> None:
    cls = _load(path)
    kwargs = TRIGGER_KWARGS[path]
    assert set(kwargs) == set(inspect.signature(cls.__init__).parameters) - {"self"}
    classpath, serialized = cls(**kwargs).serialize()
    assert classpath == path
    assert serialized == kwargs
    stored = json.loads(json.dumps(serialized))  # what the metadata DB keeps
    assert _load(classpath)(**stored).serialize() == (classpath, kwargs)


@pytest.mark.parametrize(
    ("sensor", "kwargs", "expected"),
    [
        ("NewSnapshotSensor", {}, {"mode": "sensor"}),
        ("DriftSensor", {"snapshot_id": "2026-11-09"}, {"snapshot_id": "2026-11-09"}),
    ],
)
def test_sensors_defer_with_the_kwargs_their_config_says(sensor: str, kwargs: dict, expected: dict) -> None:
    from airflow.sdk.exceptions import TaskDeferred
    from airflow_champion.config import load_config
    from airflow_champion.sensors import drift_sensor, snapshot_sensor

    cls = {"NewSnapshotSensor": snapshot_sensor.NewSnapshotSensor, "DriftSensor": drift_sensor.DriftSensor}[
        sensor
    ]
    cfg = load_config("churn")
    with pytest.raises(TaskDeferred) as deferred:
        cls(task_id="t", model="churn", **kwargs).execute(context={})  # type: ignore[arg-type]
    _path, serialized = deferred.value.trigger.serialize()
    assert serialized == {
        "model": "churn",
        "poll_seconds": cfg.snapshots.poll_seconds,
        "aws_conn_id": cfg.snapshots.aws_conn_id,
        **expected,
    }


# -------------------------------------------------------------------------------------- idempotence


@dataclass
class FakeDagRun:
    run_type: str = "manual"
    triggering_user_name: str | None = None


def _context(run_id: str = "manual__conformance") -> dict[str, Any]:
    return {
        "ti": FakeTI(),
        "dag": FakeDag("churn_retrain"),
        "run_id": run_id,
        "dag_run": FakeDagRun(),
        "params": {"reason": "conformance"},
        "outlet_events": {},
    }


@dataclass
class World:
    cfg: Any
    first: str
    second: str


VOLATILE = {
    "duration_s",
    "reused",
    "timings",
    "claim_finished",
    "generation",
    "reason",
    "seconds",
    "computed_at",
}


def _stable(result: Any) -> Any:
    if isinstance(result, dict):
        return {k: _stable(v) for k, v in result.items() if k not in VOLATILE}
    return result


def _footprint(cfg: Any) -> dict[str, Any]:
    """Everything a second execution must not add to."""
    from airflow_champion import registry
    from airflow_champion.registry import tracking

    client = tracking.client()
    versions = client.search_model_versions(f"name='{cfg.registered_model_name}'")
    runs = client.search_runs([tracking.ensure_experiment(cfg)], max_results=1000)
    root = Path(cfg.snapshot_root())
    return {
        "versions": len(versions),
        "ledger": len(registry.read_ledger(cfg)),
        "runs": len(runs),
        "files": sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()),
        "champion": tracking.alias_version(cfg, tracking.CHAMPION),
    }


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    from airflow_champion.config import load_config
    from airflow_champion_demo import datagen

    mp = pytest.MonkeyPatch()
    home = tmp_path_factory.mktemp("conformance")
    mp.setenv("MLOPS_HOME", str(home))
    for var in ("MLFLOW_TRACKING_URI", "MLOPS_ARTIFACT_ROOT", "MLOPS_LOCK_URL"):
        mp.delenv(var, raising=False)
    cfg = load_config("churn")
    datagen.write_weekly_snapshots(cfg, start=date(2026, 11, 2), rows=800, seed=1, label_noise=0.25)
    datagen.write_weekly_snapshots(cfg, start=date(2026, 11, 9), rows=3000, seed=2)
    try:
        yield World(cfg, "2026-11-02", "2026-11-09")
    finally:
        mp.undo()


def _twice(op: Any, context: dict[str, Any], cfg: Any) -> tuple[Any, Any, dict, dict]:
    first = op.execute(context)
    after_first = _footprint(cfg)
    second = op.execute(context)
    return first, second, after_first, _footprint(cfg)


def _gates(world: World, sid: str, run_id: str) -> dict[str, Any]:
    """claim -> validate -> check_champion -> train -> evaluate -> promote, each executed twice."""
    from airflow_champion.operators.claims import ClaimSnapshotOperator
    from airflow_champion.operators.gates import (
        CheckChampionOperator,
        EvaluateChallengerOperator,
        PromoteModelOperator,
        TrainModelOperator,
        ValidateSnapshotOperator,
    )

    ctx = _context(run_id)
    out: dict[str, Any] = {}
    steps = [
        ("claim", lambda: ClaimSnapshotOperator(task_id="claim", model="churn", snapshot_id=sid)),
        ("validate", lambda: ValidateSnapshotOperator(task_id="validate", model="churn", snapshot_id=sid)),
        (
            "check_champion",
            lambda: CheckChampionOperator(task_id="check_champion", model="churn", snapshot_id=sid),
        ),
        (
            "train",
            lambda: TrainModelOperator(
                task_id="train", model="churn", snapshot_id=sid, expected_sha256=out["validate"]["sha256"]
            ),
        ),
        (
            "evaluate",
            lambda: EvaluateChallengerOperator(
                task_id="evaluate", model="churn", snapshot_id=sid, challenger_version=out["train"]["version"]
            ),
        ),
        ("promote", lambda: PromoteModelOperator(task_id="promote", model="churn", verdict=out["evaluate"])),
    ]
    for name, make in steps:
        first, second, after_first, after_second = _twice(make(), ctx, world.cfg)
        assert _stable(second) == _stable(first), name
        assert after_second == after_first, f"re-executing {name} changed the registry or the storage"
        out[name] = first
    return out


def test_retrain_operators_are_idempotent(world: World) -> None:
    first = _gates(world, world.first, "manual__w1")
    assert first["promote"]["promoted"] is True
    second = _gates(world, world.second, "manual__w2")
    assert second["evaluate"]["champion_version"] == first["train"]["version"]


def test_rollback_and_release_are_idempotent(world: World) -> None:
    from airflow_champion.data import claims
    from airflow_champion.operators.claims import ReleaseClaimOperator
    from airflow_champion.operators.gates import RollbackModelOperator
    from airflow_champion.registry import tracking

    if tracking.alias_version(world.cfg, tracking.PREVIOUS_CHAMPION) is None:
        pytest.skip("needs two champions (test_retrain_operators_are_idempotent runs first)")
    op = RollbackModelOperator(task_id="rollback", model="churn", reason="conformance")
    first, second, after_first, after_second = _twice(op, _context("manual__rb"), world.cfg)
    assert second == first and after_second == after_first

    claims.claim_retrain(world.cfg, world.second, run_id="manual__failed", reason="t", force=True)
    release = ReleaseClaimOperator(task_id="release", model="churn", snapshot_id=world.second)
    first, second, after_first, after_second = _twice(release, _context("manual__failed"), world.cfg)
    assert first is True and second is True and after_second == after_first


def test_drift_monitor_and_sensors_are_idempotent(world: World) -> None:
    from airflow_champion.operators.drift import DriftMonitorOperator
    from airflow_champion.operators.replay import ReplayGateOperator

    replay = ReplayGateOperator(task_id="replay", model="churn")
    first, second, after_first, after_second = _twice(replay, _context("manual__replay"), world.cfg)
    assert _stable(second) == _stable(first) and after_second == after_first
    from airflow_champion.sensors.drift_sensor import DriftSensor
    from airflow_champion.sensors.snapshot_sensor import NewSnapshotSensor

    monitor = DriftMonitorOperator(task_id="monitor", model="churn", snapshot_id=world.second)
    first, second, after_first, after_second = _twice(monitor, _context("manual__drift"), world.cfg)
    assert _stable(second) == _stable(first) and after_second == after_first

    event = {
        "status": "new_snapshot",
        "model": "churn",
        "snapshot_id": world.second,
        "sha256": "x",
        "rows": 1,
    }
    sensor = NewSnapshotSensor(task_id="wait_for_snapshot", model="churn")
    ctx = _context("manual__watch")
    assert sensor.execute_complete(ctx, event) == sensor.execute_complete(ctx, event)

    decision = {"retrain": True, "snapshot_id": world.second, "reason": "drift: conformance"}
    gate = DriftSensor(task_id="drift_gate", model="churn", snapshot_id=world.second)
    ctx = _context("manual__gate")
    assert gate.execute_complete(ctx, decision) == gate.execute_complete(ctx, decision)
