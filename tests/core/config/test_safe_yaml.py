"""Every YAML the project reads goes through one loader with limits: a file over the size limit is
refused before parsing, and a "billion laughs" file (aliases that expand to millions of nodes) is
refused while it is composed, with a ConfigError naming the file and the limit, instead of hanging
config loading, `mlops check-config` and the DAG file."""

from __future__ import annotations

from pathlib import Path

import pytest
from airflow_champion.config import load_config
from airflow_champion.config.loading import load_overrides
from airflow_champion.config.safe_yaml import MAX_YAML_BYTES, MAX_YAML_NODES, load_yaml
from airflow_champion.errors import ConfigError

pytestmark = pytest.mark.unit

REPO = Path(__file__).resolve().parents[3]


def billion_laughs(name: str = "bomb") -> str:
    """churn's config with estimator.params holding 9 levels of 9 aliases: 9**9 (387M) strings."""
    lines = ["  params:", "    a0: &a0 [" + ", ".join(['"lol"'] * 9) + "]"]
    lines += [f"    a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 9)]
    text = (REPO / "include" / "configs" / "churn.yaml").read_text().replace("name: churn", f"name: {name}")
    old = "  params: {max_iter: 150, learning_rate: 0.08, max_leaf_nodes: 15, random_state: 0}"
    assert old in text
    return text.replace(old, "\n".join(lines))


@pytest.mark.timeout(120)  # a regression hangs (and eats memory) instead of failing: fail it instead
def test_a_billion_laughs_config_is_refused_naming_the_file_and_the_limit(tmp_path: Path) -> None:
    path = tmp_path / "bomb.yaml"
    path.write_text(billion_laughs())
    with pytest.raises(ConfigError, match=rf"{path}.*more than {MAX_YAML_NODES} nodes"):
        assert load_config(path).config_hash  # what hung: hashing the expanded params


@pytest.mark.timeout(120)
def test_the_overrides_file_uses_the_same_loader(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(billion_laughs())
    with pytest.raises(ConfigError, match=f"more than {MAX_YAML_NODES} nodes"):
        load_overrides(path)


def test_a_file_over_the_size_limit_is_refused_before_parsing(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_text("name: big\n" + "# padding\n" * (MAX_YAML_BYTES // 10 + 1))
    with pytest.raises(ConfigError, match=rf"{path}.*over the {MAX_YAML_BYTES}-byte limit"):
        load_config(path)


def test_a_few_anchors_and_merge_keys_still_load(tmp_path: Path) -> None:
    path = tmp_path / "reuse.yaml"
    path.write_text("base: &base {a: 1, b: [1, 2]}\nother:\n  <<: *base\n  c: 3\nsame: *base\n")
    assert load_yaml(path) == {
        "base": {"a": 1, "b": [1, 2]},
        "other": {"a": 1, "b": [1, 2], "c": 3},
        "same": {"a": 1, "b": [1, 2]},
    }


def test_the_shipped_configs_load_with_the_limits() -> None:
    for name in ("breast_cancer", "churn", "deliveries", "diabetes", "wine"):
        assert load_config(name).name == name
