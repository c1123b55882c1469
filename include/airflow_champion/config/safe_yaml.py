"""The one YAML loader of the project (configs, suite files, overrides): yaml.SafeLoader with limits.

SafeLoader refuses Python tags but not a "billion laughs" file: nine anchors of nine aliases each
compose into a few hundred nodes that expand to 9**9 values once anything walks them (pydantic,
the config hash, json), which hung config loading past 4 GB and the DAG file with it. So a file over
MAX_YAML_BYTES is refused before parsing, and the composed node graph is measured as it would be
expanded (an alias counts the whole subtree it stands for) before anything is constructed from it,
refusing past MAX_YAML_NODES: composing never expands aliases (they are the same node object), so
this takes milliseconds. Ordinary reuse (a few anchors, merge keys) stays far below.

libyaml's parser (yaml.CSafeLoader, when PyYAML was built with it) composes; construction is
SafeLoader's own Python code either way, so the data are the same. The DAG file loads every model's
config at each parse, and the pure-Python parser was most of a model's parse time.
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


_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return list(node.value)


def _check_expanded_size(root: yaml.Node) -> None:
    """Refuse a node graph that expands to more than MAX_YAML_NODES nodes.

    Every node counts 1 plus its children (mapping keys too); an alias is the anchored node object
    itself, so its subtree is counted again wherever it appears, from a size computed once. A node
    met again while its own subtree is still being counted (a recursive anchor) counts 1.
    """
    if isinstance(root, yaml.ScalarNode):
        return
    sizes: dict[int, int] = {}  # id(collection node) -> expanded size (1 while in progress)
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_counted = stack.pop()
        if children_counted:
            size = 1
            for child in _children(node):
                size += 1 if isinstance(child, yaml.ScalarNode) else sizes[id(child)]
            if size > MAX_YAML_NODES:
                raise _TooManyNodes(
                    f"the document expands to more than {MAX_YAML_NODES} nodes (through aliases/anchors)"
                )
            sizes[id(node)] = size
        elif id(node) not in sizes:
            sizes[id(node)] = 1
            stack.append((node, True))
            stack.extend(
                (child, False)
                for child in _children(node)
                if not isinstance(child, yaml.ScalarNode) and id(child) not in sizes
            )


def _load(text: str) -> Any:
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_expanded_size(node)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def load_yaml_text(text: str, source: str) -> Any:
    """Parse YAML text with the limits; errors are ConfigError naming `source`."""
    if len(text.encode("utf-8")) > MAX_YAML_BYTES:
        raise ConfigError(f"{source} is over the {MAX_YAML_BYTES}-byte limit for a YAML file")
    try:
        return _load(text)
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


__all__ = ["MAX_YAML_BYTES", "MAX_YAML_NODES", "load_yaml", "load_yaml_text"]
