#!/usr/bin/env bash
# One-shot `airflow-init` service: runs before every other Airflow component (they depend on it with
# condition: service_completed_successfully). Idempotent: safe on every `docker compose up`.
#   1. migrates the Airflow metadata database,
#   2. writes the simple auth manager's password file for the admin user (from the environment),
#   3. checks that the connections given by environment variables parse (AIRFLOW_CONN_AWS_DEFAULT),
#   4. checks the model configs with the project's own CLI.
set -euo pipefail

: "${AIRFLOW_ADMIN_USERNAME:?AIRFLOW_ADMIN_USERNAME is not set}"
: "${AIRFLOW_ADMIN_PASSWORD:?AIRFLOW_ADMIN_PASSWORD is not set}"
: "${AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE:?AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE is not set}"
: "${MLOPS_HOME:?MLOPS_HOME is not set}"

echo "== airflow version"
airflow version

echo "== airflow db migrate"
airflow db migrate

echo "== simple auth manager: password of user ${AIRFLOW_ADMIN_USERNAME}"
python - <<'PY'
import json
import os
import tempfile

path = os.environ["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"]
folder = os.path.dirname(path)
os.makedirs(folder, exist_ok=True)
passwords = {os.environ["AIRFLOW_ADMIN_USERNAME"]: os.environ["AIRFLOW_ADMIN_PASSWORD"]}
fd, tmp = tempfile.mkstemp(dir=folder, prefix=".passwords.")
with os.fdopen(fd, "w") as fh:
    json.dump(passwords, fh)
    fh.write("\n")
os.chmod(tmp, 0o600)
os.replace(tmp, path)
print(f"wrote {path}")
PY

echo "== connections from the environment"
python - <<'PY'
import os

from airflow.models.connection import Connection

conn = Connection.get_connection_from_secrets("aws_default")
endpoint = conn.extra_dejson.get("endpoint_url")
if conn.conn_type != "aws" or not conn.login or endpoint != os.environ["MLOPS_S3_ENDPOINT_URL"]:
    raise SystemExit(
        f"aws_default: conn_type={conn.conn_type!r}, login set={bool(conn.login)}, endpoint_url={endpoint!r}"
        f" (expected aws, a login, {os.environ['MLOPS_S3_ENDPOINT_URL']!r})"
    )
print(f"aws_default -> {endpoint}")
PY

echo "== model configs"
mkdir -p "${MLOPS_HOME}"
mlops check-config

echo "airflow-init: done"
