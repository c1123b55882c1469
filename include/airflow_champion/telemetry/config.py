"""Where metrics go, from the environment only (the core imports no Airflow, and a task, the CLI and a
pod must agree without sharing objects):

* MLOPS_METRICS: `off` (the default: nothing is sent, nothing extra is read) or `statsd`.
* MLOPS_STATSD_HOST / MLOPS_STATSD_PORT: the StatsD server (statsd_exporter, Telegraf, the OTel
  Collector's statsd receiver); unset, Airflow's own [metrics] statsd_host / statsd_port as its
  environment variables say (AIRFLOW__METRICS__STATSD_HOST / _PORT), else localhost:8125.
* MLOPS_STATSD_PREFIX: put before every name (default none: names already start with `mlops.`).

Read on every send, so a changed environment (a test, a pod) takes effect; it costs a few dict reads.
A bad value is logged once and turns metrics off: metrics never fail a gate.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

BACKENDS = ("off", "statsd")
DEFAULT_PORT = 8125
_PREFIX_OK = re.compile(r"[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*")
_logged: set[Any] = set()
_logged_lock = threading.Lock()


def log_once(key: Any, msg: str, *args: Any) -> None:
    """A warning the first time `key` is seen in this process: a down collector is said once, not per
    metric (a task sends a few dozen)."""
    with _logged_lock:
        if key in _logged:
            return
        _logged.add(key)
    log.warning(msg, *args)


@dataclass(frozen=True)
class MetricsConfig:
    backend: str
    host: str = "localhost"
    port: int = DEFAULT_PORT
    prefix: str = ""

    @property
    def enabled(self) -> bool:
        return self.backend != "off"


OFF = MetricsConfig("off")


def metrics_config(environ: Mapping[str, str] | None = None) -> MetricsConfig:
    """The metrics settings of this process (OFF unless MLOPS_METRICS asks for a backend)."""
    env = os.environ if environ is None else environ
    backend = env.get("MLOPS_METRICS", "").strip().lower() or "off"
    if backend not in BACKENDS:
        log_once(
            ("backend", backend), "MLOPS_METRICS=%r is not one of %s; metrics are off", backend, BACKENDS
        )
        return OFF
    if backend == "off":
        return OFF
    host = (env.get("MLOPS_STATSD_HOST") or env.get("AIRFLOW__METRICS__STATSD_HOST") or "localhost").strip()
    raw_port = (env.get("MLOPS_STATSD_PORT") or env.get("AIRFLOW__METRICS__STATSD_PORT") or "").strip()
    try:
        port = int(raw_port) if raw_port else DEFAULT_PORT
        if not 0 < port < 65536:
            raise ValueError(raw_port)
    except ValueError:
        log_once(("port", raw_port), "StatsD port %r is not a port number; metrics are off", raw_port)
        return OFF
    prefix = env.get("MLOPS_STATSD_PREFIX", "").strip().strip(".")
    if prefix and not _PREFIX_OK.fullmatch(prefix):
        log_once(
            ("prefix", prefix),
            "MLOPS_STATSD_PREFIX=%r may hold only letters, digits, _ and dots; metrics are off",
            prefix,
        )
        return OFF
    return MetricsConfig(backend, host, port, prefix)


__all__ = ["BACKENDS", "OFF", "MetricsConfig", "log_once", "metrics_config"]
