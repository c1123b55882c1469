# syntax=docker/dockerfile:1
#
# One image for everything that runs this project's code:
#   * every Airflow component of docker-compose.yaml (api-server, scheduler, dag-processor, triggerer,
#     celery worker, airflow-init),
#   * the MLflow tracking server of docker-compose.yaml (same Python environment: mlflow, psycopg2, boto3),
#   * the KubernetesPodOperator image of `execution.mode: kubernetes` (config/schema.py's execution.image defaults to
#     `airflow-champion:latest`), which runs the `mlops` CLI with `cmds=["mlops", ...]`.
#
# The Airflow version of the base image MUST equal the apache-airflow pin in requirements.lock
# (tests/lint/test_compose.py checks it). The "slim" variant ships only Airflow core and its
# preinstalled providers, so after installing requirements.lock the image holds exactly the locked
# set that `make test` runs against, and `pip check` below can be strict.
FROM apache/airflow:slim-3.3.2-python3.11

# The base image's default user is `airflow` (uid 50000, gid 0); install as that user, never as root.
USER airflow
WORKDIR /opt/airflow

# 1. Locked third-party dependencies first (a layer that changes only when the lock changes).
#    requirements.lock pins every distribution, including apache-airflow itself; naming
#    apache-airflow==${AIRFLOW_VERSION} (set by the base image) as well makes pip fail instead of
#    silently replacing the base image's Airflow if the lock and the base tag ever disagree.
COPY --chown=airflow:0 requirements.lock /tmp/requirements.lock
RUN pip install --no-cache-dir "apache-airflow==${AIRFLOW_VERSION}" -r /tmp/requirements.lock

# 2. The project. The repository layout is kept under AIRFLOW_HOME (/opt/airflow): dags/ and plugins/
#    are Airflow's default dags and plugins folders; the package `airflow_champion` (include/, with
#    operators/ and sensors/ mapped in) is installed in editable mode so that PROJECT_ROOT
#    (include/airflow_champion/settings.py) is /opt/airflow, as in a checkout.
#    --no-deps: every dependency came from the lock above. --no-build-isolation: build with the
#    locked setuptools instead of downloading a fresh one.
COPY --chown=airflow:0 pyproject.toml README.md ./
COPY --chown=airflow:0 include/ include/
COPY --chown=airflow:0 operators/ operators/
COPY --chown=airflow:0 sensors/ sensors/
COPY --chown=airflow:0 dags/ dags/
COPY --chown=airflow:0 plugins/ plugins/
RUN pip install --no-cache-dir --no-deps --no-build-isolation -e . \
    && pip check \
    && mlops --help >/dev/null \
    && mlops check-config

# Mount points of the compose stack's named volumes. Creating them here (owned by airflow:0) makes a
# fresh named volume inherit that ownership, so no container has to run as root to chown them.
#   /opt/airflow/mlops  MLOPS_HOME: local snapshots, reports, state shared by scheduler/worker/triggerer
#   /opt/airflow/auth   the simple auth manager's password file (written by airflow-init)
RUN mkdir -p /opt/airflow/mlops /opt/airflow/auth /opt/airflow/logs

# Recorded as lineage on every MLflow run (include/airflow_champion/settings.py: code_version()); the image has no .git.
# Declared last so that a new value does not invalidate the pip layers above.
# Build with: MLOPS_CODE_VERSION=$(git rev-parse --short=12 HEAD) docker compose build
ARG MLOPS_CODE_VERSION=unknown
ENV MLOPS_CODE_VERSION=${MLOPS_CODE_VERSION}

# ENTRYPOINT/CMD stay the base image's (/usr/bin/dumb-init -- /entrypoint): docker-compose.yaml passes
# Airflow sub-commands; the MLflow service and KubernetesPodOperator pods override the entrypoint.
