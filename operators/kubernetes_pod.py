"""The pod operator of `execution.mode: kubernetes`, imported only in that mode (it loads the
Kubernetes client, too slow for every DAG parse)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow.providers.cncf.kubernetes.operators.pod import KubernetesPodOperator
from airflow_champion.operators.base import GateFailed
from airflow_champion.pipeline.cli import EXIT_GATE

if TYPE_CHECKING:
    from airflow.sdk import Context
    from kubernetes.client import models as k8s


def container_exit_code(remote_pod: Any, container: str) -> int | None:
    """Exit code of the pod's `container`, if it terminated."""
    statuses = (remote_pod.status.container_statuses if remote_pod and remote_pod.status else None) or []
    status = next((s for s in statuses if s.name == container), None)
    terminated = status.state.terminated if status and status.state else None
    return int(terminated.exit_code) if terminated is not None else None


class GatePodOperator(KubernetesPodOperator):
    """A KubernetesPodOperator that tells a gate's refusal from a crash.

    The `mlops` CLI exits with EXIT_GATE when a gate refuses (bad data, lost compare-and-set). A retry
    cannot change that answer, so the task fails without retries, as the in-process operators do; any
    other failure (OOM kill, node lost, image pull) is retried as usual.
    """

    def cleanup(
        self,
        pod: k8s.V1Pod,
        remote_pod: k8s.V1Pod,
        xcom_result: dict | None = None,
        context: Context | None = None,
    ) -> None:
        try:
            super().cleanup(pod, remote_pod, xcom_result=xcom_result, context=context)
        except GateFailed:
            raise
        except Exception as exc:
            if container_exit_code(remote_pod, self.base_container_name) == EXIT_GATE:
                raise GateFailed(
                    f"{self.task_id}: the gate refused (pod exit code {EXIT_GATE}); see the pod log above"
                ) from exc
            raise
