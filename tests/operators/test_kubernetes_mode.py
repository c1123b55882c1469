"""execution.mode: kubernetes — the pod spec the DAG's KubernetesPodOperators build, and proof that the
exact command line of a pod gives the same result as the in-process path (there is no cluster here)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.airflow

KUBECONFIG = """apiVersion: v1
kind: Config
clusters: [{name: none, cluster: {server: "https://127.0.0.1:6443"}}]
users: [{name: none, user: {token: "unused"}}]
contexts: [{name: none, context: {cluster: none, user: none, namespace: default}}]
current-context: none
"""


@pytest.fixture
def kube_cfg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, churn_cfg: Any) -> Any:
    """The churn config in kubernetes mode, and a kube config that points nowhere (no call is made)."""
    from airflow_champion.config.schema import ExecutionSpec, ResourcesSpec
    from kubernetes.config import kube_config

    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(KUBECONFIG)
    monkeypatch.setenv("KUBECONFIG", str(kubeconfig))
    # the client reads KUBECONFIG once, when it is first imported (maybe by an earlier test)
    monkeypatch.setattr(kube_config, "KUBE_CONFIG_DEFAULT_LOCATION", str(kubeconfig))
    execution = ExecutionSpec(
        mode="kubernetes",
        image="registry.example.com/airflow-champion:1.4.0",
        namespace="ml-jobs",
        service_account="mlops-runner",
        resources=ResourcesSpec(requests={"cpu": "1", "memory": "2Gi"}, limits={"cpu": "2", "memory": "6Gi"}),
        env={"MLFLOW_TRACKING_URI": "http://mlflow.ml-jobs:5000"},
        secrets=["mlops-s3-credentials"],
    )
    return churn_cfg.model_copy(update={"execution": execution})


def test_kubernetes_mode_runs_the_heavy_steps_as_pods(kube_cfg: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from airflow.providers.cncf.kubernetes.operators.pod import KubernetesPodOperator
    from airflow_champion.operators import dag_factory

    monkeypatch.setattr(dag_factory, "load_config", lambda _name: kube_cfg)
    dags = dag_factory.build_dags("churn")
    retrain = dags["churn_retrain"]
    pods = {t.task_id for t in retrain.tasks if isinstance(t, KubernetesPodOperator)}
    assert pods == {"validate", "check_champion", "train", "evaluate"}
    assert [t.task_id for t in retrain.topological_sort()][:6] == [
        "claim",
        "validate",
        "check_champion",
        "train",
        "evaluate",
        "promote",
    ]
    check = retrain.get_task("check_champion")
    assert check.arguments[:4] == ["--xcom-out", "/airflow/xcom/return.json", "check-champion", "churn"]
    train = retrain.get_task("train")
    assert train.arguments[:4] == ["--xcom-out", "/airflow/xcom/return.json", "train", "churn"]
    assert "{{ ti.xcom_pull(task_ids='validate')['sha256'] }}" in train.arguments
    monitor = dags["churn_drift_monitor"].get_task("monitor")
    assert isinstance(monitor, KubernetesPodOperator) and monitor.arguments[2] == "drift"
    assert "monitor" in dags["churn_drift_monitor"].get_task("drift_gate").upstream_task_ids


def test_pod_spec_carries_the_execution_config_and_is_a_valid_pod(kube_cfg: Any) -> None:
    from airflow_champion.operators.kubernetes import pod_task
    from kubernetes.client import ApiClient, V1Pod

    op = pod_task(kube_cfg, "train", task_id="train", args=["--snapshot", "2026-11-02"])
    pod = op.build_pod_request_obj(context=None)
    assert pod.metadata.namespace == "ml-jobs"
    assert pod.spec.service_account_name == "mlops-runner"
    containers = {c.name: c for c in pod.spec.containers}
    container = containers["base"]
    assert "airflow-xcom-sidecar" in containers, "do_xcom_push: the result comes back as XCom"
    assert container.image == "registry.example.com/airflow-champion:1.4.0"
    assert container.command == ["mlops"]
    assert container.args == [
        "--xcom-out",
        "/airflow/xcom/return.json",
        "train",
        "churn",
        "--snapshot",
        "2026-11-02",
    ]
    env = {e.name: e.value for e in container.env}
    assert env["MLFLOW_TRACKING_URI"] == "http://mlflow.ml-jobs:5000"
    assert "MLOPS_CODE_VERSION" in env
    assert [s.secret_ref.name for s in container.env_from] == ["mlops-s3-credentials"]
    assert container.resources.requests == {"cpu": "1", "memory": "2Gi"}
    assert container.resources.limits == {"cpu": "2", "memory": "6Gi"}
    assert pod.metadata.labels["mlops/step"] == "train"

    # Valid as a Kubernetes object: it serializes to the API's JSON and deserializes to the same V1Pod.
    api = ApiClient()
    body = api.sanitize_for_serialization(pod)
    assert body["apiVersion"] == "v1" and body["kind"] == "Pod"

    class _Response:
        data = json.dumps(body)

    rebuilt = api.deserialize(_Response(), V1Pod)  # typed models: unknown/mistyped fields would fail here
    assert api.sanitize_for_serialization(rebuilt) == body


def _run_pod_command(op: Any, tmp_path: Path) -> dict[str, Any]:
    """Run the pod's exact command line here: same cmds/args/env, the XCom file redirected to tmp."""
    pod = op.build_pod_request_obj(context=None)
    (container,) = [c for c in pod.spec.containers if c.name == "base"]
    argv = [*container.command, *container.args]
    out = tmp_path / f"{op.task_id}-return.json"
    argv[argv.index("/airflow/xcom/return.json")] = str(out)
    argv[0] = str(Path(sys.executable).parent / argv[0])
    env = {**os.environ, **{e.name: e.value for e in container.env}}
    env.pop("MLFLOW_TRACKING_URI")  # the in-cluster URL; here the test's embedded store (MLOPS_HOME)
    proc = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result: dict[str, Any] = json.loads(out.read_text())
    return result


