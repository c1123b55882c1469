"""S3 credentials from the model's Airflow connection, for every task, sensor and trigger.

The one place the Airflow layer turns `snapshots.aws_conn_id` into the core's credential source
(airflow_champion.data.credentials): inside `model_credentials(cfg)`, every S3 call of the core uses
a client from the amazon provider's S3Hook on that connection (keys, session token, role, endpoint
URL from its extras). A deployment that configures only the Airflow connection therefore has working
sensors *and* tasks. Local snapshot roots need no connection and never import the provider.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from airflow_champion.data import credentials

if TYPE_CHECKING:
    from airflow_champion.config import ModelConfig


def connection_client(aws_conn_id: str) -> Any:
    """A boto3 S3 client built from an Airflow connection (through the amazon provider's hook)."""
    from airflow.providers.amazon.aws.hooks.s3 import S3Hook

    return S3Hook(aws_conn_id=aws_conn_id).get_conn()


@contextmanager
def root_credentials(root: str, aws_conn_id: str | None) -> Iterator[None]:
    """S3 roots are reached with `aws_conn_id` within this block; anything else is left as it is."""
    if not root.startswith("s3://") or not aws_conn_id:
        yield
        return
    with credentials.s3_client_source(lambda: connection_client(aws_conn_id)):
        yield


@contextmanager
def model_credentials(cfg: ModelConfig) -> Iterator[None]:
    """The model's snapshot root is reached with its configured Airflow connection within this block."""
    with root_credentials(cfg.snapshot_root(), cfg.snapshots.aws_conn_id):
        yield


__all__ = ["connection_client", "model_credentials", "root_credentials"]
