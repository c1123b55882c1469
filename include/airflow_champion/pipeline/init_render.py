"""The text `mlops init` writes: a model config in the key order of the shipped configs, with a comment
on every value that was guessed, and a suite file with one example expectation in a comment.

Values go through yaml.safe_dump (so "yes", "no", "1.0" or a name with a colon stay strings); the
layout around them is written by hand, because a YAML library drops comments.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from typing import Any

import yaml

WIDTH = 110
COMMENT_COLUMN = 32


@dataclass
class Draft:
    """Everything the config says, with why (each `*_note` becomes a comment)."""

    model: str
    source: str
    rows: int
    columns: int
    task: str
    task_note: str
    target: str
    target_keys: dict[str, Any]
    target_note: str
    features: list[dict[str, Any]]
    left_out: dict[str, str]
    snapshots: dict[str, Any]
    estimator_class: str
    estimator_params: dict[str, Any]
    holdout: dict[str, Any]
    holdout_note: str
    metric: str
    metric_note: str
    floor: float
    floor_note: str
    min_rows: int
    suite: str
    margin: float
    example: dict[str, Any] | None = None
    tags: dict[str, str] = field(default_factory=dict)


def scalar(value: Any) -> str:
    """One YAML value on one line (flow style for mappings and lists)."""
    return yaml.safe_dump([value], default_flow_style=True, width=10**6, sort_keys=False).strip()[1:-1]


def line(indent: int, text: str, comment: str = "") -> list[str]:
    """`text` at `indent`, its comment beside it when it fits, else on the lines above."""
    head = " " * indent + text
    if not comment:
        return [head]
    beside = head.ljust(COMMENT_COLUMN - 2) + "  # " + comment
    if len(beside) <= WIDTH:
        return [beside]
    wrapped = textwrap.wrap(comment, WIDTH - indent - 2)
    return [" " * indent + "# " + w for w in wrapped] + [head]


def comment_block(indent: int, text: str) -> list[str]:
    return [" " * indent + "# " + w for w in textwrap.wrap(text, WIDTH - indent - 2)]


def render_config(d: Draft) -> str:
    out = comment_block(
        0,
        f"{d.model}: written by `mlops init` from {d.source} ({d.rows} rows, {d.columns} columns). Types, "
        "ranges and labels were read from that file; comments say what was guessed. Keys: README "
        f"'Model configs'; check an edit with: mlops check-config {d.model}",
    )
    out += line(0, f"name: {d.model}")
    out += line(
        0, f"description: {scalar(f'Predicts {d.target} (from {d.source}); say what the model is for.')}"
    )
    out += line(0, "owner: mlops", "who answers for this model")
    out += line(0, f"task: {d.task}", d.task_note)
    out += line(0, 'schedule: "0 3 * * 1"', "weekly, Monday 03:00 UTC: the retrain DAG's cron")
    out += ["snapshots:"]
    out += line(2, f"root: {scalar(d.snapshots['root'])}", "relative to MLOPS_HOME; or s3://bucket/prefix")
    out += line(2, f"max_bytes: {d.snapshots['max_bytes']}", "larger snapshots are refused before loading")
    for key in ("csv_delimiter", "csv_encoding"):
        if key in d.snapshots:
            out += line(2, f"{key}: {scalar(d.snapshots[key])}", "how CSV snapshots are read")
    out += ["data:"]
    out += line(2, f"target: {scalar(d.target)}")
    for i, (key, value) in enumerate(d.target_keys.items()):
        out += line(2, f"{key}: {scalar(value)}", d.target_note if i == 0 else "")
    out += comment_block(
        2,
        f"Features, read from the file: numeric min/max are its range widened by {d.margin:.0%} of that "
        "range on each side (not below 0 where it had no negatives), rounded outward; allowed_values are "
        "the categories it has. A value outside them fails validation: widen them if later data may.",
    )
    out += ["  features:"]
    out += [f"    - {scalar(f)}" for f in d.features]
    if d.left_out:
        out += ["  # Left out (add one back above if it belongs):"]
        for name, why in d.left_out.items():
            out += ["  #   " + w for w in textwrap.wrap(f"{name}: {why}", WIDTH - 6)]
    out += ["estimator:"]
    out += line(
        2, f"class: {d.estimator_class}", "default: handles missing values, mixed scales, interactions"
    )
    out += line(
        2, f"params: {scalar(d.estimator_params)}", "scikit-learn's defaults; a fixed seed retrains alike"
    )
    out += line(0, f"holdout: {scalar(d.holdout)}", d.holdout_note)
    out += line(0, f"metric: {scalar({'name': d.metric})}", d.metric_note)
    out += ["promotion:"]
    out += line(2, f"floor: {scalar(d.floor)}", d.floor_note)
    out += line(2, "min_abs_gain: 0.0", "a challenger must beat the champion by this much (metric units)")
    out += line(2, "significance: 0.05", "one-sided: the bootstrap CI lower bound of the gain must be > 0")
    out += line(2, "bootstrap_samples: 1000")
    out += ["validation:"]
    out += line(2, f"suite: {scalar(d.suite)}", "extra expectations: expectations/ next to this file")
    out += line(2, f"min_rows: {d.min_rows}", "a snapshot with fewer rows fails validation")
    out += line(0, f"tags: {scalar(d.tags)}")
    return "\n".join(out) + "\n"


def render_suite(d: Draft) -> str:
    out = comment_block(
        0,
        f"Extra expectations for the {d.model} model. They are merged with the ones derived from its config "
        "(columns exist, enough rows, types, min/max, no inf, allowed categories, nulls, the target's "
        "labels or range), so add only facts the config cannot say. Each entry names a Great "
        "Expectations 1.x expectation in snake_case, its kwargs (columns must be features or the "
        "target) and an optional meta.why, shown in the validation report. For example:",
    )
    if d.example:
        out += ["#", "# expectations:"]
        out += ["#   " + x for x in yaml.safe_dump([d.example], sort_keys=False, width=10**6).splitlines()]
    out += ["expectations: []"]
    return "\n".join(out) + "\n"


__all__ = ["Draft", "render_config", "render_suite", "scalar"]
