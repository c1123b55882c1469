"""Fixtures of the validation tests."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def suites(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A config folder of the test's own: suite files must be inside its expectations/ folder."""
    folder = tmp_path / "configs" / "expectations"
    folder.mkdir(parents=True)
    monkeypatch.setenv("MLOPS_CONFIG_DIR", str(folder.parent))
    return folder
