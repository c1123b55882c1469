#!/usr/bin/env bash
# Mounted into the postgres service as /docker-entrypoint-initdb.d/10-mlflow.sh.
# Runs ONCE, when the postgres-db volume is initialised: creates MLflow's own role and database next to
# Airflow's (the image creates POSTGRES_DB for Airflow itself). Credentials come only from the
# environment of the postgres service (docker-compose.yaml); nothing here has a default.
# Changing MLFLOW_DB_PASSWORD later needs `docker compose down -v` (or ALTER ROLE by hand).
# No `set -u`: if this file lost its executable bit, the image's entrypoint sources it instead of
# running it, and -u would leak into the entrypoint's own shell.
set -eo pipefail

: "${MLFLOW_DB_USER:?MLFLOW_DB_USER is not set}"
: "${MLFLOW_DB_PASSWORD:?MLFLOW_DB_PASSWORD is not set}"
: "${MLFLOW_DB_NAME:?MLFLOW_DB_NAME is not set}"

# psql variables (:"ident" / :'literal') quote the values, so no shell or SQL injection through them.
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
    --set=mlflow_user="$MLFLOW_DB_USER" \
    --set=mlflow_password="$MLFLOW_DB_PASSWORD" \
    --set=mlflow_db="$MLFLOW_DB_NAME" <<'SQL'
CREATE ROLE :"mlflow_user" LOGIN PASSWORD :'mlflow_password';
CREATE DATABASE :"mlflow_db" OWNER :"mlflow_user";
SQL
echo "postgres-init: created role and database for MLflow"
