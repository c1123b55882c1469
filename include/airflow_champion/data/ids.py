"""Snapshot ids: the one pattern, checked with fullmatch so nothing can escape a snapshot root.

A snapshot id names a folder under the model's root, so it may hold only letters, digits, `.`, `_`
and `-`, start with a letter or digit, never contain `..`, and be at most 64 characters. The DAG
params use the same pattern (`PARAM_PATTERN`, a JSON-schema regex) so REST and the core agree.
"""

from __future__ import annotations

import re
from typing import Any

from airflow_champion.errors import SnapshotError

ID_BODY = r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}"
SNAPSHOT_ID_RE = re.compile(ID_BODY)
"""Use with `fullmatch` (a `$` anchor would accept a trailing newline)."""


def json_pattern(body: str) -> str:
    r"""A JSON-schema `pattern` that must match the whole value, in Python and in the browser alike.

    jsonschema applies it with `re.search`, where `$` also matches before a final newline, so
    "2026-11-02<newline>" passed; `(?!\n)` refuses that, and unlike `\Z` it is valid JavaScript (the UI's
    form check), where `$` is the end of input anyway. `(?!.*\.\.)` refuses '..' as the core does.
    """
    return rf"^(?!.*\.\.)({body})(?!\n)$"


PARAM_PATTERN = json_pattern(f"latest|{ID_BODY}")
"""The `snapshot_id` DAG param: an id or "latest", exactly (see `json_pattern`)."""


OPTIONAL_ID_PATTERN = json_pattern(f"{ID_BODY}|")
"""A DAG param that is a snapshot id or empty (e.g. the replay's bounds)."""


def is_snapshot_id(value: Any) -> bool:
    return isinstance(value, str) and SNAPSHOT_ID_RE.fullmatch(value) is not None and ".." not in value


def validate_snapshot_id(snapshot_id: Any) -> str:
    """Refuse anything that could escape the model's snapshot root (path traversal, URIs, newlines)."""
    sid = str(snapshot_id)
    if not is_snapshot_id(sid):
        raise SnapshotError(
            f"invalid snapshot id {sid[:80]!r}: it must match {ID_BODY} (letters, digits, '.', '_', '-', "
            "at most 64) and not contain '..'"
        )
    return sid


__all__ = [
    "ID_BODY",
    "OPTIONAL_ID_PATTERN",
    "PARAM_PATTERN",
    "SNAPSHOT_ID_RE",
    "is_snapshot_id",
    "validate_snapshot_id",
]
