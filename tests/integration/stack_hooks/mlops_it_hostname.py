"""`[core] hostname_callable` of the integration suite's Celery workers: each task instance records the
name of the worker that ran it (both workers run on this one machine, so the FQDN cannot tell them apart)."""

import os
import socket


def worker_name() -> str:
    return os.environ.get("MLOPS_IT_WORKER_NAME") or socket.getfqdn()
