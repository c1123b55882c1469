"""Hostile parameters through the real REST API, and a scan for leaked secrets across the stack.

Runs after the other stack tests (file order), so the scan covers everything they left behind: task
logs of successful, failed and retried runs, XCom, DAG-run confs, MLflow params and tags, the
registry's ledger, reports and artifacts in both buckets.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.conftest import ARTIFACT_BUCKET, SNAPSHOT_BUCKET, STACK_MARKS, AirflowStack
from tests.integration.test_celery_stack_retrain import _wait_for_dag

pytestmark = STACK_MARKS


HOSTILE = [
    ("churn_retrain", {"snapshot_id": "../../etc/passwd"}),
    ("churn_retrain", {"snapshot_id": "s3://other-bucket/churn/2026-11-02"}),
    ("churn_retrain", {"snapshot_id": "/etc"}),
    ("churn_retrain", {"reason": "{{ conn.aws_default.password }}"}),
    ("churn_retrain", {"snapshot_id": "{{ var.value.x }}"}),
    ("churn_retrain", {"force": "yes please"}),
    ("churn_retrain", {"reason": "x" * 1000}),
    ("churn_rollback", {"to_version": 0, "reason": "bad week"}),
    ("churn_rollback", {"to_version": "models:/other_model/1", "reason": "bad week"}),
    ("churn_rollback", {"reason": "{{ 7 * 7 }}"}),
]


def _runs(stack: AirflowStack, dag_id: str) -> list[str]:
    status, body = stack.api("GET", f"/dags/{dag_id}/dagRuns?limit=1000")
    assert status == 200, body
    return [r["dag_run_id"] for r in body["dag_runs"]]


@pytest.mark.parametrize(("dag_id", "conf"), HOSTILE, ids=[f"{d}-{i}" for i, (d, _) in enumerate(HOSTILE)])
def test_rest_refuses_params_outside_the_schema_before_any_task(
    airflow_stack: AirflowStack, dag_id: str, conf: dict[str, Any]
) -> None:
    stack = airflow_stack
    _wait_for_dag(stack, dag_id)
    before = _runs(stack, dag_id)
    status, body = stack.api("POST", f"/dags/{dag_id}/dagRuns", {"logical_date": None, "conf": conf})
    assert status == 400, (status, body)
    assert "param" in str(body).lower(), body  # Airflow names the invalid param
    assert _runs(stack, dag_id) == before  # no run, so no task ever saw the value


def _airflow_db_rows(stack: AirflowStack) -> list[str]:
    import psycopg2

    url = stack.env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].replace("postgresql+psycopg2://", "postgresql://")
    conn = psycopg2.connect(url)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT dag_id, run_id, task_id, key, value::text FROM xcom")
            rows = [" ".join(map(str, r)) for r in cur.fetchall()]
            cur.execute("SELECT dag_id, run_id, conf::text FROM dag_run")
            rows += [" ".join(map(str, r)) for r in cur.fetchall()]
    finally:
        conn.close()
    return rows


def _mlflow_texts(stack: AirflowStack) -> list[str]:
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=stack.mlflow.url, registry_uri=stack.mlflow.url)
    texts = []
    for exp in client.search_experiments():
        texts.append(f"{exp.name} {exp.artifact_location} {exp.tags}")
        for run in client.search_runs([exp.experiment_id], max_results=1000):
            texts.append(f"{run.info.run_id} {run.data.params} {run.data.tags} {run.info.artifact_uri}")
    for rm in client.search_registered_models():
        texts.append(f"{rm.name} {rm.tags} {rm.aliases}")
        for mv in client.search_model_versions(f"name='{rm.name}'"):
            texts.append(f"{mv.name} {mv.version} {mv.source} {mv.tags} {mv.description}")
    return texts


def _bucket_texts(stack: AirflowStack, bucket: str) -> list[tuple[str, str]]:
    s3 = stack.s3.client()
    out = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for obj in page.get("Contents", []):
            key = obj["Key"]
            if key.endswith((".parquet", ".skops", ".pkl")):  # data and model bytes: no text to leak into
                continue
            body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
            out.append((f"s3://{bucket}/{key}", body.decode("utf-8", errors="replace")))
    return out


def test_no_secret_appears_in_logs_xcom_mlflow_or_reports(airflow_stack: AirflowStack) -> None:
    stack = airflow_stack
    secrets = {k: v for k, v in stack.secrets.items() if v}
    assert secrets and all(len(v) >= 16 for v in secrets.values())
    places: list[tuple[str, str]] = []
    for path in [*(stack.home / "logs").rglob("*"), *stack.procs.log_dir.rglob("*")]:
        if path.is_file():
            places.append((str(path), path.read_text(encoding="utf-8", errors="replace")))
    places += [("airflow db (xcom, dag_run.conf)", row) for row in _airflow_db_rows(stack)]
    places += [("mlflow", text) for text in _mlflow_texts(stack)]
    places += _bucket_texts(stack, SNAPSHOT_BUCKET) + _bucket_texts(stack, ARTIFACT_BUCKET)
    task_logs = [p for p, _ in places if "task_id=train" in p]
    assert task_logs, "the scan found no task logs: it would pass vacuously"
    assert any("mlops.ledger" in text for where, text in places if where == "mlflow")
    leaks = [(name, where) for where, text in places for name, value in secrets.items() if value in text]
    assert leaks == [], f"secrets found: {leaks[:20]}"
    print(f"secret scan: {len(places)} places, {len(secrets)} secrets, 0 leaks")
