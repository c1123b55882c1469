"""DAG parse time and modules loaded with 1, 10 and 50 model configs (target: <= 0.2 s for 50, no
heavy library loaded), each parse a fresh process as the dag-processor's file processors are."""

from __future__ import annotations

from typing import Any

from harness import BENCH, BIN, REPO, Scale, base_env, bench_home, figure, log, measure, write_config

WORKER = BENCH / "workers" / "parse.py"
DAG_FILE = REPO / "dags" / "mlops_models.py"


def run(scale: Scale, repeat: int) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    for n in scale.parse_models:
        with bench_home(f"parse{n}") as home:
            for i in range(n):  # the churn config under n names: n models' worth of DAGs
                write_config(home / "configs", "churn", name=f"churn_{i:02d}", scale=scale)
            env = base_env(home, home / "configs")
            for mode in ("importlib", "dagbag"):
                cmd = [
                    str(BIN / "python"),
                    str(WORKER),
                    str(DAG_FILE),
                    *(["--dagbag"] if mode == "dagbag" else []),
                ]
                runs = [measure(cmd, env=env).check() for _ in range(repeat)]
                docs = [r.json() for r in runs]
                parse = sorted(d["parse_s"] for d in docs)
                fig = figure(runs, models=n, mode=mode)
                fig.update(
                    parse_median_s=parse[len(parse) // 2],
                    parse_runs=[d["parse_s"] for d in docs],
                    dags=docs[0]["dags"],
                    import_errors=docs[0]["import_errors"],
                    modules_loaded_by_file=docs[0]["modules_loaded_by_file"],
                    heavy_in_sys_modules=docs[0]["heavy_in_sys_modules"],
                    heavy_loaded_by_file=docs[0]["heavy_loaded_by_file"],
                    airflow_import_s=docs[0]["airflow_import_s"],
                )
                figures[f"parse_{mode}_{n}_models"] = fig
                log(f"parsing {mode} {n} models: {fig['parse_median_s']} s, {fig['dags']} DAGs")
    return {"figures": figures}


def targets(result: dict[str, Any]) -> list[dict[str, Any]]:
    figs = result["figures"]
    biggest = max((f for f in figs.values() if f["mode"] == "importlib"), key=lambda f: f["models"])
    return [
        {
            "target": f"DAG parse of {biggest['models']} models <= 0.2 s",
            "measured": biggest["parse_median_s"],
            "met": biggest["parse_median_s"] <= 0.2 and biggest["models"] >= 50,
        },
        {
            "target": "no pandas/numpy/sklearn/mlflow/great_expectations/evidently/boto3 after parsing",
            "measured": biggest["heavy_in_sys_modules"],
            "met": not biggest["heavy_in_sys_modules"],
        },
    ]
