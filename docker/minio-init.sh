#!/bin/sh
# One-shot `minio-init` service (minio/mc image): creates the buckets and the application's own access
# key, then exits 0. Idempotent: safe on every `docker compose up`.
#   MINIO_BUCKETS         space-separated bucket names (docker-compose.yaml: "mlops mlflow")
#   MINIO_ROOT_*          admin credentials, used only here and by the minio service itself
#   MINIO_APP_*           the key Airflow tasks and the MLflow server use (policy: readwrite)
set -eu

: "${MINIO_ENDPOINT:?MINIO_ENDPOINT is not set}"
: "${MINIO_ROOT_USER:?MINIO_ROOT_USER is not set}"
: "${MINIO_ROOT_PASSWORD:?MINIO_ROOT_PASSWORD is not set}"
: "${MINIO_APP_ACCESS_KEY:?MINIO_APP_ACCESS_KEY is not set}"
: "${MINIO_APP_SECRET_KEY:?MINIO_APP_SECRET_KEY is not set}"
: "${MINIO_BUCKETS:?MINIO_BUCKETS is not set}"

mc alias set local "$MINIO_ENDPOINT" "$MINIO_ROOT_USER" "$MINIO_ROOT_PASSWORD" >/dev/null

for bucket in $MINIO_BUCKETS; do
    mc mb --ignore-existing "local/$bucket"
done

# `user add` on an existing user only updates its secret, so a changed MINIO_APP_SECRET_KEY takes effect.
mc admin user add local "$MINIO_APP_ACCESS_KEY" "$MINIO_APP_SECRET_KEY" >/dev/null
if ! mc admin policy attach local readwrite --user "$MINIO_APP_ACCESS_KEY" >/dev/null 2>&1; then
    # attach fails when the policy is already attached; anything else is a real error
    mc admin user info local "$MINIO_APP_ACCESS_KEY" | grep -q readwrite \
        || { echo "minio-init: could not attach policy readwrite to $MINIO_APP_ACCESS_KEY" >&2; exit 1; }
fi
echo "minio-init: buckets [$MINIO_BUCKETS] and access key $MINIO_APP_ACCESS_KEY ready"
