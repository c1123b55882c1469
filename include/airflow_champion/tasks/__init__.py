"""Tasks (binary, ...) and their metric registry: what a kind of target means to every stage.

`get_task(name)` returns the task object; `tasks.metrics.REGISTRY` holds every metric. Cheap to
import (no numpy at module level): the config loader validates names against it at DAG parse time.
"""

from __future__ import annotations

from airflow_champion.tasks.base import TargetCheck, Task
from airflow_champion.tasks.binary import BinaryTask
from airflow_champion.tasks.metrics import Metric, get_metric, metrics_of

TASKS: dict[str, Task] = {t.name: t for t in (BinaryTask(),)}
ALIASES = {"binary_classification": "binary"}
"""Older config spellings of a task name."""


def get_task(name: str) -> Task:
    key = ALIASES.get(name, name)
    if key not in TASKS:
        raise KeyError(f"unknown task {name!r}; one of {sorted(TASKS)}")
    return TASKS[key]


__all__ = ["ALIASES", "TASKS", "Metric", "TargetCheck", "Task", "get_metric", "get_task", "metrics_of"]
