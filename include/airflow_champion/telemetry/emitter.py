"""The StatsD client: one pipeline of samples per decision, sent as UDP datagrams; never raises.

Why the `statsd` package (the client Airflow's own `statsd_on` uses) and InfluxDB-style tags
(`mlops.gate.gain,model=churn,metric=roc_auc:0.012|g`, Airflow's `statsd_influxdb_enabled` form): the
tags travel in the metric name, which the client's public API carries, and statsd_exporter, Telegraf
and the OTel Collector's statsd receiver turn them into labels. The client also handles what is easy
to get wrong by hand: a negative gauge (sent as `0|g` then the value, since `-x|g` means "subtract"),
timers in milliseconds, datagrams kept under 512 bytes.

UDP is fire-and-forget: a collector that is down loses the datagrams, and the send returns at once.
An address that does not resolve, or any other failure here, is logged once and the gate goes on.
"""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Iterable, Mapping
from typing import Any

from airflow_champion.telemetry.config import MetricsConfig, log_once, metrics_config
from airflow_champion.telemetry.names import METRICS

Sample = tuple[str, Any, Mapping[str, Any]]
"""(metric name, value, tags); a value of None (not measured) is skipped."""

MAX_TAG_CHARS = 100
_UNSAFE = re.compile(r"[^A-Za-z0-9_.\-]")  # what is left is safe in a name, a tag and a label value
_lock = threading.Lock()
_client: tuple[MetricsConfig, Any] | None = None


def enabled() -> bool:
    """Whether this process sends metrics; the hooks do no extra reads when it does not."""
    return metrics_config().enabled


def tag_value(value: Any) -> str:
    """A tag value the wire format and Prometheus accept (`,`, `=`, `:`, `|`, spaces become `_`)."""
    text = "" if value is None else _UNSAFE.sub("_", str(value))[:MAX_TAG_CHARS]
    return text or "none"


def stat_name(name: str, tags: Mapping[str, Any]) -> str:
    """`name,k=v,...` with exactly the metric's tag keys in their documented order (a missing tag is
    `none`), or ValueError for an unknown metric or tag key."""
    metric = METRICS.get(name)
    if metric is None:
        raise ValueError(f"unknown metric {name!r} (telemetry.names.METRICS)")
    extra = set(tags) - set(metric.tags)
    if extra:
        raise ValueError(f"{name} has no tag {sorted(extra)} (its tags: {metric.tags})")
    return name + "".join(f",{k}={tag_value(tags.get(k))}" for k in metric.tags)


def _number(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _statsd_client() -> Any:
    """The client for the current settings (made once per address), or None when metrics are off or
    the address cannot be used."""
    global _client
    cfg = metrics_config()
    if not cfg.enabled:
        return None
    with _lock:
        if _client is not None and _client[0] == cfg:
            return _client[1]
        try:
            from statsd import StatsClient

            client = StatsClient(cfg.host, cfg.port, prefix=cfg.prefix or None, ipv6=":" in cfg.host)
        except Exception as exc:  # no such host, no statsd package: said once, the gate goes on
            log_once(
                ("client", cfg),
                "metrics: cannot send to StatsD at %s:%s (%s: %s); metrics from this process are dropped",
                cfg.host,
                cfg.port,
                type(exc).__name__,
                exc,
            )
            client = None
        if _client is not None and _client[1] is not None:
            _client[1].close()
        _client = (cfg, client)
        return client


def send(samples: Iterable[Sample]) -> int:
    """Send the samples together (few datagrams); returns how many were sent. Never raises."""
    try:
        client = _statsd_client()
        if client is None:
            return 0
        sent = 0
        with client.pipeline() as pipe:
            for name, value, tags in samples:
                number = _number(value)
                if number is None:
                    continue
                stat, kind = stat_name(name, tags), METRICS[name].kind
                if kind == "counter":
                    pipe.incr(stat, int(number))
                elif kind == "gauge":
                    pipe.gauge(stat, number)
                else:
                    pipe.timing(stat, number * 1000.0)  # StatsD timers are in ms; exporters divide
                sent += 1
        return sent
    except Exception as exc:  # a bug here must cost the metrics, never the gate
        log_once(("send", type(exc).__name__), "metrics not sent: %s: %s", type(exc).__name__, exc)
        return 0


__all__ = ["Sample", "enabled", "send", "stat_name", "tag_value"]
