"""One credential source: a task and a sensor reach a bucket whose keys exist only in the model's
Airflow connection; the CLI reaches it with keys from its environment (data/adr/0002).

The S3 server (moto, loopback) is switched to require requests signed with an access key its IAM
knows, the process has no AWS keys, profile or instance role, and the only place that holds the key
is `AIRFLOW_CONN_AWS_TASKS` (endpoint included). Without the connection the same task fails.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.airflow_support import airflow_db  # noqa: F401
from tests.integration.s3_server import aws_connection, boto_client, moto_s3, require_signatures, write_config

pytestmark = [pytest.mark.integration, pytest.mark.s3, pytest.mark.airflow]

BUCKET = "creds-only-in-airflow"
SNAPSHOT = "2026-11-02"


@dataclass
class Bucket:
    endpoint: str
    key: str
    secret: str
    home: Path

    def client(self) -> Any:
        return boto_client(self.endpoint, self.key, self.secret)


@pytest.fixture
def bucket(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mlops_home: Path) -> Iterator[Bucket]:
    from airflow_champion.config import load_config
    from airflow_champion.data import credentials
    from airflow_champion_demo import datagen

    with moto_s3() as endpoint:
        iam = boto_client(endpoint, service="iam")
        iam.create_user(UserName="mlops-tasks")
        policy = {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
        }
        iam.put_user_policy(UserName="mlops-tasks", PolicyName="s3", PolicyDocument=json.dumps(policy))
        key = iam.create_access_key(UserName="mlops-tasks")["AccessKey"]
        admin = boto_client(endpoint)
        admin.create_bucket(Bucket=BUCKET)
        write_config(tmp_path / "configs", "churn", root=f"s3://{BUCKET}/churn", aws_conn_id="aws_tasks")
        monkeypatch.setenv("MLOPS_CONFIG_DIR", str(tmp_path / "configs"))
        with credentials.s3_client_source(lambda: admin):
            datagen.write_weekly_snapshots(load_config("churn"), start=date(2026, 11, 2), rows=800, seed=1)

        # nothing but the Airflow connection holds a key from here on
        for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
            monkeypatch.delenv(var, raising=False)
        for var in ("MLOPS_S3_ENDPOINT_URL", "MLFLOW_S3_ENDPOINT_URL"):
            monkeypatch.delenv(var, raising=False)
        monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
        monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
        monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
        monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
        monkeypatch.setenv(
            "AIRFLOW_CONN_AWS_TASKS", aws_connection(endpoint, key["AccessKeyId"], key["SecretAccessKey"])
        )
        require_signatures(endpoint, True)
        yield Bucket(endpoint, key["AccessKeyId"], key["SecretAccessKey"], tmp_path)


def test_the_signed_bucket_refuses_anyone_without_the_key(bucket: Bucket) -> None:
    from botocore.exceptions import ClientError

    with pytest.raises(ClientError):
        boto_client(bucket.endpoint).list_objects_v2(Bucket=BUCKET)  # a key moto's IAM does not know
    assert bucket.client().list_objects_v2(Bucket=BUCKET)["KeyCount"] > 0


@pytest.mark.usefixtures("airflow_db")
def test_tasks_reach_the_bucket_with_the_connection_alone(bucket: Bucket) -> None:
    from airflow_champion.operators.dag_factory import build_dags

    dag = build_dags("churn")["churn_retrain"]
    dr = dag.test(logical_date=datetime(2026, 12, 1, tzinfo=UTC), run_conf={"snapshot_id": SNAPSHOT})
    states = {ti.task_id: str(ti.state) for ti in dr.get_task_instances()}
    assert str(dr.state) == "success", states
    assert states["validate"] == states["train"] == states["promote"] == "success"
    client = bucket.client()
    report = client.head_object(Bucket=BUCKET, Key=f"churn/{SNAPSHOT}/_reports/validation.html")
    assert report["ContentLength"] > 0  # written to S3 through the same connection
    claim = json.loads(
        client.get_object(Bucket=BUCKET, Key=f"churn/{SNAPSHOT}/_claims/retrain-1.json")["Body"].read()
    )
    assert claim["state"] == "done"


@pytest.mark.usefixtures("airflow_db")
def test_without_the_connection_the_same_run_fails_at_its_first_task(
    bucket: Bucket, monkeypatch: pytest.MonkeyPatch
) -> None:
    from airflow_champion.operators.dag_factory import build_dags

    monkeypatch.delenv("AIRFLOW_CONN_AWS_TASKS")
    dag = build_dags("churn")["churn_retrain"]
    dr = dag.test(
        logical_date=datetime(2026, 12, 2, tzinfo=UTC), run_conf={"snapshot_id": SNAPSHOT, "force": True}
    )
    states = {ti.task_id: str(ti.state) for ti in dr.get_task_instances()}
    assert str(dr.state) == "failed" and states["claim"] == "failed", states


@pytest.mark.usefixtures("airflow_db")
def test_a_sensor_reaches_the_bucket_with_the_connection_alone(bucket: Bucket) -> None:
    from airflow_champion.operators.dag_factory import build_dags

    dag = build_dags("churn")["churn_snapshot_watch"]
    dr = dag.test(logical_date=datetime(2026, 12, 3, tzinfo=UTC))
    assert str(dr.state) == "success"
    (ti,) = dr.get_task_instances()
    assert ti.xcom_pull(task_ids="wait_for_snapshot")["snapshot_id"] == SNAPSHOT
    marker = bucket.client().get_object(Bucket=BUCKET, Key=f"churn/{SNAPSHOT}/_claims/announced.json")
    assert json.loads(marker["Body"].read())["by"].startswith("sensor:")


def test_the_cli_uses_the_environment_and_nothing_else(bucket: Bucket) -> None:
    mlops = str(Path(sys.executable).parent / "mlops")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW_CONN_")}
    refused = subprocess.run(
        [mlops, "validate", "churn", "--snapshot", SNAPSHOT], env=env, capture_output=True, text=True
    )
    assert refused.returncode != 0
    assert "credentials" in refused.stderr.lower() or "endpoint" in refused.stderr.lower(), refused.stderr[
        -2000:
    ]
    env.update(
        AWS_ACCESS_KEY_ID=bucket.key,
        AWS_SECRET_ACCESS_KEY=bucket.secret,
        MLOPS_S3_ENDPOINT_URL=bucket.endpoint,
    )
    ok = subprocess.run(
        [mlops, "validate", "churn", "--snapshot", SNAPSHOT], env=env, capture_output=True, text=True
    )
    assert ok.returncode == 0, ok.stderr[-2000:]
    assert json.loads(ok.stdout)["snapshot_id"] == SNAPSHOT
