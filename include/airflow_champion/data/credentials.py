"""The one source of S3 credentials, for every task, sensor, trigger, CLI command and pod.

Under Airflow the operator and sensor layer installs a client built from the model's Airflow
connection (`snapshots.aws_conn_id`, through the amazon provider's S3Hook) for the duration of a
task or a trigger poll (`s3_client_source`). Outside Airflow (the CLI, a KubernetesPodOperator pod)
boto3's own chain applies: environment variables, `AWS_PROFILE`, an instance or pod role, with the
endpoint from `MLOPS_S3_ENDPOINT_URL` (MinIO, moto). Nothing else in the core builds an S3 client.

A context variable, not a global: two tasks in one process (threads, `dag.test()`) cannot see each
other's credentials, and `asyncio.to_thread` carries a trigger's source into its worker thread.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from airflow_champion import settings

ClientFactory = Callable[[], Any]
_SOURCE: ContextVar[ClientFactory | None] = ContextVar("mlops_s3_client_source", default=None)


def _once(factory: ClientFactory) -> ClientFactory:
    """The factory's client, made on first use and shared within one source's scope."""
    lock = threading.Lock()
    made: list[Any] = []

    def client() -> Any:
        with lock:
            if not made:
                made.append(factory())
            return made[0]

    return client


def _default_client() -> Any:
    import boto3

    return boto3.session.Session().client("s3", endpoint_url=settings.s3_endpoint_url())


def s3_client() -> Any:
    """The S3 client of the current scope: the installed source, else boto3's default chain."""
    source = _SOURCE.get()
    return source() if source is not None else _default_client()


def has_source() -> bool:
    return _SOURCE.get() is not None


@contextmanager
def s3_client_source(factory: ClientFactory) -> Iterator[None]:
    """Use `factory()`'s client (made once, lazily) for S3 within this block."""
    token = _SOURCE.set(_once(factory))
    try:
        yield
    finally:
        _SOURCE.reset(token)


__all__ = ["has_source", "s3_client", "s3_client_source"]
