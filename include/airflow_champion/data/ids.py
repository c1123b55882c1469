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
PARAM_PATTERN = rf"^(latest|{ID_BODY})$"
"""The `snapshot_id` DAG param: an id or "latest"."""


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


__all__ = ["ID_BODY", "PARAM_PATTERN", "SNAPSHOT_ID_RE", "is_snapshot_id", "validate_snapshot_id"]
