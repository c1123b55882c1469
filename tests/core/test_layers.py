"""The shape of the code, checked on the source: layers point one way, no import cycle, the core imports
no Airflow, no module is over the size limit, and each concept lives in one place.

Imports are read with `ast`, function-level and TYPE_CHECKING ones included, so a lazy import that
points upward is caught too. docs/architecture.md draws the same layers.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

REPO = Path(__file__).resolve().parents[2]
ROOTS = {  # import name -> folder, as pyproject's package-dir maps them
    "airflow_champion": REPO / "include" / "airflow_champion",
    "airflow_champion.operators": REPO / "operators",
    "airflow_champion.sensors": REPO / "sensors",
    "airflow_champion_demo": REPO / "include" / "airflow_champion_demo",
}
LAYERS = [  # lowest first: a module may import its own layer and the layers below it
    {"errors", "settings"},
    {"reports"},
    {"tasks"},
    {"config"},
    {"data"},
    {"registry", "telemetry"},  # telemetry: the gates' metrics; its hooks read the ledger
    {"modeling"},
    {"validation"},
    {"evaluation"},
    {"monitoring"},
    {"pipeline"},
    {"sensors"},
    {"operators"},
]
CORE = set().union(*LAYERS[:-2])
MAX_LINES = 300


def _modules() -> dict[str, Path]:
    out: dict[str, Path] = {}
    for name, folder in ROOTS.items():
        for path in folder.rglob("*.py"):
            rel = path.relative_to(folder).with_suffix("")
            parts = [p for p in rel.parts if p != "__init__"]
            out[".".join([name, *parts])] = path
    # a mapped subpackage shadows the same name under include/airflow_champion (there is none)
    return out


MODULES = _modules()


def _imports(module: str, path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1] + ([base] if base else []))
            found.add(base)
            found.update(f"{base}.{a.name}" for a in node.names)
    return found


def _project_imports(module: str) -> set[str]:
    return {m for m in _imports(module, MODULES[module]) if m in MODULES and m != module}


def _stage(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "airflow_champion" or len(parts) < 2:
        return None
    return parts[1]


def _layer(stage: str) -> int:
    return next(i for i, names in enumerate(LAYERS) if stage in names)


def test_every_stage_has_a_layer() -> None:
    stages = {_stage(m) for m in MODULES} - {None}
    assert stages <= set().union(*LAYERS), stages - set().union(*LAYERS)


def test_no_import_points_to_a_higher_layer() -> None:
    upward = []
    for module in MODULES:
        stage = _stage(module)
        if stage is None:
            continue
        for target in _project_imports(module):
            if target.startswith("airflow_champion_demo"):
                if module != "airflow_champion.pipeline.commands":  # `mlops generate` / `mlops demo`
                    upward.append((module, target))
                continue
            target_stage = _stage(target)
            if target_stage and _layer(target_stage) > _layer(stage):
                upward.append((module, target))
    assert upward == []


def test_the_module_import_graph_has_no_cycle() -> None:
    graph = {m: _project_imports(m) - {p for p in MODULES if m.startswith(p + ".")} for m in MODULES}
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append([*stack[stack.index(nxt) :], nxt] if nxt in stack else [node, nxt])
            elif nxt not in state:
                visit(nxt, [*stack, nxt])
        state[node] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m, [m])
    assert cycles == []


def test_the_core_imports_no_airflow() -> None:
    offenders = {
        m: sorted(i for i in _imports(m, p) if i.split(".")[0] == "airflow")
        for m, p in MODULES.items()
        if _stage(m) in CORE or m.startswith("airflow_champion_demo")
    }
    assert {m: i for m, i in offenders.items() if i} == {}


def test_no_module_is_over_the_size_limit() -> None:
    big = {m: n for m, p in MODULES.items() if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert big == {}


ONE_PLACE = [
    # (what, regex, the only modules allowed to contain it)
    (
        "a model's predictions",
        r"predict_proba\(|(?<!task)\.predict\(",
        {
            "airflow_champion.tasks.binary",
            "airflow_champion.tasks.multiclass",
            "airflow_champion.tasks.regression",
            "airflow_champion.evaluation.leakage",  # its own one-feature probe trees
        },
    ),
    (
        "an S3 client",
        r"boto3\.(client|session|resource)|\bS3Hook\(",
        {
            "airflow_champion.data.credentials",
            "airflow_champion.sensors.connections",
        },
    ),
    ("the snapshot-id pattern", r"A-Za-z0-9\]\[A-Za-z0-9\._-\]", {"airflow_champion.data.ids"}),
    (
        "a snapshot folder's layout",
        r"\"(_quarantine|_claims|_reports|manifest\.json|QUARANTINED\.json)\"",
        {
            "airflow_champion.data.layout",
        },
    ),
    ("a JSON encoder", r"json\.dumps\(", {"airflow_champion.reports.jsonsafe"}),
    ("hand-built HTML", r"<html|<table|html\.escape", set()),
    ("a model-version tag write", r"set_model_version_tag\(", {"airflow_champion.registry.tags"}),
    (
        "a metric direction",
        r"\"(maximize|minimize)\"",
        {
            "airflow_champion.tasks.metric",
            "airflow_champion.config.sections",
        },
    ),
]


@pytest.mark.parametrize(("what", "pattern", "allowed"), ONE_PLACE, ids=[w for w, *_ in ONE_PLACE])
def test_each_concept_lives_in_one_place(what: str, pattern: str, allowed: set[str]) -> None:
    rx = re.compile(pattern)
    where = {
        m
        for m, p in MODULES.items()
        if not m.startswith("airflow_champion_demo") and rx.search(p.read_text(encoding="utf-8"))
    }
    assert where <= allowed, f"{what} outside {sorted(allowed)}: {sorted(where - allowed)}"