@pytest.mark.slow
def test_pod_command_line_gives_the_in_process_result(
    kube_cfg: Any, mlops_home: Path, tmp_path: Path
) -> None:
    from airflow_champion.operators.kubernetes import pod_task
    from airflow_champion.pipeline import steps
    from airflow_champion.registry import tracking
    from airflow_champion_demo import datagen

    datagen.write_weekly_snapshots(kube_cfg, start=date(2026, 11, 2), rows=1500, seed=1)
    sid = "2026-11-02"
    before = [
        (v.version, v.tags) for v in tracking.client().search_model_versions("name='churn'")
    ]  # the test's own store starts empty; anything here leaked from another test
    assert before == []

    validated = _run_pod_command(
        pod_task(kube_cfg, "validate", task_id="validate", args=["--snapshot", sid]), tmp_path
    )
    in_process = steps.validate("churn", sid)
    for key in ("snapshot_id", "sha256", "rows", "success"):
        assert validated[key] == in_process[key]

    trained = _run_pod_command(
        pod_task(
            kube_cfg,
            "train",
            task_id="train",
            args=["--snapshot", sid, "--expected-sha256", validated["sha256"], "--force", "False"],
        ),
        tmp_path,
    )
    again = steps.train("churn", sid, expected_sha256=validated["sha256"])
    assert again["reused"] is True and again["version"] == trained["version"] == 1

    verdict = _run_pod_command(
        pod_task(kube_cfg, "evaluate", task_id="evaluate", args=["--snapshot", sid, "--challenger", "1"]),
        tmp_path,
    )
    in_process_verdict = steps.evaluate("churn", sid, 1)
    for key in ("decision", "challenger_version", "champion_version", "challenger_score", "reasons"):
        assert verdict[key] == in_process_verdict[key]


@pytest.mark.parametrize(("exit_code", "retried"), [(3, False), (1, True), (137, True)])
def test_a_gate_refusal_in_a_pod_is_not_retried(
    kube_cfg: Any, monkeypatch: pytest.MonkeyPatch, exit_code: int, retried: bool
) -> None:
    """Exit code 3 is the CLI's 'gate refused': a retry cannot change it. A crash (1) or an OOM kill
    (137) is retried as usual."""
    from airflow.providers.cncf.kubernetes.operators.pod import KubernetesPodOperator
    from airflow.sdk.exceptions import AirflowException, AirflowFailException
    from airflow.serialization.serialized_objects import DagSerialization
    from airflow_champion.operators import dag_factory
    from airflow_champion.operators.kubernetes_pod import GatePodOperator
    from kubernetes.client import models as k8s

    monkeypatch.setattr(dag_factory, "load_config", lambda _name: kube_cfg)
    retrain = dag_factory.build_dags("churn")["churn_retrain"]
    DagSerialization.from_dict(DagSerialization.to_dict(retrain))  # the scheduler can load it
    train = retrain.get_task("train")
    assert isinstance(train, GatePodOperator)

    def provider_cleanup(self: Any, pod: Any, remote_pod: Any, **_kw: Any) -> None:
        raise AirflowException(f"Pod {pod.metadata.name} returned a failure.")  # what the provider does

    monkeypatch.setattr(KubernetesPodOperator, "cleanup", provider_cleanup)
    terminated = k8s.V1ContainerState(terminated=k8s.V1ContainerStateTerminated(exit_code=exit_code))
    remote = k8s.V1Pod(
        metadata=k8s.V1ObjectMeta(name="mlops-churn-train"),
        status=k8s.V1PodStatus(
            phase="Failed",
            container_statuses=[
                k8s.V1ContainerStatus(
                    name="base", state=terminated, image="i", image_id="i", ready=False, restart_count=0
                )
            ],
        ),
    )
    with pytest.raises(AirflowException) as raised:
        train.cleanup(remote, remote)
    assert isinstance(raised.value, AirflowFailException) is (not retried), raised.value
