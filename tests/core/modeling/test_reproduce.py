"""`reproduce`: a version retrained from its lineage comes out bitwise identical, registers nothing,
and every way its lineage can be lost (version, snapshot, data bytes, config, code) is a refusal that
names it; an estimator drawing from an unset seed is "not reproducible", whatever it scored."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.dags import scenarios

pytestmark = [pytest.mark.unit, pytest.mark.mlflow]

SNAPSHOT = "2026-11-02"


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory, mlflow_db_template: Path) -> Iterator[dict[str, Any]]:
    """One store for the module: churn v1 (seeded, small) trained by the train step on a tiny snapshot;
    tests that damage its lineage put it back."""
    from airflow_champion.pipeline import steps

    mp = pytest.MonkeyPatch()
    tmp = tmp_path_factory.mktemp("reproduce")
    home = tmp / "home"
    home.mkdir()
    shutil.copy(mlflow_db_template, home / "mlflow.db")
    scenarios.private_home(mp, home)
    configs = scenarios.churn_config(tmp / "configs", estimator__params__max_iter=15)
    mp.setenv("MLOPS_CONFIG_DIR", str(configs))
    try:
        cfg = steps.config("churn")
        scenarios.land(cfg, SNAPSHOT, scenarios.churn(400, 1))
        version = steps.train("churn", SNAPSHOT)["version"]
        yield {"cfg": cfg, "version": version, "configs": configs, "home": home}
    finally:
        mp.undo()
        for var in ("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI"):  # mlflow exported them
            __import__("os").environ.pop(var, None)


@pytest.fixture
def env(trained: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """The module's store for one test (the tracking URI as mlflow left it after the fixture)."""
    monkeypatch.setenv("MLOPS_HOME", str(trained["home"]))
    monkeypatch.setenv("MLOPS_CONFIG_DIR", str(trained["configs"]))
    for var in ("MLFLOW_TRACKING_URI", "MLOPS_ARTIFACT_ROOT", "MLOPS_LOCK_URL", "MLFLOW_REGISTRY_URI"):
        monkeypatch.delenv(var, raising=False)
    return trained


def _reproduce(version: int, **kw: Any) -> dict[str, Any]:
    from airflow_champion.modeling.reproduce import reproduce

    return reproduce("churn", version, **kw)


def _refused(version: int, **kw: Any) -> Any:
    from airflow_champion.modeling.reproduce import ReproductionRefused

    with pytest.raises(ReproductionRefused) as info:
        _reproduce(version, **kw)
    return info.value


@contextmanager
def _moved(path: Path) -> Iterator[None]:
    aside = path.with_name(path.name + ".aside")
    path.rename(aside)
    try:
        yield
    finally:
        aside.rename(path)


@contextmanager
def _edited_config(configs: Path, **params: Any) -> Iterator[None]:
    path = configs / "churn.yaml"
    before = path.read_text()
    raw = yaml.safe_load(before)
    raw["estimator"]["params"].update(params)
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    try:
        yield
    finally:
        path.write_text(before)


def _registry(cfg: Any) -> tuple[list[int], dict[str, str]]:
    from airflow_champion.registry import tracking

    c = tracking.client()
    versions = sorted(int(v.version) for v in c.search_model_versions(f"name='{cfg.registered_model_name}'"))
    return versions, dict(c.get_registered_model(cfg.registered_model_name).aliases)


def test_the_recorded_config_text_hashes_to_the_config_hash(churn_cfg: Any, bc_cfg: Any) -> None:
    from airflow_champion.config.loading import parse_config
    from airflow_champion.modeling import recorded_config

    for cfg in (churn_cfg, bc_cfg):
        text = recorded_config.text(cfg)
        assert recorded_config.text_hash(text) == cfg.config_hash
        assert parse_config(__import__("json").loads(text)).config_hash == cfg.config_hash  # round trip


def test_a_version_retrained_from_its_lineage_is_identical_and_registers_nothing(env: dict[str, Any]) -> None:
    from airflow_champion.registry import tracking

    before = _registry(env["cfg"])
    out = _reproduce(env["version"])
    assert out["status"] == "identical" and out["reason"] is None, out["reasons"]
    assert out["metrics"] and all(m["identical"] and m["abs_diff"] == 0.0 for m in out["metrics"].values())
    assert "holdout_roc_auc" in out["metrics"] and "fit_seconds" not in out["metrics"]
    assert out["predictions"]["identical"] and out["predictions"]["max_abs_diff"] == 0.0
    assert out["predictions"]["rows"] == out["split"]["holdout_rows"]["recorded"] == 100
    assert out["split"]["train_fingerprints_identical"] is True
    assert out["config"]["source"] == "recorded" and out["code"]["same"] is True
    assert _registry(env["cfg"]) == before  # no version, no alias moved
    run = tracking.client().get_run(out["reproduction_run_id"])
    assert run.data.tags["mlops.reproduces"] == str(env["version"])
    assert run.data.tags["mlops.kind"] == "reproduction" and "mlops.idempotency_key" not in run.data.tags


