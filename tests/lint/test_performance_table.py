"""The README's Performance table is bench/results.json rendered (bench/render_table.py), so a
results file committed without its table, or a hand edit of the table, fails here."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

pytestmark = pytest.mark.lint

REPO = Path(__file__).resolve().parents[2]


def _render_table() -> object:
    spec = importlib.util.spec_from_file_location("render_table", REPO / "bench" / "render_table.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("page", ["README.md", "bench/results.md"])
def test_the_committed_table_is_the_committed_results_rendered(page: str) -> None:
    rt = _render_table()
    doc = json.loads((REPO / "bench" / "results.json").read_text(encoding="utf-8"))
    text = (REPO / page).read_text(encoding="utf-8")
    assert rt.START in text and rt.END in text, f"{page} has no bench markers"  # type: ignore[attr-defined]
    shown = text.split(rt.START, 1)[1].split(rt.END, 1)[0]  # type: ignore[attr-defined]
    assert shown == "\n" + rt.render(doc), (  # type: ignore[attr-defined]
        f"{page}'s table is not bench/results.json rendered: "
        f"run .venv/bin/python bench/render_table.py bench/results.json --into {page}"
    )
