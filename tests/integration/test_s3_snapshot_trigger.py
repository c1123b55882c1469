"""Snapshots on S3: the trigger finds them through the amazon provider's S3Hook (an Airflow connection
with `endpoint_url`), skips incomplete ones, and announces each exactly once with a conditional PUT.

The S3 server is moto's standalone server on loopback, started and stopped by the fixture.
"""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest

pytestmark = pytest.mark.integration

BUCKET = "mlops-snapshots"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> Iterator[Any]:
    import boto3
    from moto.server import ThreadedMotoServer

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    import urllib.request

    # moto keeps its backends per process: start every test from an empty S3
    urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST"), timeout=10)
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "MLOPS_HOME": str(tmp_path),
        "AIRFLOW_CONN_AWS_MOTO": json.dumps(
            {
                "conn_type": "aws",
                "login": "testing",
                "password": "testing",
                "extra": {"endpoint_url": endpoint, "region_name": "us-east-1"},
            }
        ),
    }.items():
        monkeypatch.setenv(key, value)
    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    client.create_bucket(Bucket=BUCKET)
    try:
        yield client
    finally:
        server.stop()


@pytest.fixture
def s3_cfg(s3: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The churn config with its snapshots on S3, as the triggerer would load it."""
    from include import config

    base = config.load_config("churn")
    cfg = base.model_copy(
        update={
            "snapshots": base.snapshots.model_copy(
                update={"root": f"s3://{BUCKET}/churn", "aws_conn_id": "aws_moto"}
            )
        }
    )
    monkeypatch.setattr(config, "load_config", lambda _name: cfg)
    return cfg


def _frame() -> pd.DataFrame:
    return pd.DataFrame({"tenure_months": [1.0, 2.0, 3.0], "churned": [0, 1, 0]})


def test_s3_trigger_finds_complete_snapshots_through_the_s3_hook(s3: Any, s3_cfg: Any) -> None:
    from include import snapshots
    from sensors.triggers import NewSnapshotTrigger, scan_new_snapshots

    root = s3_cfg.snapshot_root()
    complete = snapshots.write_snapshot(root, "2026-11-02", _frame(), s3_client=s3)
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
    from include import claims, snapshots

    snapshots.write_snapshot(s3_cfg.snapshot_root(), "2026-11-02", _frame(), s3_client=s3)
    first = claims.claim_retrain(s3_cfg, "2026-11-02", run_id="r1", reason="event", s3_client=s3)
    second = claims.claim_retrain(s3_cfg, "2026-11-02", run_id="r2", reason="cron", s3_client=s3)
    assert first.granted and not second.granted
    assert "being retrained by run r1" in second.reason
    assert claims.announce(s3_cfg, "2026-11-02", "a", s3_client=s3)
    assert not claims.announce(s3_cfg, "2026-11-02", "b", s3_client=s3)
