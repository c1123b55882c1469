"""Tasks (binary, multiclass, regression) and their metric registry: what a target kind means.

`get_task(name)` returns the task object; `REGISTRY[task][metric]` holds every metric, each declared
once in its task's module. Cheap to import (no numpy at module level): the config loader validates
names against it at DAG parse time.
"""

from __future__ import annotations

from airflow_champion.tasks.base import TargetCheck, TargetSpec, Task
from airflow_champion.tasks.binary import BinaryTask
from airflow_champion.tasks.metric import Metric
from airflow_champion.tasks.multiclass import MulticlassTask
from airflow_champion.tasks.regression import RegressionTask

TASKS: dict[str, Task] = {t.name: t for t in (BinaryTask(), MulticlassTask(), RegressionTask())}
ALIASES = {"binary_classification": "binary"}
"""Older config spellings of a task name."""
REGISTRY: dict[str, dict[str, Metric]] = {name: task.metrics for name, task in TASKS.items()}
"""task name -> metric name -> entry: every metric the project knows."""


def get_task(name: str) -> Task:
    key = ALIASES.get(name, name)
    if key not in TASKS:
        raise KeyError(f"unknown task {name!r}; one of {sorted(TASKS)}")
    return TASKS[key]


def get_metric(task: str, name: str) -> Metric:
    return get_task(task).metric(name)


__all__ = [
    "ALIASES",
    "REGISTRY",
    "TASKS",
    "Metric",
    "TargetCheck",
    "TargetSpec",
    "Task",
    "get_metric",
    "get_task",
]
