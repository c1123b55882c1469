"""An S3 server on loopback for tests (moto's standalone server), and model configs pointing at it.

`moto_s3()` starts a fresh server (its backends reset), yields its endpoint, and stops it; nothing
ever leaves 127.0.0.1. `write_config(...)` writes a copy of a shipped model config whose snapshots
live on that server, into a config folder the test points MLOPS_CONFIG_DIR at, so every process and
every code path (tasks, triggers, CLI) loads the same config by name, as in a deployment.
"""

from __future__ import annotations

import json
import socket
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _post(url: str, data: bytes = b"") -> bytes:
    headers = {"Content-Type": "text/plain"}  # not a form: moto reads the raw body
    request = urllib.request.Request(url, data=data, method="POST", headers=headers)
    with urllib.request.urlopen(request, timeout=10) as r:
        return bytes(r.read())


@contextmanager
def moto_s3() -> Iterator[str]:
    """A moto server on a free loopback port, reset to empty; yields its endpoint URL."""
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    try:
        _post(f"{endpoint}/moto-api/reset")  # moto keeps its backends per process
        yield endpoint
    finally:
        require_signatures(endpoint, False)
        server.stop()


def require_signatures(endpoint: str, on: bool) -> None:
    """From now on every request must be signed with a key moto's IAM knows (or, off, anything goes)."""
    _post(f"{endpoint}/moto-api/reset-auth", b"0" if on else b"inf")


def boto_client(endpoint: str, key: str = "testing", secret: str = "testing", service: str = "s3") -> Any:
    import boto3

    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=key,
        aws_secret_access_key=secret,
    )


def aws_connection(endpoint: str, key: str, secret: str) -> str:
    """An Airflow `aws` connection (AIRFLOW_CONN_* JSON) to the server, endpoint in its extras."""
    return json.dumps(
        {
            "conn_type": "aws",
            "login": key,
            "password": secret,
            "extra": {"endpoint_url": endpoint, "region_name": "us-east-1"},
        }
    )


def write_config(folder: Path, model: str, *, root: str, aws_conn_id: str | None = None) -> Path:
    """A copy of the shipped `model` config with its snapshots under `root`, written to `folder`."""
    from airflow_champion.config import load_config

    cfg = load_config(model)
    raw = cfg.model_dump(mode="json", by_alias=True)
    raw["snapshots"]["root"] = root
    if aws_conn_id:
        raw["snapshots"]["aws_conn_id"] = aws_conn_id
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{model}.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    return path
