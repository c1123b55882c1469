"""The one YAML loader of the project (configs, suite files, overrides): yaml.SafeLoader with limits.

SafeLoader refuses Python tags but not a "billion laughs" file: nine anchors of nine aliases each
compose into a few hundred nodes that expand to 9**9 values once anything walks them (pydantic,
the config hash, json), which hung config loading past 4 GB and the DAG file with it. So a file over
MAX_YAML_BYTES is refused before parsing, and the loader counts nodes as they would be expanded
(an alias counts the whole subtree it stands for) while composing, refusing past MAX_YAML_NODES:
milliseconds, before any expansion. Ordinary reuse (a few anchors, merge keys) stays far below.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from airflow_champion.errors import ConfigError

MAX_YAML_BYTES = 1_000_000
"""A model config or suite file is a few kilobytes; anything this big is a mistake or an attack."""

MAX_YAML_NODES = 100_000
"""Nodes of the expanded document (aliases counted as their subtrees); a config has a few hundred."""


class _TooManyNodes(yaml.YAMLError):
    pass


class LimitedSafeLoader(yaml.SafeLoader):
    """SafeLoader that refuses a document expanding to more than MAX_YAML_NODES nodes."""

    def __init__(self, stream: Any) -> None:
        super().__init__(stream)
        self._expanded = 0
        self._subtree: dict[int, int] = {}  # id(anchored node) -> its expanded size

    def _grow(self, by: int) -> None:
        self._expanded += by
        if self._expanded > MAX_YAML_NODES:
            raise _TooManyNodes(
                f"the document expands to more than {MAX_YAML_NODES} nodes (through aliases/anchors)"
            )

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            node = super().compose_node(parent, index)  # the anchored node, already composed
            self._grow(self._subtree.get(id(node), 1))
            return node
        anchor = getattr(self.peek_event(), "anchor", None)
        before = self._expanded
        node = super().compose_node(parent, index)  # composes children through this method
        self._grow(1)
        if anchor is not None:
            self._subtree[id(node)] = self._expanded - before
        return node


def load_yaml_text(text: str, source: str) -> Any:
    """Parse YAML text with the limits; errors are ConfigError naming `source`."""
    if len(text.encode("utf-8")) > MAX_YAML_BYTES:
        raise ConfigError(f"{source} is over the {MAX_YAML_BYTES}-byte limit for a YAML file")
    try:
        return yaml.load(text, Loader=LimitedSafeLoader)
    except _TooManyNodes as exc:
        raise ConfigError(f"refusing {source}: {exc}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"invalid YAML in {source}: {exc}") from None


def load_yaml(path: str | Path, what: str = "YAML file") -> Any:
    """Read and parse one YAML file with the limits: its size is checked before it is parsed.

    FileNotFoundError propagates (callers say what was missing); other errors are ConfigError.
    """
    path = Path(path)
    with path.open("rb") as f:
        data = f.read(MAX_YAML_BYTES + 1)
    if len(data) > MAX_YAML_BYTES:
        raise ConfigError(f"{what} {path} is over the {MAX_YAML_BYTES}-byte limit for a YAML file")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{what} {path} is not UTF-8 text: {exc}") from None
    return load_yaml_text(text, f"{what} {path}")


__all__ = ["MAX_YAML_BYTES", "MAX_YAML_NODES", "LimitedSafeLoader", "load_yaml", "load_yaml_text"]
