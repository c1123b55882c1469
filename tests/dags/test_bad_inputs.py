"""The bad-input matrix, through the real retrain DAG (`dag.test()`): whatever arrives, the champion stays.

One model's life: a good snapshot makes champion v1, then every kind of bad snapshot is landed and the
retrain DAG is run on it. For each case the run must stop at the right gate with a message that names
the problem (the gate's `gate_error` XCom), leave the champion at v1, keep the snapshot byte for byte
(quarantined where it reached validation), leave no version or MLflow run half-written, and free its
claim. Config mistakes are caught where they can be: at parse time (the dag-processor's import
errors) for a typo'd key, at the claim gate for an estimator that does not exist.
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

pytestmark = [pytest.mark.airflow, pytest.mark.mlflow, pytest.mark.slow]

CHAMPION_SNAPSHOT = "2026-10-05"
MAX_BYTES = 200_000
"""The matrix's size limit; ordinary snapshots here are 40-70 kB, the oversized one about 1.6 MB."""


@dataclass
class Case:
    """One bad input and what the pipeline must do with it."""

    id: str
    gate: str | None
    """Task that must fail; None: the run succeeds (the input is acceptable)."""
    says: list[str]
    """Fragments the gate's error must contain (they name the problem)."""
    quarantined: bool
    build: Callable[[Any], tuple[bytes, str]]
    """frame of good data -> (file bytes, format)."""
    manifest: str = "ok"
    """ok | missing | wrong_hash | malformed (`rows` is "<n> rows", a string)"""
    linked: bool = False
    """The data file is a symbolic link to a copy outside the snapshot root."""
    rows: Callable[[Any], int] | None = None
    """Rows the producer's manifest states, from the base frame (default: the base frame's)."""


def _parquet(df: Any) -> bytes:
    buf = io.BytesIO()
    df.to_parquet(buf, index=False)
    return buf.getvalue()


def _csv(df: Any, **kw: Any) -> bytes:
    return str(df.to_csv(index=False, **kw)).encode("utf-8")


def _dup_columns(df: Any) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(df, preserve_index=False)
    names = list(table.column_names)
    names[1] = names[0]  # e.g. tenure_months twice
    buf = io.BytesIO()
    pq.write_table(table.rename_columns(names), buf)
    return buf.getvalue()


def _with(df: Any, **changes: Any) -> Any:
    out = df.copy()
    for col, fn in changes.items():
        out[col] = fn(out)
    return out


def _latin1(df: Any) -> bytes:
    out = df.copy()
    out.loc[out.index[:50], "region"] = "s\u00fcd"  # encodes to a byte that is not valid UTF-8
    return str(out.to_csv(index=False)).encode("latin-1")


def _nan_and_inf(df: Any) -> Any:
    import numpy as np

    out = df.copy()
    out.loc[out.index[: int(len(out) * 0.6)], "age"] = np.nan  # nullable, but 60 % null is a broken feed
    out.loc[out.index[:15], "monthly_charges"] = np.inf
    out.loc[out.index[15:20], "total_charges"] = -np.inf
    return out


def _corrupt_pandas_metadata(df: Any) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(df, preserve_index=False)
    table = table.replace_schema_metadata({**table.schema.metadata, b"pandas": b"{not json"})
    buf = io.BytesIO()
    pq.write_table(table, buf)
    return buf.getvalue()


def _oversized(_df: Any) -> tuple[bytes, str]:
    from airflow_champion_demo import datagen

    return _parquet(datagen.generate("churn", rows=100_000, seed=9)), "parquet"


