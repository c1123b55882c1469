"""Snapshots on S3: the trigger finds them through the amazon provider's S3Hook (an Airflow connection
with `endpoint_url`), skips incomplete ones, and announces each exactly once with a conditional PUT.

The S3 server is moto's standalone server on loopback, started and stopped by the fixture.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from tests.integration.s3_server import aws_connection, boto_client, moto_s3, write_config

pytestmark = [pytest.mark.integration, pytest.mark.s3]

BUCKET = "mlops-snapshots"


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Any]:
    """An S3 client of a fresh server; the churn config's snapshots live in its bucket."""
    with moto_s3() as endpoint:
        write_config(tmp_path / "configs", "churn", root=f"s3://{BUCKET}/churn", aws_conn_id="aws_moto")
        for key, value in {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "MLOPS_HOME": str(tmp_path),
            "MLOPS_CONFIG_DIR": str(tmp_path / "configs"),
            "AIRFLOW_CONN_AWS_MOTO": aws_connection(endpoint, "testing", "testing"),
        }.items():
            monkeypatch.setenv(key, value)
        client = boto_client(endpoint)
        client.create_bucket(Bucket=BUCKET)
        yield client


@pytest.fixture
def s3_cfg(s3: Any) -> Any:
    from airflow_champion.config import load_config

    return load_config("churn")


def _frame() -> pd.DataFrame:
    return pd.DataFrame({"tenure_months": [1.0, 2.0, 3.0], "churned": [0, 1, 0]})


def test_s3_trigger_finds_complete_snapshots_through_the_s3_hook(s3: Any, s3_cfg: Any) -> None:
    from airflow_champion.data import credentials, snapshots
    from airflow_champion.sensors.triggers import NewSnapshotTrigger, scan_new_snapshots

    root = s3_cfg.snapshot_root()
    with credentials.s3_client_source(lambda: s3):
        complete = snapshots.write_snapshot(root, "2026-11-02", _frame())
    s3.put_object(Bucket=BUCKET, Key="churn/2026-11-09/data.parquet", Body=b"uploading...")  # no manifest

    ready, skipped = scan_new_snapshots("churn", "aws_moto")
    assert [p["snapshot_id"] for p in ready] == ["2026-11-02"]
    assert ready[0]["sha256"] == complete.sha256
    assert skipped["2026-11-09"].startswith("incomplete")

    async def first_event(trigger: Any) -> Any:
        agen = trigger.run()
        try:
            return await asyncio.wait_for(agen.__anext__(), 30)
        finally:
            await agen.aclose()

    watch = NewSnapshotTrigger("churn", mode="watch", poll_seconds=0.5, aws_conn_id="aws_moto")
    assert asyncio.run(first_event(watch)).payload["snapshot_id"] == "2026-11-02"
    marker = s3.get_object(Bucket=BUCKET, Key="churn/2026-11-02/_claims/announced.json")["Body"].read()
    assert json.loads(marker)["by"] == "asset-watcher"
    again, skipped = scan_new_snapshots("churn", "aws_moto")
    assert again == [] and skipped["2026-11-02"] == "already announced"


def test_s3_claims_are_atomic_conditional_puts(s3: Any, s3_cfg: Any) -> None:
    from airflow_champion.data import claims, credentials, snapshots

    with credentials.s3_client_source(lambda: s3):
        snapshots.write_snapshot(s3_cfg.snapshot_root(), "2026-11-02", _frame())
        first = claims.claim_retrain(s3_cfg, "2026-11-02", run_id="r1", reason="event")
        second = claims.claim_retrain(s3_cfg, "2026-11-02", run_id="r2", reason="cron")
        assert first.granted and not second.granted
        assert "being retrained by run r1" in second.reason
        assert claims.announce(s3_cfg, "2026-11-02", "a")
        assert not claims.announce(s3_cfg, "2026-11-02", "b")


def test_s3_known_mismatch_is_downloaded_once_until_it_changes(
    s3: Any, s3_cfg: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each poll costs a HEAD of the data file (ContentLength, ETag, LastModified), not a download."""
    from airflow_champion.data import credentials, snapshots
    from airflow_champion.sensors import connections
    from airflow_champion.sensors.triggers import NewSnapshotTrigger

    from tests.sensors.polling import PollClock, Stop, first_event

    with credentials.s3_client_source(lambda: s3):
        m = snapshots.write_snapshot(s3_cfg.snapshot_root(), "2026-11-02", _frame())
    key = f"churn/2026-11-02/{m.data_file}"
    good = s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()
    s3.put_object(Bucket=BUCKET, Key=key, Body=good + b"altered")
    downloads: list[str] = []

    class Counting:
        """The connection's client, counting GETs of the data file."""

        def __init__(self, real: Any) -> None:
            self.real = real

        def __getattr__(self, name: str) -> Any:
            return getattr(self.real, name)

        def get_object(self, **kwargs: Any) -> Any:
            if kwargs["Key"] == key:
                downloads.append(kwargs["Key"])
            return self.real.get_object(**kwargs)

    real_client = connections.connection_client
    monkeypatch.setattr(connections, "connection_client", lambda conn: Counting(real_client(conn)))
    clock = PollClock(monkeypatch)
    clock.stop_after = 3
    watcher = NewSnapshotTrigger("churn", mode="watch", poll_seconds=60, aws_conn_id="aws_moto")
    with pytest.raises(Stop):
        asyncio.run(first_event(watcher))
    assert len(downloads) == 1, f"a known mismatch was downloaded {len(downloads)} times in 3 polls"

    clock.stop_after = None
    clock.after[clock.polls + 1] = lambda: s3.put_object(Bucket=BUCKET, Key=key, Body=good)
    assert asyncio.run(first_event(watcher)).payload["snapshot_id"] == "2026-11-02"
    assert len(downloads) == 3, "re-read by the new run(), then once after the producer fixed it"
