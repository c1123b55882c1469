"""The telemetry stage: the gates' decisions as StatsD metrics, for Prometheus (statsd_exporter) and
Grafana (docs/metrics.md).

names (THE list of metric names, kinds and tags), config (MLOPS_METRICS and the StatsD address from
the environment), emitter (the client: fire-and-forget UDP that never raises; a bad address is logged
once), gates (the one-line hooks of registry.promotion, registry.rollback and validation.gate);
monitoring.metrics sends a drift verdict's numbers. It shares the registry's layer because the hooks
read the ledger (champion age) and the snapshot's manifest (landing time). Nothing is imported here:
registry modules import the hooks, so this package's __init__ must not import the registry back.
"""