CASES = [
    Case("empty_file", "validate", ["is empty (0 bytes)"], True, lambda df: (b"", "parquet")),
    Case(
        "truncated_parquet",
        "validate",
        ["not a readable parquet file"],
        True,
        lambda df: (_parquet(df)[: len(_parquet(df)) // 2], "parquet"),
    ),
    Case(
        "csv_wrong_delimiter",
        "validate",
        ["parsed into a single column", "delimited by ';'"],
        True,
        lambda df: (_csv(df, sep=";"), "csv"),
    ),
    Case(
        "csv_wrong_encoding", "validate", ["is not valid utf-8 text"], True, lambda df: (_latin1(df), "csv")
    ),
    Case(
        "missing_feature",
        "validate",
        ["column 'tenure_months' is missing"],
        True,
        lambda df: (_parquet(df.drop(columns=["tenure_months"])), "parquet"),
    ),
    Case(
        "missing_target",
        "validate",
        ["column 'churned' is missing"],
        True,
        lambda df: (_parquet(df.drop(columns=["churned"])), "parquet"),
    ),
    Case(
        "wrong_dtype",
        "validate",
        ["column 'monthly_charges' has dtype object, expected numeric"],
        True,
        lambda df: (
            _parquet(_with(df, monthly_charges=lambda d: d["monthly_charges"].map("{:.2f} EUR".format))),
            "parquet",
        ),
    ),
    Case(
        "all_null_column",
        "validate",
        ["column 'avg_session_minutes' is entirely null"],
        True,
        lambda df: (_parquet(_with(df, avg_session_minutes=lambda d: float("nan"))), "parquet"),
    ),
    Case(
        "nan_and_inf",
        "validate",
        ["column 'age'", "are null (at most 50% allowed)", "column 'monthly_charges'", "are infinite"],
        True,
        lambda df: (_parquet(_nan_and_inf(df)), "parquet"),
    ),
    Case(
        "unseen_category",
        "validate",
        ["column 'plan_tier'", "not in the allowed set", "'enterprise'"],
        True,
        lambda df: (
            _parquet(_with(df, plan_tier=lambda d: d["plan_tier"].where(d.index % 7 != 0, "enterprise"))),
            "parquet",
        ),
    ),
    Case(
        "single_class_target",
        "validate",
        ["column 'churned' has 1 distinct value(s); both classes must be present"],
        True,
        lambda df: (_parquet(_with(df, churned=lambda d: 0)), "parquet"),
    ),
    Case(
        "every_row_twice",
        "validate",
        ["rows repeat another row", "more than validation.max_duplicate_share 30%"],
        True,
        lambda df: (_parquet(pd.concat([df, df], ignore_index=True)), "parquet"),
        rows=lambda df: 2 * len(df),
    ),
    Case(
        "copies_of_a_few_rows",
        "validate",
        ["98% of the", "rows repeat another row"],
        True,
        lambda df: (_parquet(pd.concat([df.iloc[:30]] * 50, ignore_index=True)), "parquet"),
        rows=lambda df: 1500,
    ),
    Case(
        "duplicate_columns",
        "validate",
        ["duplicate column names ['tenure_months']"],
        True,
        lambda df: (_dup_columns(df), "parquet"),
    ),
    Case(
        "no_manifest",  # still landing: refused at the claim, which writes nothing (data/claims.py)
        "claim",
        ["IncompleteSnapshotError", "no manifest.json yet", "nothing was claimed"],
        False,
        lambda df: (_parquet(df), "parquet"),
        manifest="missing",
    ),
    Case(
        "manifest_hash_mismatch",
        "validate",
        ["IncompleteSnapshotError", "manifest says", "still uploading, or altered"],
        False,
        lambda df: (_parquet(df), "parquet"),
        manifest="wrong_hash",
    ),
    Case(
        "over_size_limit",
        "validate",
        ["over the limit snapshots.max_bytes=200,000"],
        True,
        _oversized,
    ),
    Case(
        "malformed_manifest",
        "validate",
        ["IncompleteSnapshotError", "manifest field 'rows' must be a whole number >= 0", "'1500 rows'"],
        False,
        lambda df: (_parquet(df), "parquet"),
        manifest="malformed",
    ),
    Case(
        "decodes_past_the_limit",  # 21 kB of parquet, 30,000 rows: 3.4 MB once decoded
        "validate",
        ["decodes to at least 3,360,000 bytes", "over the limit of 10 x snapshots.max_bytes=200,000"],
        True,
        lambda df: (_parquet(pd.concat([df.iloc[:30]] * 1000, ignore_index=True)), "parquet"),
        rows=lambda df: 30_000,
    ),
    Case(
        "corrupt_pandas_metadata",
        "validate",
        ["corrupt pandas metadata"],
        True,
        lambda df: (_corrupt_pandas_metadata(df), "parquet"),
    ),
    Case(
        "data_linked_outside_the_root",
        "validate",
        ["SnapshotError", "data.parquet is a symbolic link; links are refused"],
        False,
        lambda df: (_parquet(df), "parquet"),
        linked=True,
    ),
    Case(
        "extra_column",
        None,
        [],
        False,
        lambda df: (_parquet(df.assign(crm_note="call back")), "parquet"),
    ),
]


@dataclass
class Outcome:
    dag_state: str
    task_states: dict[str, str]
    gate_errors: dict[str, str]
    champion: int | None
    versions: list[dict[str, Any]]
    runs_unfinished: list[str]
    data_sha_before: str
    data_sha_after: str | None
    quarantined: bool
    quarantine: dict[str, Any] = field(default_factory=dict)
    claim: dict[str, Any] | None = None
    xcom: dict[str, Any] = field(default_factory=dict)


def _land(root: Path, sid: str, data: bytes, fmt: str, rows: int, manifest: str, linked: bool = False) -> str:
    """Write data then (unless the case says otherwise) its manifest, as a producer would."""
    from airflow_champion.data import layout

    folder = root / sid
    folder.mkdir(parents=True)
    data_file = layout.DATA_FILES[fmt]
    if linked:  # the same bytes, but outside the root: the link must be refused, nothing read
        outside = root.parent / f"outside-{sid}" / data_file
        outside.parent.mkdir()
        outside.write_bytes(data)
        (folder / data_file).symlink_to(outside)
    else:
        (folder / data_file).write_bytes(data)
    sha = hashlib.sha256(data).hexdigest()
    if manifest != "missing":
        doc = {
            "snapshot_id": sid,
            "data_file": data_file,
            "format": fmt,
            "rows": rows if manifest != "malformed" else f"{rows} rows",
            "columns": [],
            "sha256": sha if manifest == "ok" else hashlib.sha256(b"other bytes").hexdigest(),
            "bytes": len(data),
            "created_at": "2026-11-23T00:00:00+00:00",
        }
        (folder / layout.MANIFEST).write_text(json.dumps(doc))
    return sha


def _state(x: Any) -> str:
    return str(getattr(x, "value", x))


def _versions(cfg: Any) -> list[dict[str, Any]]:
    from airflow_champion.registry import tracking

    client = tracking.client()
    out = []
    for mv in client.search_model_versions(f"name='{cfg.registered_model_name}'"):
        out.append({"version": int(mv.version), "status": str(mv.status), "tags": dict(mv.tags or {})})
    return sorted(out, key=lambda v: v["version"])


def _unfinished_runs(cfg: Any) -> list[str]:
    from airflow_champion.registry import tracking

    client = tracking.client()
    exp = client.get_experiment_by_name(tracking.experiment_name(cfg))
    if exp is None:
        return []
    runs = client.search_runs([exp.experiment_id], max_results=1000)
    return [f"{r.info.run_name}:{r.info.status}" for r in runs if r.info.status != "FINISHED"]


def _config_dir(tmp: Path, **edits: Any) -> Path:
    """A copy of the shipped configs with churn.yaml edited (a key path -> value, or raw text)."""
    import yaml
    from airflow_champion.config import config_dir

    target = tmp / f"configs-{len(list(tmp.iterdir()))}"
    shutil.copytree(config_dir(), target)
    path = target / "churn.yaml"
    raw = yaml.safe_load(path.read_text())
    for dotted, value in edits.items():
        node = raw
        *parents, leaf = dotted.split("__")
        for p in parents:
            node = node[p]
        node[leaf] = value
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return target


@pytest.fixture(scope="module")
def matrix(airflow_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    from airflow_champion.config import load_config
    from airflow_champion.data import claims, snapshots
    from airflow_champion.operators.dag_factory import build_dags
    from airflow_champion.registry import tracking
    from airflow_champion_demo import datagen

    mp = pytest.MonkeyPatch()
    home = tmp_path_factory.mktemp("bad-inputs")
    configs = tmp_path_factory.mktemp("bad-input-configs")
    mp.setenv("MLOPS_HOME", str(home))
    mp.setenv("MLOPS_CONFIG_DIR", str(_config_dir(configs, snapshots__max_bytes=MAX_BYTES)))
    for var in ("MLFLOW_TRACKING_URI", "MLOPS_ARTIFACT_ROOT", "MLOPS_LOCK_URL"):
        mp.delenv(var, raising=False)
    cfg = load_config("churn")
    root = Path(cfg.snapshot_root())
    champion_df = datagen.generate(cfg, rows=3000, seed=1)
    snapshots.write_snapshot(str(root), CHAMPION_SNAPSHOT, champion_df)
    good = datagen.generate(cfg, rows=1500, seed=21)
    retrain = build_dags("churn")["churn_retrain"]
    day = iter(range(1, 29))

    def run(dag: Any, sid: str) -> Any:
        logical = datetime(2026, 12, next(day), tzinfo=UTC)
        return dag.test(logical_date=logical, run_conf={"snapshot_id": sid, "reason": f"matrix {sid}"})

    first = run(retrain, CHAMPION_SNAPSHOT)
    results: dict[str, Any] = {"_first": first, "_cfg": cfg}
    for case in CASES:
        sid = f"bad-{case.id.replace('_', '-')}"
        base = champion_df if case.id == "extra_column" else good
        data, fmt = case.build(base)
        rows = case.rows(base) if case.rows else (len(base) if case.id != "over_size_limit" else 100_000)
        sha = _land(root, sid, data, fmt, rows, case.manifest, case.linked)
        dr = run(retrain, sid)
        results[case.id] = _observe(cfg, dr, root, sid, sha, claims, snapshots, tracking)

    # A typo'd estimator parses (checking the class needs scikit-learn, too slow for the
    # dag-processor) and must fail at the first gate, before any data is read or claimed.
    mp.setenv(
        "MLOPS_CONFIG_DIR",
        str(
            _config_dir(
                configs,
                snapshots__max_bytes=MAX_BYTES,
                estimator__class="sklearn.ensemble.RandomForrestClassifier",
            )
        ),
    )
    sid = "bad-unknown-estimator"
    sha = _land(root, sid, _parquet(good), "parquet", len(good), "ok")
    dr = run(build_dags("churn")["churn_retrain"], sid)
    results["unknown_estimator"] = _observe(cfg, dr, root, sid, sha, claims, snapshots, tracking)
    yield results
    mp.undo()


def _observe(
    cfg: Any, dr: Any, root: Path, sid: str, sha: str, claims: Any, snapshots: Any, tracking: Any
) -> Outcome:
    tis = dr.get_task_instances()
    errors = {}
    xcom = {}
    for ti in tis:
        err = ti.xcom_pull(task_ids=ti.task_id, key="gate_error")
        if err:
            errors[ti.task_id] = err
        if _state(ti.state) == "success":
            xcom[ti.task_id] = ti.xcom_pull(task_ids=ti.task_id)
    data = next((p for p in (root / sid).glob("data.*")), None)
    qfile = root / sid / "_quarantine" / "QUARANTINED.json"
    _gen, claim = claims.current_claim(cfg, sid)
    return Outcome(
        dag_state=_state(dr.state),
        task_states={ti.task_id: _state(ti.state) for ti in tis},
        gate_errors=errors,
        champion=tracking.alias_version(cfg, tracking.CHAMPION),
        versions=_versions(cfg),
        runs_unfinished=_unfinished_runs(cfg),
        data_sha_before=sha,
        data_sha_after=hashlib.sha256(data.read_bytes()).hexdigest() if data else None,
        quarantined=qfile.exists(),
        quarantine=json.loads(qfile.read_text()) if qfile.exists() else {},
        claim=claim,
        xcom=xcom,
    )


def test_the_first_good_snapshot_makes_champion_v1(matrix: dict[str, Any]) -> None:
    from airflow_champion.registry import tracking

    assert _state(matrix["_first"].state) == "success"
    assert tracking.alias_version(matrix["_cfg"], tracking.CHAMPION) is not None


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_stops_at_its_gate_and_costs_nothing(matrix: dict[str, Any], case: Case) -> None:
    out: Outcome = matrix[case.id]
    if case.gate is None:
        assert out.dag_state == "success", out.task_states
        assert not out.gate_errors
    else:
        assert out.dag_state == "failed"
        failed = sorted(t for t, s in out.task_states.items() if s == "failed")
        assert failed == [case.gate], out.task_states
        message = out.gate_errors.get(case.gate, "")
        for fragment in case.says:
            assert fragment in message, f"{fragment!r} not in {message!r}"
        if case.gate == "claim":  # refused before anything was written: nothing to free
            assert out.claim is None, out.claim
        else:  # the teardown ran and freed the snapshot: fixing the cause and re-landing is enough
            assert out.task_states["release_claim"] == "success"
            assert out.claim is not None and out.claim["state"] == "released", out.claim
    # the champion is unchanged, and every version in the registry is whole
    assert out.champion == 1
    assert out.runs_unfinished == []
    for v in out.versions:
        assert v["status"] == "READY"
        assert {"mlops.idempotency_key", "mlops.snapshot_id", "mlops.verdict"} <= set(v["tags"]), v
    # the snapshot is kept, byte for byte; quarantined (with its report) where validation judged it
    assert out.data_sha_after == out.data_sha_before
    assert out.quarantined is case.quarantined
    if case.quarantined:
        assert all(f in out.quarantine["reason"] for f in case.says if not f.endswith("Error"))
        assert Path(out.quarantine["report"].removeprefix("file://")).exists()


def test_only_the_acceptable_input_adds_a_version(matrix: dict[str, Any]) -> None:
    """Bad inputs never reach the registry; the extra-column snapshot trained v2, judged and rejected."""
    expected = [1]
    for cid in [*(c.id for c in CASES), "unknown_estimator"]:
        if cid == "extra_column":
            expected = [1, 2]
        assert [v["version"] for v in matrix[cid].versions] == expected, cid


def test_an_extra_column_is_ignored_and_listed(matrix: dict[str, Any]) -> None:
    out: Outcome = matrix["extra_column"]
    assert out.xcom["evaluate"]["decision"] == "reject"  # same data as the champion: no gain
    assert out.xcom["promote"]["promoted"] is False
    report = Path(out.xcom["validate"]["report_uri"].removeprefix("file://")).read_text()
    assert "crm_note" in report


def test_an_unknown_estimator_fails_at_the_claim_before_data_is_touched(matrix: dict[str, Any]) -> None:
    out: Outcome = matrix["unknown_estimator"]
    assert out.dag_state == "failed"
    assert out.task_states["claim"] == "failed"
    assert "RandomForrestClassifier" in out.gate_errors["claim"]
    assert "did you mean 'RandomForestClassifier'" in out.gate_errors["claim"]
    assert out.claim is None  # nothing claimed
    assert out.champion == 1 and [v["version"] for v in out.versions] == [1, 2]
    assert not out.quarantined and out.data_sha_after == out.data_sha_before


def test_a_config_typo_is_an_import_error_naming_the_key_and_spares_other_models(
    airflow_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The dag-processor shows the mistake; the other models' DAGs keep running."""
    from airflow.dag_processing.dagbag import DagBag

    from tests.airflow_support import REPO

    (tmp_path / "c").mkdir()
    configs = _config_dir(tmp_path / "c")
    text = (configs / "churn.yaml").read_text().replace("max_bytes:", "max_byte:")
    (configs / "churn.yaml").write_text(text)
    monkeypatch.setenv("MLOPS_CONFIG_DIR", str(configs))
    (configs / "wine.yaml").write_text((configs / "wine.yaml").read_text().replace("labels:", "lables:"))
    bag = DagBag(dag_folder=str(REPO / "dags"))
    errors = {Path(k).name: v for k, v in bag.import_errors.items()}
    assert set(errors) == {"mlops_models.py"}, errors  # the one DAG file
    error = errors["mlops_models.py"]
    assert "2 model config(s)" in error
    assert (
        "- churn: invalid model config" in error
        and "max_byte" in error
        and "did you mean 'max_bytes'" in error
    )
    assert "- wine: invalid model config" in error and "lables" in error  # every broken config, at once
    assert "breast_cancer_retrain" in bag.dag_ids and "diabetes_retrain" in bag.dag_ids
    assert not any(d.startswith(("churn_", "wine_")) for d in bag.dag_ids)