def test_a_version_that_does_not_exist_is_refused(env: dict[str, Any]) -> None:
    exc = _refused(99)
    assert exc.reason == "version_not_found" and "no registered version 99" in str(exc)
    assert f"[{env['version']}]" in str(exc)  # the versions there are


def test_a_deleted_snapshot_is_refused_naming_it(env: dict[str, Any]) -> None:
    folder = Path(env["cfg"].snapshot_root()) / SNAPSHOT
    with _moved(folder):
        exc = _refused(env["version"], record=False)
    assert exc.reason == "snapshot_missing" and f"snapshot {SNAPSHOT}" in str(exc)


def test_one_changed_byte_of_data_is_refused_by_its_sha256(env: dict[str, Any]) -> None:
    from airflow_champion.registry import tags, tracking

    (data,) = [
        p for p in (Path(env["cfg"].snapshot_root()) / SNAPSHOT).iterdir() if p.name.startswith("data")
    ]
    original = data.read_bytes()
    changed = bytearray(original)
    changed[len(changed) // 2] ^= 0x01
    data.write_bytes(bytes(changed))
    try:
        exc = _refused(env["version"])
    finally:
        data.write_bytes(original)
    mv = tracking.client().get_model_version("churn", str(env["version"]))
    assert exc.reason == "snapshot_changed"
    assert f"sha256 {tags.read(mv, 'snapshot_sha256')[:12]}" in str(exc) and "not a reproduction" in str(exc)


def test_an_edited_config_file_is_refused_with_both_hashes_unless_the_run_recorded_it(
    env: dict[str, Any],
) -> None:
    recorded = env["cfg"].config_hash
    with _edited_config(env["configs"], learning_rate=0.3):
        default = _reproduce(env["version"], record=False)  # the config the run recorded
        exc = _refused(env["version"], use_config_file=True)
    assert default["status"] == "identical" and default["config"]["file_differs"] is True
    assert exc.reason == "config_changed"
    assert recorded in str(exc) and default["config"]["file_hash"] in str(exc)
    assert "estimator.learning_rate: 0.08 -> 0.3" in str(exc) and "drop --use-config-file" in str(exc)


def test_a_version_whose_run_recorded_no_config_is_refused_when_the_file_changed(env: dict[str, Any]) -> None:
    from airflow_champion.modeling import recorded_config
    from airflow_champion.registry import tracking

    c = tracking.client()
    run = c.get_run(c.get_model_version("churn", str(env["version"])).run_id)
    artifact = Path(run.info.artifact_uri.removeprefix("file://")) / recorded_config.ARTIFACT
    with _moved(artifact), _edited_config(env["configs"], learning_rate=0.3):  # an older version's run
        exc = _refused(env["version"])
    assert exc.reason == "config_changed" and "cannot be recovered" in str(exc)


def test_another_code_version_is_refused_unless_allowed(
    env: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLOPS_CODE_VERSION", "somewhere-else")
    exc = _refused(env["version"])
    assert exc.reason == "code_changed"
    assert "this is somewhere-else" in str(exc) and "--allow-code-change" in str(exc)
    allowed = _reproduce(env["version"], allow_code_change=True, record=False)
    assert allowed["status"] == "identical"
    assert allowed["code"] == {**allowed["code"], "same": False, "change_allowed": True}


def test_an_estimator_with_an_unset_random_state_is_not_reproducible(env: dict[str, Any]) -> None:
    from airflow_champion.pipeline import steps

    path = env["configs"] / "churn.yaml"
    before = path.read_text()
    raw = yaml.safe_load(before)
    raw["estimator"] = {"class": "sklearn.ensemble.RandomForestClassifier", "params": {"n_estimators": 5}}
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    try:
        forest = steps.train("churn", SNAPSHOT)["version"]
    finally:
        path.write_text(before)
    out = _reproduce(forest, record=False)  # from the recorded config: the forest, unseeded
    assert out["status"] == "not_reproducible" and out["reason"] == "random_state_unset"
    assert "not reproducible: model__random_state is unset" in out["reasons"][0]["message"]
