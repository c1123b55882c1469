"""Why a run exists, as text: the one character set a `reason` may use, and how to make one safe.

A reason travels from a REST call or a drift verdict into a DAG param, a Jinja-rendered template
field, a pod argument, an MLflow tag and the ledger, so it is kept to plain words and punctuation
(no quotes, braces or newlines) and at most REASON_MAX characters.
"""

from __future__ import annotations

import re

REASON_MAX = 200
REASON_CHARS = r"A-Za-z0-9 _.,:;()/@+#'-"
REASON_PATTERN = rf"^[{REASON_CHARS}]*(?!\n)$"
"""The JSON-schema pattern of the `reason` DAG params (`(?!\n)`: see data.ids.json_pattern)."""
_UNSAFE = re.compile(rf"[^{REASON_CHARS}]")


def safe_reason(text: str) -> str:
    """`text` with every character outside REASON_CHARS replaced by a space, cut to REASON_MAX."""
    return _UNSAFE.sub(" ", str(text))[:REASON_MAX]


__all__ = ["REASON_MAX", "REASON_PATTERN", "safe_reason"]
