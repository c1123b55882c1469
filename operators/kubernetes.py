"""KubernetesPodOperator mode: a heavy step runs as a pod of the project's image, same `mlops` command.

The pod runs exactly what a person would type (`mlops train churn --snapshot ...`), configured from
the model's `execution` block (image, namespace, service account, resources, env, secrets), and hands
its JSON result back through `/airflow/xcom/return.json` (`do_xcom_push`), so downstream tasks see the
same XCom as with the in-process operators. The provider is imported only when a config asks for this
mode: parsing a DAG in the default mode never loads the Kubernetes client.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from airflow_champion.config import ModelConfig

XCOM_RETURN = "/airflow/xcom/return.json"
POD_STEPS = ("validate", "check-champion", "train", "evaluate", "drift")


def lineage_args(reason: str) -> list[str]:
    """CLI arguments that put the Airflow run on the MLflow run/version (rendered by Airflow)."""
    return [
        "--reason",
        reason,
        "--dag-id",
        "{{ dag.dag_id }}",
        "--run-id",
        "{{ run_id }}",
        "--run-type",
        "{{ dag_run.run_type.value | default(dag_run.run_type) }}",  # a str enum: str() is its name
    ]


def pod_command(step: str, model: str, args: list[str]) -> tuple[list[str], list[str]]:
    """(cmds, arguments) of the pod: the `mlops` CLI with the XCom file as its result sink."""
    if step not in POD_STEPS:
        raise ValueError(f"step {step!r} cannot run as a pod; one of {POD_STEPS}")
    return ["mlops"], ["--xcom-out", XCOM_RETURN, step, model, *args]


def pod_env(cfg: ModelConfig) -> dict[str, str]:
    """Env of the pod: the config's `execution.env` plus the code version the image was built from."""
    from airflow_champion import settings

    return {"MLOPS_CODE_VERSION": settings.code_version(), **cfg.execution.env}


def pod_task(cfg: ModelConfig, step: str, *, task_id: str, args: list[str], **kwargs: Any) -> Any:
    """A pod running `mlops <step> <model> <args>` per the model's execution config; a gate's refusal
    (exit code 3) fails the task without retries."""
    from airflow_champion.operators.kubernetes_pod import GatePodOperator
    from kubernetes.client import models as k8s

    ex = cfg.execution
    cmds, arguments = pod_command(step, cfg.name, args)
    return GatePodOperator(
        task_id=task_id,
        name=f"mlops-{cfg.name}-{step}".replace("_", "-"),
        namespace=ex.namespace,
        image=ex.image,
        cmds=cmds,
        arguments=arguments,
        env_vars=pod_env(cfg),
        env_from=[k8s.V1EnvFromSource(secret_ref=k8s.V1SecretEnvSource(name=s)) for s in ex.secrets],
        container_resources=k8s.V1ResourceRequirements(
            requests=dict(ex.resources.requests), limits=dict(ex.resources.limits)
        ),
        service_account_name=ex.service_account,
        kubernetes_conn_id=ex.kubernetes_conn_id,
        labels={"app.kubernetes.io/name": "airflow-champion", "mlops/model": cfg.name, "mlops/step": step},
        do_xcom_push=True,
        get_logs=True,
        on_finish_action="delete_pod",
        **kwargs,
    )


__all__ = ["POD_STEPS", "XCOM_RETURN", "lineage_args", "pod_command", "pod_env", "pod_task"]
