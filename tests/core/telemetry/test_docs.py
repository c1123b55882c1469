"""docs/metrics.md says what telemetry.names sends: every metric in its table with its type and
tags, a statsd_exporter mapping for each, and a Grafana dashboard that queries only mapped series."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from airflow_champion.telemetry.names import METRICS

pytestmark = pytest.mark.unit

DOC = Path(__file__).resolve().parents[3] / "docs" / "metrics.md"


def _block(lang: str) -> str:
    (block,) = re.findall(rf"```{lang}\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)
    return block


def _mapping() -> dict[str, dict[str, Any]]:
    rules = yaml.safe_load(_block("yaml"))["mappings"]
    out = {r["match"]: r for r in rules}
    assert len(out) == len(rules), "one rule per metric"
    return out


def test_the_table_lists_every_metric_with_its_type_and_tags() -> None:
    rows = re.findall(r"^\| `(mlops\.[a-z_.]+)` \| (\w+) \| ([a-z, ]+) \|", DOC.read_text(), flags=re.M)
    documented = {name: (kind, tuple(t.strip() for t in tags.split(","))) for name, kind, tags in rows}
    assert documented == {m.name: (m.kind, m.tags) for m in METRICS.values()}


def test_the_mapping_names_every_metric_the_prometheus_way() -> None:
    mapping = _mapping()
    assert set(mapping) == set(METRICS)
    for name, rule in mapping.items():
        kind = METRICS[name].kind
        assert rule["name"].endswith("_total") == (kind == "counter"), name
        assert ("observer_type" in rule) == (kind == "timer"), name
        assert re.fullmatch(r"[a-z_]+", rule["name"]), rule["name"]


def test_the_dashboard_is_json_and_queries_only_mapped_series() -> None:
    dashboard = json.loads(_block("json"))
    mapped = {rule["name"] for rule in _mapping().values()}
    histograms = {r["name"] for r in _mapping().values() if r.get("observer_type") == "histogram"}
    exprs = [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    exprs.append(dashboard["templating"]["list"][0]["query"])
    used = {m for e in exprs for m in re.findall(r"\bmlops_[a-z_]+", e)}
    series = mapped | {f"{h}_{s}" for h in histograms for s in ("bucket", "sum", "count")}
    assert used and used <= series, used - series
    assert {p["id"] for p in dashboard["panels"]} == set(range(1, len(dashboard["panels"]) + 1))
