"""airflow-champion: scikit-learn models from raw data snapshots to a promoted MLflow champion.

The core library (this package, minus `operators` and `sensors`) imports no Airflow: the same code runs
in an Airflow task, the `mlops` CLI and a KubernetesPodOperator pod. Stage subpackages, lowest first:
`config`, `data`, `registry`, `modeling`, `validation`, `evaluation`, `monitoring`, `pipeline`, with
`reports` (templates, the JSON encoder, number formatting) used by all. See docs/architecture.md.
"""

from __future__ import annotations

__version__ = "0.2.0"
