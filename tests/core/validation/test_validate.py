"""Validation gate: the config-derived suite plus the YAML extras, run through Great Expectations.

GX costs seconds to import and ~0.5 s per run, so frames are small (600 rows) and built with numpy;
each defect gets its own run so a failure names exactly one problem.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from airflow_champion.config import ModelConfig, ValidationSpec, load_config
from airflow_champion.errors import ConfigError
from airflow_champion.validation import messages, report, suite
from airflow_champion.validation import validate as validation

pytestmark = pytest.mark.unit

ROWS = 600


def valid_frame(cfg: ModelConfig, rows: int = ROWS, seed: int = 0) -> pd.DataFrame:
    """A frame that satisfies the config and both shipped suites (means, medians, churn rate)."""
    rng = np.random.default_rng(seed)
    data: dict[str, Any] = {}
    for f in cfg.data.features:
        if f.type == "numeric":
            lo = f.min if f.min is not None else 0.0
            span = min((f.max if f.max is not None else lo + 40) - lo, 40)
            data[f.name] = rng.uniform(lo, lo + span, rows).round(3)
        else:
            assert f.allowed_values
            data[f.name] = rng.choice(f.allowed_values, rows)
    data[cfg.data.target] = (rng.random(rows) < 0.5).astype(int)
    return pd.DataFrame(data)


@pytest.fixture(scope="module")
def churn() -> ModelConfig:
    return load_config("churn")


@pytest.fixture(scope="module")
def bc() -> ModelConfig:
    return load_config("breast_cancer")


@pytest.fixture(scope="module")
def churn_ok(churn: ModelConfig) -> validation.ValidationResult:
    df = valid_frame(churn)
    df["customer_id"] = np.arange(len(df))  # extra column: allowed, but listed
    # pandas extension / narrow dtypes are as valid as float64 and object
    df["num_products"] = df["num_products"].round().astype("Int64")
    df["region"] = df["region"].astype("category")
    df["churned"] = df["churned"].astype("int8")
    return validation.validate_dataframe(churn, df, "2024-01-01")


def failing_columns(result: validation.ValidationResult) -> set[str | None]:
    return {f["column"] for f in result.failures}


# ----------------------------------------------------------------------------------------- suite spec


def test_suite_spec_derives_from_config(churn: ModelConfig) -> None:
    specs = suite.build_suite_spec(churn)
    exists = {s["kwargs"]["column"] for s in specs if s["expectation"] == "expect_column_to_exist"}
    assert exists == {*churn.data.feature_names, "churned"}
    by = {(s["expectation"], s["kwargs"].get("column"), s["meta"].get("check")): s for s in specs}
    assert by[("expect_column_values_to_be_between", "age", "range")]["kwargs"] == {
        "column": "age",
        "min_value": 16,
        "max_value": 120,
    }
    assert by[("expect_column_values_to_be_between", "total_charges", "range")]["kwargs"] == {
        "column": "total_charges",
        "min_value": 0,
    }
    assert ("expect_column_values_to_be_in_type_list", "age", "numeric") in by
    assert ("expect_column_values_to_be_between", "age", "finite") in by
    assert by[("expect_column_values_to_be_in_set", "region", "categories")]["kwargs"]["value_set"] == [
        "north",
        "south",
        "east",
        "west",
    ]
    assert "mostly" not in by[("expect_column_values_to_not_be_null", "contract_type", "not_null")]["kwargs"]
    assert by[("expect_column_values_to_be_in_set", "churned", "labels")]["kwargs"]["value_set"] == [0, 1]
    assert ("expect_column_unique_value_count_to_be_between", "churned", "both_classes") in by
    row_count = next(s for s in specs if s["expectation"] == "expect_table_row_count_to_be_between")
    assert row_count["kwargs"] == {"min_value": 500}
    extras = [s for s in specs if s["meta"]["source"] == "suite:churn.yaml"]
    assert {s["kwargs"]["column"] for s in extras} == {"churned", "monthly_charges", "tenure_months"}
    assert all(s["meta"].get("why") for s in specs)
    json.dumps(specs, allow_nan=False)


def test_shipped_breast_cancer_suite_loads(bc: ModelConfig) -> None:
    specs = suite.build_suite_spec(bc)
    assert sum(s["meta"]["source"] == "suite:breast_cancer.yaml" for s in specs) == 2
    not_null = {s["kwargs"]["column"] for s in specs if s["meta"].get("check") == "not_null"}
    assert not_null == {*bc.data.feature_names, "target"}


def _with_suite(cfg: ModelConfig, suites: Path, text: str) -> ModelConfig:
    (suites / "suite.yaml").write_text(text)
    return cfg.model_copy(update={"validation": ValidationSpec(suite="suite.yaml", min_rows=10)})


@pytest.mark.parametrize(
    ("text", "needles"),
    [
        (
            "expectations:\n  - expectation: expect_column_mean_to_be_betwen\n"
            "    kwargs: {column: age, min_value: 1}\n",
            ["entry 0", "expect_column_mean_to_be_betwen", "unknown expectation", "did you mean"],
        ),
        (
            "expectations:\n  - expectation: expect_column_mean_to_be_between\n"
            "    kwargs: {column: agee, min_value: 1}\n",
            ["entry 0", "agee", "neither a feature nor the target"],
        ),
        (
            "expectations:\n  - expectation: expect_column_mean_to_be_between\n"
            "    kwargs: {column: age, min_valeu: 1}\n",
            ["entry 0", "invalid kwargs"],
        ),
        (
            "expectations:\n  - expectation: expect_column_mean_to_be_between\n    kwarg: {column: age}\n",
            ["entry 0", "unknown keys", "kwarg"],
        ),
        ("- just a list\n", ["top level"]),
    ],
    ids=["typo-name", "unknown-column", "bad-kwarg", "unknown-key", "not-a-mapping"],
)
def test_bad_suite_file_is_config_error(
    churn: ModelConfig, suites: Path, text: str, needles: list[str]
) -> None:
    cfg = _with_suite(churn, suites, text)
    with pytest.raises(ConfigError) as exc:
        suite.build_suite_spec(cfg)
    msg = str(exc.value)
    assert str(suites / "suite.yaml") in msg
    for needle in needles:
        assert needle in msg


def test_missing_suite_file_is_config_error(churn: ModelConfig, suites: Path) -> None:
    cfg = churn.model_copy(update={"validation": ValidationSpec(suite="nope.yaml")})
    with pytest.raises(ConfigError, match="expectation suite not found"):
        suite.build_suite_spec(cfg)


def test_empty_suite_file_means_config_only(churn: ModelConfig, suites: Path) -> None:
    cfg = _with_suite(churn, suites, "# nothing extra\n")
    assert all(s["meta"]["source"] == "config" for s in suite.build_suite_spec(cfg))


# ------------------------------------------------------------------------------------------ clean data


def test_valid_churn_frame_passes(churn_ok: validation.ValidationResult) -> None:
    r = churn_ok
    assert r.success, r.summary()
    assert r.failures == []
    assert r.statistics["unsuccessful"] == 0
    assert r.statistics["evaluated"] == len(r.checks) > 40
    assert r.statistics["success_percent"] == 100.0
    assert all(c["status"] == "passed" for c in r.checks)
    assert r.extra_columns == ["customer_id"]
    assert r.summary().startswith(f"all {r.statistics['evaluated']} expectations passed")
    assert "customer_id" in r.summary()
    assert r.duration_s > 0


# ------------------------------------------------------------------------------------------------ defects


def _set(df: pd.DataFrame, col: str, rows: list[int], values: list[Any]) -> pd.DataFrame:
    df[col] = df[col].astype(object if isinstance(values[0], str) or values[0] is None else float)
    df.loc[rows, col] = values
    return df


DEFECTS = {
    "missing_column": (lambda df: df.drop(columns=["has_autopay"]), "has_autopay", "is missing"),
    "wrong_dtype": (lambda df: _set(df, "age", [3, 4], ["abc", "n/a"]), "age", "dtype object"),
    "all_null": (lambda df: df.assign(avg_session_minutes=np.nan), "avg_session_minutes", "entirely null"),
    "mostly_null": (
        lambda df: _set(
            df, "payment_method", list(df.index[: len(df) * 2 // 3]), [None] * (len(df) * 2 // 3)
        ),
        "payment_method",
        "are null",
    ),
    "null_in_non_nullable": (lambda df: _set(df, "contract_type", [7], [None]), "contract_type", "are null"),
    "infinite": (
        lambda df: _set(df, "total_charges", [5, 6], [np.inf, -np.inf]),
        "total_charges",
        "infinite",
    ),
    "out_of_range": (
        lambda df: _set(df, "tenure_months", [1, 2], [-5.0, 999.0]),
        "tenure_months",
        "outside [0, 240], e.g. [-5, 999]",
    ),
    "unseen_category": (lambda df: _set(df, "region", [8], ["mars"]), "region", "e.g. ['mars']"),
    "single_class": (lambda df: df.assign(churned=0), "churned", "both classes must be present"),
    "null_target": (lambda df: _set(df, "churned", [9], [np.nan]), "churned", "are null"),
    "duplicate_column": (
        lambda df: pd.concat([df, df[["num_products"]]], axis=1),
        "num_products",
        "appears 2 times",
    ),
    "too_few_rows": (lambda df: df.head(100), None, "table has 100 rows, expected at least 500"),
}


# Defects on distinct columns share a GX run (~1.5 s each); at most 5 failures per group, so summary()
# lists them all. The too-few-rows cut goes first so that row-based corruptions land in the kept rows.
GROUPS = [
    ("missing_column", "wrong_dtype", "out_of_range"),
    ("all_null", "null_in_non_nullable", "infinite"),
    ("unseen_category", "single_class", "duplicate_column"),
    ("too_few_rows", "mostly_null", "null_target"),
]


def test_groups_cover_every_defect() -> None:
    assert sorted(d for g in GROUPS for d in g) == sorted(DEFECTS)


@pytest.mark.parametrize("group", GROUPS, ids=["+".join(g) for g in GROUPS])
def test_each_defect_fails_naming_its_column(churn: ModelConfig, group: tuple[str, ...]) -> None:
    df = valid_frame(churn)
    for defect in group:
        df = DEFECTS[defect][0](df)
    r = validation.validate_dataframe(churn, df, "bad-" + "-".join(group))
    assert not r.success
    summary = r.summary()
    assert " more" not in summary, summary
    for defect in group:
        _, column, text = DEFECTS[defect]
        assert text in summary, (defect, summary)
        if column is not None:
            assert f"column {column!r}" in summary, (defect, summary)
    # each defect is reported on its own column only: no collateral failures elsewhere
    assert failing_columns(r) == {DEFECTS[d][1] for d in group}, summary
    assert not any("could not be evaluated" in f["message"] for f in r.failures)
    assert r.statistics["unsuccessful"] == len(r.failures)
    skipped = [(c["column"], c["expectation"]) for c in r.checks if c["status"] == "skipped"]
    assert r.statistics["skipped"] == len(skipped)
    if "missing_column" in group:  # checks on a missing or non-numeric column are skipped, not errors
        assert ("has_autopay", "expect_column_values_to_be_in_set") in skipped
        assert skipped.count(("age", "expect_column_values_to_be_between")) == 2  # finite + range
        assert ("age", "expect_column_values_to_not_be_null") not in skipped  # works on any dtype
    assert summary.startswith(f"{len(r.failures)} of {r.statistics['evaluated']} expectations failed")


def _many_defects(churn: ModelConfig) -> validation.ValidationResult:
    df = valid_frame(churn)
    df["tenure_months"] = df["tenure_months"].astype(float)
    df.loc[:49, "tenure_months"] = np.arange(1000.0, 1050.0)  # 50 distinct bad values
    df["total_charges"] = df["total_charges"].astype(float)
    df.loc[0, "total_charges"] = np.inf
    df.loc[1, "monthly_charges"] = np.nan
    df["region"] = df["region"].astype(object)
    df.loc[2, "region"] = "<script>alert(1)</script>"
    df = df.drop(columns=["plan_tier"]).assign(churned=1)
    return validation.validate_dataframe(churn, df, "snap<&>")


def test_as_dict_is_json_safe_and_small_and_report_escapes(churn: ModelConfig) -> None:
    r = _many_defects(churn)
    payload = r.as_dict()
    text = json.dumps(payload, allow_nan=False)
    assert len(text) < 40_000
    assert set(payload) >= {
        "model",
        "snapshot_id",
        "success",
        "statistics",
        "failures",
        "checks",
        "duration_s",
    }
    assert payload["success"] is False
    assert set(payload["statistics"]) >= {"evaluated", "successful", "unsuccessful", "success_percent"}
    tenure = next(f for f in payload["failures"] if f["column"] == "tenure_months")
    assert len(tenure["details"]["examples"]) == messages.MAX_SAMPLES
    assert tenure["details"]["unexpected_count"] == 50
    inf = next(f for f in payload["failures"] if f["column"] == "total_charges")
    assert inf["details"]["examples"] == ["inf"]
    for f in payload["failures"]:
        assert set(f) == {"expectation", "column", "message", "details"}
        assert f["column"] is None or f"'{f['column']}'" in f["message"]
    assert "; and " in r.summary() and " more" in r.summary()

    page = report.render_report_html(r)
    assert page.startswith("<!DOCTYPE html>")
    assert "<script>" not in page
    assert "&lt;script&gt;" in page
    assert "snap&lt;&amp;&gt;" in page
    assert "FAILED" in page
    assert page.count("<tr class='failed'>") == len(r.failures)


def test_report_of_passing_run(churn_ok: validation.ValidationResult) -> None:
    page = report.render_report_html(churn_ok)
    assert "churn / 2024-01-01" in page and "PASSED" in page
    assert page.count("<tr class='passed'>") == len(churn_ok.checks)
    assert "customer_id" in page
    assert "http" not in page  # self-contained: no external assets


def test_report_escapes_handmade_result() -> None:
    r = validation.ValidationResult(
        model="m<1>",
        snapshot_id='"x"&y',
        success=False,
        statistics={"evaluated": 1, "successful": 0, "unsuccessful": 1, "success_percent": 0.0},
        failures=[{"expectation": "e", "column": "<c>", "message": "<b>bad</b>", "details": {}}],
        checks=[
            {
                "expectation": "e",
                "column": "<c>",
                "description": "<i>d</i>",
                "success": False,
                "status": "failed",
                "message": "<b>bad</b>",
                "why": "<u>w</u>",
                "source": "config",
            }
        ],
        duration_s=0.1,
    )
    page = report.render_report_html(r)
    for raw in ("<b>", "<i>", "<u>", "<c>", "m<1>", '"x"&y'):
        assert raw not in page
    assert "&lt;b&gt;bad&lt;/b&gt;" in page and "m&lt;1&gt;" in page
    assert r.summary() == "1 of 1 expectations failed: <b>bad</b>"


# --------------------------------------------------------------------------- generated data (datagen)

CORRUPTION_COLUMNS = {
    "nulls": {"contract_type"},
    "out_of_range": {"age", "monthly_charges"},
    "unknown_category": {"region"},
    "drop_column": {"tenure_months"},
    "wrong_dtype": {"tenure_months"},
    "single_class": {"churned"},
}


@pytest.mark.parametrize("corruption", [None, *CORRUPTION_COLUMNS])
def test_generated_churn_passes_clean_and_fails_each_corruption(
    churn: ModelConfig, corruption: str | None
) -> None:
    from airflow_champion_demo import datagen

    assert set(CORRUPTION_COLUMNS) == set(datagen.CORRUPTIONS)
    df = datagen.generate_churn(rows=1000, seed=3, corruption=corruption)
    r = validation.validate_dataframe(churn, df, f"gen-{corruption}")
    if corruption is None:
        assert r.success, r.summary()
        return
    assert not r.success
    assert failing_columns(r) == CORRUPTION_COLUMNS[corruption], r.summary()
    assert not any("could not be evaluated" in f["message"] for f in r.failures)
    if corruption in ("drop_column", "wrong_dtype"):  # churn.yaml's median check is skipped, not an error
        median = next(c for c in r.checks if c["expectation"] == "expect_column_median_to_be_between")
        assert median["status"] == "skipped"
    for column in CORRUPTION_COLUMNS[corruption]:
        assert f"column {column!r}" in r.summary()


def test_generated_breast_cancer_passes(bc: ModelConfig) -> None:
    from airflow_champion_demo import datagen

    r = validation.validate_dataframe(bc, datagen.generate_breast_cancer(seed=3), "gen-bc")
    assert r.success, r.summary()


def test_a_suite_next_to_the_configs_wins_and_no_suite_is_fine(
    bc: ModelConfig, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A user's configs folder carries its suites (`expectations/`); a config may have none."""
    from airflow_champion.validation.suite_file import suite_path

    monkeypatch.setenv("MLOPS_CONFIG_DIR", str(tmp_path))
    assert suite_path(bc) is not None and suite_path(bc).parent.name == "expectations"  # the shipped one
    mine = tmp_path / "expectations" / "breast_cancer.yaml"
    mine.parent.mkdir()
    mine.write_text("expectations: []\n")
    assert suite_path(bc) == mine and not [
        s for s in suite.build_suite_spec(bc) if "suite" in s["meta"]["source"]
    ]
    bare = bc.model_copy(update={"validation": ValidationSpec(min_rows=10)})
    assert suite_path(bare) is None and suite.build_suite_spec(bare)  # the config's own expectations
    missing = bc.model_copy(update={"validation": ValidationSpec(suite="nowhere.yaml", min_rows=10)})
    with pytest.raises(ConfigError, match=str(tmp_path / "expectations" / "nowhere.yaml")):
        suite.build_suite_spec(missing)
