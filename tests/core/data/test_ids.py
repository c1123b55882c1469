"""The snapshot-id DAG param pattern refuses exactly what the core refuses, trailing newline included."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest
from airflow_champion.data import ids

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("value", ["2026-11-02\n", "latest\n", "2026-11-02\n\n", "\n2026-11-02", "a..b"])
def test_the_param_pattern_refuses_what_the_core_refuses(value: str) -> None:
    import jsonschema

    schema = {"type": "string", "pattern": ids.PARAM_PATTERN}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(value, schema)
    if value != "latest\n":
        assert not ids.is_snapshot_id(value)


@pytest.mark.parametrize("value", ["latest", "2026-11-02", "A.b_c-9", "x" * 64])
def test_the_param_pattern_accepts_every_valid_id(value: str) -> None:
    import jsonschema

    jsonschema.validate(value, {"type": "string", "pattern": ids.PARAM_PATTERN})


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_the_browser_form_agrees() -> None:
    """The UI checks the pattern with JS `RegExp` (no `\\Z` there): the same values pass and fail."""
    values = ["latest", "2026-11-02", "2026-11-02\n", "latest\n", "a..b", "\n2026-11-02"]
    script = f"const re = new RegExp({json.dumps(ids.PARAM_PATTERN)}, 'u');"
    script += f"console.log(JSON.stringify({json.dumps(values)}.map(v => re.test(v))))"
    out = subprocess.run(["node", "-e", script], capture_output=True, text=True, check=True).stdout
    assert json.loads(out) == [True, True, False, False, False, False]
