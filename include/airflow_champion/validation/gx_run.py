"""Running expectations through Great Expectations: an ephemeral context, nothing written to disk."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from airflow_champion.validation.messages import MAX_SAMPLES
from airflow_champion.validation.suite_file import expectation_class, gx_module

if TYPE_CHECKING:
    import pandas as pd


def run_expectations(specs: list[dict[str, Any]], df: pd.DataFrame) -> dict[int, Any]:
    """Run the expectations through an ephemeral GX context; results keyed by their index in `specs`."""
    gx = gx_module()
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    tag = uuid.uuid4().hex[:8]
    batch_def = (
        context.data_sources.add_pandas(f"snapshot-{tag}")
        .add_dataframe_asset("frame")
        .add_batch_definition_whole_dataframe("whole")
    )
    expectations = []
    for i, spec in enumerate(specs):
        cls = expectation_class(spec["expectation"])
        assert cls is not None, spec["expectation"]  # build_suite_spec guarantees it
        expectations.append(cls(**spec["kwargs"], meta={"spec_index": i}))
    # passed to the constructor, not add_expectation(): that one drops look-alike duplicates (a suite
    # file repeating a config check would lose its result) and compares every pair (quadratic)
    suite = context.suites.add(gx.ExpectationSuite(name=f"suite-{tag}", expectations=expectations))
    vd = context.validation_definitions.add(
        gx.ValidationDefinition(data=batch_def, suite=suite, name=f"vd-{tag}")
    )
    run = vd.run(
        batch_parameters={"dataframe": df},
        result_format={"result_format": "SUMMARY", "partial_unexpected_count": MAX_SAMPLES},
    )
    return {int(r.expectation_config.meta["spec_index"]): r for r in run.results}
