#!/usr/bin/env bash
# mypy over the package as it is installed: `airflow_champion` is include/airflow_champion with
# operators/ and sensors/ mapped in as `airflow_champion.operators` / `.sensors` (pyproject's
# package-dir). mypy cannot follow that mapping (nor symlinked folders), so it checks a copy laid out
# as installed, plus dags/ and plugins/, and prints the errors with the repository's own paths.
set -euo pipefail
cd "$(dirname "$0")/.."
mirror=.typecheck
rm -rf "$mirror/airflow_champion" "$mirror/airflow_champion_demo"
mkdir -p "$mirror"
cp -r include/airflow_champion include/airflow_champion_demo "$mirror/"
cp -r operators "$mirror/airflow_champion/operators"
cp -r sensors "$mirror/airflow_champion/sensors"
set +e
MYPYPATH="$mirror" .venv/bin/mypy "$mirror/airflow_champion" "$mirror/airflow_champion_demo" dags plugins "$@" \
  | sed -e "s|^$mirror/airflow_champion/operators/|operators/|" -e "s|^$mirror/airflow_champion/sensors/|sensors/|" \
        -e "s|^$mirror/|include/|"
exit "${PIPESTATUS[0]}"
