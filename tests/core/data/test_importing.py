"""`mlops snapshot import | list | show | release`: a user's file lands as a snapshot the loader accepts
(its bytes as they are, so the sha256 is the file's), on a local root and on S3; ids are checked and
never reused; a quarantine is lifted only on purpose, with a record, and holds again if it recurs."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from airflow_champion.config import parse_config
from airflow_champion.data import claims, importing, inventory, layout, manifest, reading, snapshots, storage
from airflow_champion.errors import IncompleteSnapshotError, SnapshotError, SnapshotTooLargeError
from airflow_champion.pipeline import cli
from airflow_champion_demo import datagen

pytestmark = pytest.mark.unit


@pytest.fixture
def cfg(mlops_home: Path, churn_cfg: Any) -> Any:
    return churn_cfg


def _csv(tmp_path: Path, rows: int = 300, name: str = "week.csv") -> Path:
    path = tmp_path / name
    datagen.generate("churn", rows=rows, seed=5).to_csv(path, index=False)
    return path


def _with(cfg: Any, **snapshots_section: Any) -> Any:
    raw = cfg.model_dump(mode="json", by_alias=True)
    raw["snapshots"].update(snapshots_section)
    return parse_config(raw)


def test_a_csv_lands_byte_for_byte_and_loads(cfg: Any, tmp_path: Path) -> None:
    path = _csv(tmp_path)
    m = importing.import_snapshot(cfg, path, snapshot_id="2026-11-02")
    landed = Path(cfg.snapshot_root()) / "2026-11-02" / "data.csv"
    assert landed.read_bytes() == path.read_bytes()
    assert m.sha256 == hashlib.sha256(path.read_bytes()).hexdigest() and m.bytes == path.stat().st_size
    assert m.format == "csv" and m.extra["source_file"] == "week.csv"
    df, again = reading.load_snapshot(cfg, "2026-11-02")
    pd.testing.assert_frame_equal(df, pd.read_csv(path))
    assert again == m and m.rows == len(df)


def test_a_parquet_file_stays_parquet_and_another_format_converts(cfg: Any, tmp_path: Path) -> None:
    frame = datagen.generate("churn", rows=200, seed=6)
    path = tmp_path / "week.parquet"
    frame.to_parquet(path, index=False)
    m = importing.import_snapshot(cfg, path, snapshot_id="p1")
    assert (Path(cfg.snapshot_root()) / "p1" / "data.parquet").read_bytes() == path.read_bytes()
    converted = importing.import_snapshot(cfg, path, snapshot_id="c1", fmt="csv")
    assert converted.format == "csv" and converted.extra["converted_from"] == "parquet"
    df, _ = reading.load_snapshot(cfg, "c1")
    assert len(df) == m.rows == 200 and list(df.columns) == list(frame.columns)


def test_a_semicolon_csv_converts_with_the_configs_delimiter(cfg: Any, tmp_path: Path) -> None:
    semi = _with(cfg, csv_delimiter=";")
    path = tmp_path / "week.parquet"
    datagen.generate("churn", rows=50, seed=1).to_parquet(path, index=False)
    importing.import_snapshot(semi, path, snapshot_id="s1", fmt="csv")
    assert (Path(semi.snapshot_root()) / "s1" / "data.csv").read_text().splitlines()[0].count(";") > 5
    assert len(reading.load_snapshot(semi, "s1")[0]) == 50


def test_the_default_id_is_todays_utc_date_and_an_existing_id_is_refused(cfg: Any, tmp_path: Path) -> None:
    path = _csv(tmp_path)
    now = datetime(2026, 11, 2, 23, 30, tzinfo=UTC)
    assert importing.import_snapshot(cfg, path, now=now).snapshot_id == "2026-11-02"
    before = (Path(cfg.snapshot_root()) / "2026-11-02" / "manifest.json").read_bytes()
    other = _csv(tmp_path, rows=100, name="other.csv")
    with pytest.raises(SnapshotError, match=r"2026-11-02 already exists.*immutable.*--id 2026-11-02-2"):
        importing.import_snapshot(cfg, other, now=now)
    assert (Path(cfg.snapshot_root()) / "2026-11-02" / "manifest.json").read_bytes() == before


@pytest.mark.parametrize("bad", ["../escape", "a/b", "x" * 65, "a..b"])
def test_invalid_ids_are_refused_before_anything_is_written(cfg: Any, tmp_path: Path, bad: str) -> None:
    with pytest.raises(SnapshotError, match="invalid snapshot id"):
        importing.import_snapshot(cfg, _csv(tmp_path), snapshot_id=bad)
    assert snapshots.list_snapshot_ids(cfg.snapshot_root()) == []


def test_files_the_loader_would_refuse_are_refused_at_import(cfg: Any, tmp_path: Path) -> None:
    path = _csv(tmp_path)
    with pytest.raises(SnapshotTooLargeError, match=r"over snapshots\.max_bytes=100"):
        importing.import_snapshot(_with(cfg, max_bytes=100), path, snapshot_id="big")
    with pytest.raises(SnapshotError, match="cannot tell the format"):
        importing.import_snapshot(cfg, path.rename(tmp_path / "week.txt"), snapshot_id="t1")
    with pytest.raises(SnapshotError, match="no file to import"):
        importing.import_snapshot(cfg, tmp_path / "absent.csv", snapshot_id="t1")
    assert snapshots.list_snapshot_ids(cfg.snapshot_root()) == []


def test_a_manifest_that_appears_while_landing_is_not_overwritten(
    cfg: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _csv(tmp_path)
    first = importing.import_snapshot(cfg, path, snapshot_id="race")

    class Late(storage.LocalStore):  # another producer completes it between our check and our write
        def exists(self, rel: str) -> bool:
            return False if rel.endswith(layout.MANIFEST) else super().exists(rel)

    with monkeypatch.context() as mp:
        mp.setattr(snapshots, "open_store", lambda root: Late(root))
        with pytest.raises(SnapshotError, match="completed by another producer"):
            snapshots.land_snapshot(cfg.snapshot_root(), "race", b"x", fmt="csv", rows=1, columns=[])
    assert manifest.read_manifest(cfg.snapshot_root(), "race") == first  # the first manifest stays
    with pytest.raises(IncompleteSnapshotError, match="sha256"):  # and the clash is seen, not trusted
        manifest.check_complete(cfg.snapshot_root(), "race")


def test_list_and_show_say_what_the_pipeline_sees(cfg: Any, tmp_path: Path) -> None:
    root = cfg.snapshot_root()
    importing.import_snapshot(cfg, _csv(tmp_path), snapshot_id="2026-11-02")
    importing.import_snapshot(cfg, _csv(tmp_path), snapshot_id="2026-11-09")
    (Path(root) / "2026-11-16").mkdir()  # still landing
    claims.claim_retrain(cfg, "2026-11-02", run_id="r1", reason="cron")
    snapshots.write_report(root, "2026-11-02", "validation.html", "<p>ok</p>")
    rows = {r["snapshot_id"]: r for r in inventory.list_snapshots(cfg)}
    assert list(rows) == ["2026-11-02", "2026-11-09", "2026-11-16"]
    assert rows["2026-11-02"]["claim"] == "active" and rows["2026-11-02"]["rows"] == 300
    assert rows["2026-11-09"]["complete"] and rows["2026-11-09"]["claim"] is None
    assert not rows["2026-11-16"]["complete"] and "no manifest.json" in rows["2026-11-16"]["incomplete"]
    shown = inventory.describe(cfg, "2026-11-02", report_names=["validation.html", "drift_verdict.json"])
    assert shown["manifest"]["sha256"] and shown["claims"]["retrain"]["record"]["run_id"] == "r1"
    assert list(shown["reports"]) == ["validation.html"]
    with pytest.raises(SnapshotError, match="no snapshot 2026-12-01"):
        inventory.describe(cfg, "2026-12-01")


def test_a_quarantine_is_released_on_purpose_with_a_record_and_holds_again_if_it_recurs(
    cfg: Any, tmp_path: Path
) -> None:
    root = cfg.snapshot_root()
    importing.import_snapshot(cfg, _csv(tmp_path), snapshot_id="2026-11-02")
    with pytest.raises(SnapshotError, match="not quarantined; there is nothing to release"):
        snapshots.release_quarantine(root, "2026-11-02", reason="why not", actor="ana")
    snapshots.quarantine(root, "2026-11-02", reason="age out of range", result={}, report_html="<p>r</p>")
    assert snapshots.complete_snapshots(root) == []
    with pytest.raises(SnapshotError, match="needs a reason"):
        snapshots.release_quarantine(root, "2026-11-02", reason="  ", actor="ana")
    record = snapshots.release_quarantine(root, "2026-11-02", reason="range fixed in config", actor="ana")
    assert record["released_by"] == "ana" and record["quarantine"]["reason"] == "age out of range"
    assert not snapshots.is_quarantined(root, "2026-11-02")
    assert [m.snapshot_id for m in snapshots.complete_snapshots(root)] == ["2026-11-02"]
    folder = Path(root) / "2026-11-02" / "_quarantine"
    assert (folder / "report.html").read_text() == "<p>r</p>" and (folder / "QUARANTINED.json").exists()
    with pytest.raises(SnapshotError, match="released by ana"):
        snapshots.release_quarantine(root, "2026-11-02", reason="again", actor="bo")
    snapshots.quarantine(root, "2026-11-02", reason="still bad", result={}, report_html="<p>2</p>")
    assert snapshots.is_quarantined(root, "2026-11-02")  # a new quarantine is not covered by the old release
    snapshots.release_quarantine(root, "2026-11-02", reason="second look", actor="bo")
    releases = snapshots.release_records(root, "2026-11-02")
    assert [r["released_by"] for r in releases] == ["ana", "bo"]
    assert inventory.describe(cfg, "2026-11-02")["quarantine"]["releases"] == releases


def test_the_cli_imports_lists_shows_and_releases(
    cfg: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    path = _csv(tmp_path)
    assert cli.main(["snapshot", "import", "churn", str(path), "--id", "2026-11-02", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["manifest"]["rows"] == 300
    assert cli.main(["snapshot", "import", "churn", str(path), "--id", "2026-11-03"]) == 0
    landed = capsys.readouterr().out
    assert landed.startswith("Landed snapshot 2026-11-03 of churn: 300 rows, ")
    assert "mlops run churn --snapshot 2026-11-03" in landed
    assert cli.main(["snapshot", "import", "churn", str(path), "--id", "2026-11-02"]) == cli.EXIT_GATE
    assert "mlops snapshot import: SnapshotError" in capsys.readouterr().err
    snapshots.quarantine(cfg.snapshot_root(), "2026-11-02", reason="bad", result={}, report_html="x")
    assert cli.main(["snapshot", "list", "churn"]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split() == [
        "snapshot",
        "rows",
        "bytes",
        "created_at",
        "complete",
        "quarantined",
        "retrain",
    ]
    assert table[1].split()[:2] == ["2026-11-02", "300"] and table[1].split()[4:6] == ["yes", "yes"]
    assert (
        cli.main(["snapshot", "release", "churn", "2026-11-02", "--reason", "ok now", "--actor", "me"]) == 0
    )
    assert json.loads(capsys.readouterr().out)["released_by"] == "me"
    assert cli.main(["snapshot", "show", "churn", "2026-11-02"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["quarantined"] is False and shown["released"] is True
    assert shown["quarantine"]["marker"]["reason"] == "bad"


@pytest.fixture
def s3_cfg(mlops_home: Path, monkeypatch: pytest.MonkeyPatch, churn_cfg: Any) -> Iterator[tuple[Any, Any]]:
    """The churn config with its snapshots in a bucket of an in-process moto server on loopback."""
    from tests.integration.s3_server import boto_client, moto_s3

    with moto_s3() as endpoint:
        for key, value in {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "MLOPS_S3_ENDPOINT_URL": endpoint,
        }.items():
            monkeypatch.setenv(key, value)
        client = boto_client(endpoint)
        client.create_bucket(Bucket="landing")
        yield _with(churn_cfg, root="s3://landing/churn"), client


@pytest.mark.s3
def test_import_list_show_and_release_on_s3(s3_cfg: tuple[Any, Any], tmp_path: Path) -> None:
    cfg, client = s3_cfg
    path = _csv(tmp_path)
    m = importing.import_snapshot(cfg, path, snapshot_id="2026-11-02")
    body = client.get_object(Bucket="landing", Key="churn/2026-11-02/data.csv")["Body"].read()
    assert body == path.read_bytes() and m.sha256 == hashlib.sha256(body).hexdigest()
    with pytest.raises(SnapshotError, match="already exists"):
        importing.import_snapshot(cfg, path, snapshot_id="2026-11-02")
    assert len(reading.load_snapshot(cfg, "2026-11-02")[0]) == 300
    snapshots.quarantine(cfg.snapshot_root(), "2026-11-02", reason="bad", result={}, report_html="x")
    assert inventory.list_snapshots(cfg)[0]["quarantined"] is True
    snapshots.release_quarantine(cfg.snapshot_root(), "2026-11-02", reason="fixed", actor="ana")
    shown = inventory.describe(cfg, "2026-11-02")
    assert shown["quarantined"] is False and shown["quarantine"]["releases"][0]["released_by"] == "ana"
