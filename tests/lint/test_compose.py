"""Static checks of the local docker-compose stack (docker-compose.yaml, Dockerfile, docker/, README).

No Docker needed: the files are parsed and cross-checked against each other and against what the
package actually reads (include/airflow_champion/settings.py), so that a renamed variable, a wrong port
or a bucket that nobody creates fails here instead of at `docker compose up`.
"""

from __future__ import annotations

import ast
import fnmatch
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
import yaml

pytestmark = pytest.mark.lint

REPO = Path(__file__).resolve().parents[2]
COMPOSE = REPO / "docker-compose.yaml"
README_SECTION = "## Running on docker-compose (local stack)"

AIRFLOW_SERVICES = {
    "airflow-init": None,
    "airflow-apiserver": "api-server",
    "airflow-scheduler": "scheduler",
    "airflow-dag-processor": "dag-processor",
    "airflow-triggerer": "triggerer",
    "airflow-worker": "celery worker",
}
REQUIRED_SERVICES = {"postgres", "redis", "minio", "minio-init", "mlflow", *AIRFLOW_SERVICES}
ONE_SHOT_SERVICES = {"airflow-init", "minio-init"}

# ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:?err} ... but not the escaped $${NAME}
VAR_RE = re.compile(r"(?<!\$)\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?+])(?P<default>[^}]*))?\}")
CREDENTIAL_RE = re.compile(r"PASSWORD|SECRET|_USER$|USERNAME|ACCESS_KEY|FERNET")


# ----------------------------------------------------------------------------------------------- helpers


def expand(value: str) -> str:
    """The value Compose would use without an .env file: every ${VAR:-default} replaced by its default."""
    return VAR_RE.sub(lambda m: m.group("default") or "", value).replace("$$", "$")


def var_names(value: str) -> str:
    """Every ${VAR:-default} replaced by VAR, to compare which variable feeds which place."""
    return VAR_RE.sub(lambda m: m.group("name"), value)


def strings_in(node: Any) -> list[str]:
    """Every string scalar (keys and values) of a parsed YAML tree: comments are not part of it."""
    if isinstance(node, dict):
        return [s for k, v in node.items() for s in (*strings_in(k), *strings_in(v))]
    if isinstance(node, list):
        return [s for item in node for s in strings_in(item)]
    return [node] if isinstance(node, str) else []


def as_argv(command: str | list[str] | None) -> list[str]:
    if command is None:
        return []
    return command.split() if isinstance(command, str) else [str(c) for c in command]


def option(argv: list[str], name: str) -> str:
    assert name in argv, f"{name} missing from {argv}"
    return argv[argv.index(name) + 1]


def env_of(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    assert isinstance(env, dict), "write environment as a mapping, not a list"
    return {str(k): str(v) for k, v in env.items()}


def readme_section() -> str:
    text = (REPO / "README.md").read_text()
    assert README_SECTION in text, f"README.md has no section {README_SECTION!r}"
    body = text.split(README_SECTION, 1)[1]
    return body.split("\n## ", 1)[0]


def readme_table(text: str) -> dict[str, str]:
    """`| `NAME` | `default` | ... |` rows -> {NAME: default}; "(empty)" is the empty string."""
    rows = {}
    for m in re.finditer(r"^\| `(?P<name>[A-Z][A-Z0-9_]*)` \| (?P<default>[^|]*?) \|", text, re.M):
        cell = m.group("default").strip()
        rows[m.group("name")] = "" if cell == "(empty)" else cell.strip("`")
    return rows


def settings_env_names() -> set[str]:
    """Names include/airflow_champion/settings.py reads with os.environ.get / os.environ[...] / os.getenv."""
    tree = ast.parse((REPO / "include" / "airflow_champion" / "settings.py").read_text())
    names = set()
    for node in ast.walk(tree):
        key: ast.expr | None = None
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.args:
            target = ast.unparse(node.func.value)
            if (target, node.func.attr) in {("os.environ", "get"), ("os", "getenv")}:
                key = node.args[0]
        elif isinstance(node, ast.Subscript) and ast.unparse(node.value) == "os.environ":
            key = node.slice
        if isinstance(key, ast.Constant) and isinstance(key.value, str):
            names.add(key.value)
    return names


# -------------------------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def compose_text() -> str:
    return COMPOSE.read_text()


@pytest.fixture(scope="module")
def compose(compose_text: str) -> dict[str, Any]:
    data = yaml.safe_load(compose_text)
    assert isinstance(data, dict)
    return data


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return compose["services"]


@pytest.fixture(scope="module")
def common(compose: dict[str, Any]) -> dict[str, Any]:
    assert "x-airflow-common" in compose, "the x-airflow-common anchor is gone"
    return compose["x-airflow-common"]


@pytest.fixture(scope="module")
def common_env(common: dict[str, Any]) -> dict[str, str]:
    return env_of(common)


@pytest.fixture(scope="module")
def variables(compose: dict[str, Any]) -> dict[str, set[str | None]]:
    """Every interpolated variable -> the set of defaults it is given (None: no default)."""
    found: dict[str, set[str | None]] = {}
    for s in strings_in(compose):
        for m in VAR_RE.finditer(s):
            default = m.group("default") if m.group("op") in {":-", "-"} else None
            found.setdefault(m.group("name"), set()).add(default)
    return found


@pytest.fixture(scope="module")
def dockerfile() -> str:
    return (REPO / "Dockerfile").read_text()


# ------------------------------------------------------------------------------------ services, health


def test_required_services_exist(services: dict[str, Any]) -> None:
    missing = REQUIRED_SERVICES - set(services)
    assert not missing, f"services missing from docker-compose.yaml: {sorted(missing)}"


def test_long_running_services_have_healthchecks(services: dict[str, Any]) -> None:
    long_running = [n for n, s in services.items() if n not in ONE_SHOT_SERVICES and not s.get("profiles")]
    assert set(long_running) >= REQUIRED_SERVICES - ONE_SHOT_SERVICES
    for name in long_running:
        hc = services[name].get("healthcheck") or {}
        assert hc.get("test") and not hc.get("disable"), f"{name} has no healthcheck"
        assert hc["test"][0] in {"CMD", "CMD-SHELL"}, f"{name}: healthcheck test must be CMD or CMD-SHELL"
        assert services[name].get("restart") in {"always", "unless-stopped"}, f"{name} is not restarted"


def test_one_shot_services_are_not_restarted(services: dict[str, Any]) -> None:
    for name in ONE_SHOT_SERVICES:
        assert services[name].get("restart") == "no", f"{name} runs once: restart must be 'no'"


def test_dependencies_wait_for_health_or_completion(services: dict[str, Any]) -> None:
    for name, svc in services.items():
        deps = svc.get("depends_on") or {}
        assert isinstance(deps, dict), f"{name}: depends_on must name a condition for each dependency"
        for dep, spec in deps.items():
            assert dep in services, f"{name} depends on unknown service {dep}"
            expected = "service_completed_successfully" if dep in ONE_SHOT_SERVICES else "service_healthy"
            assert spec.get("condition") == expected, f"{name} -> {dep}: condition must be {expected}"
    for name in set(AIRFLOW_SERVICES) - {"airflow-init"}:
        deps = services[name]["depends_on"]
        assert deps.get("airflow-init", {}).get("condition") == "service_completed_successfully", name
    assert "minio-init" in services["mlflow"]["depends_on"], "mlflow needs its bucket"
    assert "postgres" in services["mlflow"]["depends_on"], "mlflow needs its database"


def test_published_ports_are_bound_to_localhost(services: dict[str, Any]) -> None:
    published = 0
    for name, svc in services.items():
        for port in svc.get("ports") or []:
            published += 1
            assert isinstance(port, str) and port.startswith("127.0.0.1:"), (
                f"{name} publishes {port!r}: LOCAL USE ONLY defaults must not be reachable from the network"
            )
    assert published >= 3  # Airflow, MLflow, MinIO


def test_bind_mounted_files_exist(services: dict[str, Any]) -> None:
    mounted = []
    for name, svc in services.items():
        for volume in svc.get("volumes") or []:
            source = volume.split(":", 1)[0]
            if source.startswith("."):
                mounted.append(source)
                assert (REPO / source).is_file(), f"{name} mounts {source}, which does not exist"
    assert {"./docker/airflow-init.sh", "./docker/minio-init.sh", "./docker/postgres-init.sh"} <= set(mounted)


# ------------------------------------------------------------------------------------------ Airflow


def test_airflow_services_share_the_common_config(
    services: dict[str, Any], common: dict[str, Any], common_env: dict[str, str]
) -> None:
    common_volumes = set(common["volumes"])
    for name, command in AIRFLOW_SERVICES.items():
        svc = services[name]
        env = env_of(svc)
        differing = {k for k, v in common_env.items() if env.get(k) != v}
        assert not differing, f"{name} does not have the common value of {sorted(differing)}"
        assert svc["image"] == common["image"] and svc["build"] == common["build"], name
        assert common_volumes <= set(svc.get("volumes") or []), f"{name} lacks a common volume"
        if command is not None:
            assert " ".join(as_argv(svc.get("command"))) == command, f"{name} must run `airflow {command}`"


def test_executor_is_celery_with_a_redis_broker(services: dict[str, Any], common_env: dict[str, str]) -> None:
    assert common_env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
    broker = urlparse(expand(common_env["AIRFLOW__CELERY__BROKER_URL"]))
    assert (broker.scheme, broker.hostname, broker.port) == ("redis", "redis", 6379)
    assert broker.password == expand("${REDIS_PASSWORD:-redis}")
    assert "--requirepass" in as_argv(services["redis"]["command"])
    backend = urlparse(expand(common_env["AIRFLOW__CELERY__RESULT_BACKEND"]))
    assert (backend.scheme, backend.hostname) == ("db+postgresql", "postgres")
    db = urlparse(expand(common_env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]))
    assert db.hostname == "postgres" and db.path == "/airflow"
    postgres = env_of(services["postgres"])
    assert postgres["POSTGRES_DB"] == "airflow"
    for key in ("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", "AIRFLOW__CELERY__RESULT_BACKEND"):
        url = urlparse(var_names(common_env[key]))
        assert (url.username, url.password) == (
            var_names(postgres["POSTGRES_USER"]),
            var_names(postgres["POSTGRES_PASSWORD"]),
        ), f"{key} does not use the postgres service's credentials"


def test_execution_api_url_points_at_the_api_server(
    services: dict[str, Any], common_env: dict[str, str]
) -> None:
    url = urlparse(common_env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"])
    assert url.hostname == "airflow-apiserver" and url.hostname in services
    assert url.path == "/execution/"
    api = services["airflow-apiserver"]
    assert any(p.endswith(f":{url.port}") for p in api["ports"]), "execution API port is not the api-server's"
    assert f"localhost:{url.port}/" in " ".join(api["healthcheck"]["test"])


def test_components_share_their_secrets(common_env: dict[str, str]) -> None:
    # JWTs of the execution API and log-server tokens are signed by one component and checked by another:
    # a per-container random default breaks task execution, so these must come from the common env.
    for key in ("AIRFLOW__API_AUTH__JWT_SECRET", "AIRFLOW__API__SECRET_KEY", "AIRFLOW__CORE__FERNET_KEY"):
        assert key in common_env, f"{key} must be set once for all Airflow components"
    assert len(expand(common_env["AIRFLOW__API_AUTH__JWT_SECRET"])) >= 32


def test_admin_password_file_is_shared_by_init_and_api_server(
    services: dict[str, Any], common_env: dict[str, str]
) -> None:
    assert common_env["AIRFLOW__CORE__AUTH_MANAGER"].endswith("SimpleAuthManager")
    user = common_env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS"]
    assert user == "${AIRFLOW_ADMIN_USERNAME:-admin}:admin"
    folder = str(Path(common_env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"]).parent)
    for name in ("airflow-init", "airflow-apiserver"):
        volumes = {v.split(":")[1]: v.split(":")[0] for v in services[name]["volumes"]}
        assert volumes.get(folder) == "airflow-auth", f"{name} must mount the airflow-auth volume on {folder}"
    init_env = env_of(services["airflow-init"])
    assert init_env["AIRFLOW_ADMIN_USERNAME"] == "${AIRFLOW_ADMIN_USERNAME:-admin}"
    assert "AIRFLOW_ADMIN_PASSWORD" in init_env
    assert "AIRFLOW_ADMIN_PASSWORD" not in common_env, "only airflow-init needs the admin password"


def test_airflow_init_script_migrates_and_writes_the_password_file(services: dict[str, Any]) -> None:
    init = services["airflow-init"]
    script_path = as_argv(init["entrypoint"])[-1]
    mounts = {v.split(":")[1]: v.split(":")[0] for v in init["volumes"]}
    script = (REPO / mounts[script_path]).read_text()
    assert "airflow db migrate" in script
    assert "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE" in script
    assert 'get_connection_from_secrets("aws_default")' in script
    assert "mlops check-config" in script


# ------------------------------------------------------------------------------------ MLflow, MinIO


def test_tracking_uri_points_at_the_mlflow_server(
    services: dict[str, Any], common_env: dict[str, str]
) -> None:
    mlflow = services["mlflow"]
    argv = as_argv(mlflow["command"])
    assert argv[0] == "server" and as_argv(mlflow["entrypoint"]) == ["mlflow"]
    port = option(argv, "--port")
    assert option(argv, "--host") == "0.0.0.0"
    uri = urlparse(common_env["MLFLOW_TRACKING_URI"])
    assert (uri.scheme, uri.hostname, str(uri.port)) == ("http", "mlflow", port)
    assert f"localhost:{port}/health" in " ".join(mlflow["healthcheck"]["test"])
    assert any(p.endswith(f":{port}") for p in mlflow["ports"])


def test_mlflow_accepts_the_host_header_of_the_tracking_uri(
    services: dict[str, Any], common_env: dict[str, str]
) -> None:
    # MLflow >= 3.5 rejects unknown Host headers (DNS-rebinding protection); "mlflow:5000" is not a
    # default, so without --allowed-hosts every call from an Airflow task gets a 403.
    allowed = option(as_argv(services["mlflow"]["command"]), "--allowed-hosts").split(",")
    for host in (urlparse(common_env["MLFLOW_TRACKING_URI"]).netloc, "localhost:5000"):
        assert any(fnmatch.fnmatch(host, a) if "*" in a else host == a for a in allowed), host


def test_mlflow_backend_store_is_the_database_postgres_creates(services: dict[str, Any]) -> None:
    uri = urlparse(var_names(env_of(services["mlflow"])["MLFLOW_BACKEND_STORE_URI"]))
    postgres = {k: var_names(v) for k, v in env_of(services["postgres"]).items()}
    assert (uri.scheme, uri.hostname, uri.port) == ("postgresql", "postgres", 5432)
    assert uri.username == postgres["MLFLOW_DB_USER"] == "MLFLOW_DB_USER"
    assert uri.password == postgres["MLFLOW_DB_PASSWORD"] == "MLFLOW_DB_PASSWORD"
    assert uri.path.lstrip("/") == postgres["MLFLOW_DB_NAME"]
    init = (REPO / "docker" / "postgres-init.sh").read_text()
    for var in ("MLFLOW_DB_USER", "MLFLOW_DB_PASSWORD", "MLFLOW_DB_NAME"):
        assert f"${{{var}:?" in init, f"postgres-init.sh must require {var}"
    assert any(
        v.endswith(":/docker-entrypoint-initdb.d/10-mlflow.sh:ro") for v in services["postgres"]["volumes"]
    )


def test_buckets_created_by_minio_init_are_the_ones_used(
    compose: dict[str, Any], services: dict[str, Any], common_env: dict[str, str]
) -> None:
    created = env_of(services["minio-init"])["MINIO_BUCKETS"].split()
    assert created, "minio-init creates no bucket"
    artifacts = urlparse(option(as_argv(services["mlflow"]["command"]), "--artifacts-destination"))
    assert artifacts.scheme == "s3" and artifacts.netloc in created
    used = {m for s in strings_in(compose) for m in re.findall(r"s3://([a-z0-9][a-z0-9.-]+)", s)}
    assert used <= set(created), f"buckets used but never created: {sorted(used - set(created))}"
    script = (REPO / "docker" / "minio-init.sh").read_text()
    assert (
        re.search(r"for bucket in \$MINIO_BUCKETS", script)
        and 'mc mb --ignore-existing "local/$bucket"' in script
    )
    section = readme_section()
    for bucket in created:
        assert f"`{bucket}`" in section, f"README does not say what bucket {bucket} is for"
    assert common_env["MLOPS_ARTIFACT_ROOT"].startswith("mlflow-artifacts:/"), "artifacts must go via MLflow"


def test_s3_endpoint_and_credentials_agree(services: dict[str, Any], common_env: dict[str, str]) -> None:
    minio_api = "http://minio:9000"
    assert any(p.endswith(":9000") for p in services["minio"]["ports"])
    assert common_env["MLOPS_S3_ENDPOINT_URL"] == minio_api
    mlflow_env = env_of(services["mlflow"])
    assert mlflow_env["MLFLOW_S3_ENDPOINT_URL"] == minio_api
    init_env = env_of(services["minio-init"])
    assert init_env["MINIO_ENDPOINT"] == minio_api
    key, secret = init_env["MINIO_APP_ACCESS_KEY"], init_env["MINIO_APP_SECRET_KEY"]
    for env in (common_env, mlflow_env):
        assert (env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"]) == (key, secret)
    minio_env = env_of(services["minio"])
    for var in ("MINIO_ROOT_USER", "MINIO_ROOT_PASSWORD"):
        assert init_env[var] == minio_env[var]
    assert len(expand(secret)) >= 8 and len(expand(minio_env["MINIO_ROOT_PASSWORD"])) >= 8  # MinIO minimum


def test_aws_default_connection_points_at_minio(common_env: dict[str, str]) -> None:
    conn = json.loads(expand(common_env["AIRFLOW_CONN_AWS_DEFAULT"]))
    assert conn["conn_type"] == "aws"
    assert conn["extra"]["endpoint_url"] == common_env["MLOPS_S3_ENDPOINT_URL"]
    assert conn["login"] == expand(common_env["AWS_ACCESS_KEY_ID"])
    assert conn["password"] == expand(common_env["AWS_SECRET_ACCESS_KEY"])
    from airflow_champion.config.schema import SnapshotSpec

    assert SnapshotSpec(root="x").aws_conn_id == "aws_default", "the configs' default connection id changed"


# ------------------------------------------------------------------------------ the package's settings


def test_every_setting_the_package_reads_is_set(
    services: dict[str, Any], common_env: dict[str, str], dockerfile: str
) -> None:
    read = settings_env_names()
    assert {"MLOPS_HOME", "MLFLOW_TRACKING_URI", "MLOPS_LOCK_URL"} <= read, f"parsed only {sorted(read)}"
    image_env = set(re.findall(r"^ENV\s+([A-Z_][A-Z0-9_]*)=", dockerfile, re.M))
    # MLFLOW_S3_ENDPOINT_URL is only a fallback of MLOPS_S3_ENDPOINT_URL in settings.s3_endpoint_url()
    fallbacks = {"MLFLOW_S3_ENDPOINT_URL"}
    unset = read - fallbacks - set(common_env) - image_env
    assert not unset, (
        f"include/airflow_champion/settings.py reads {sorted(unset)}, which the stack does not set"
    )
    assert "MLOPS_CODE_VERSION" in image_env


def test_every_project_variable_set_is_read_by_the_package(common_env: dict[str, str]) -> None:
    sources = "\n".join(
        p.read_text()
        for d in ("include", "operators", "sensors", "plugins", "dags")
        for p in (REPO / d).rglob("*.py")
    )
    ours = [k for k in common_env if k.startswith(("MLOPS_", "MLFLOW_"))]
    assert len(ours) >= 6
    unread = [k for k in ours if f'"{k}"' not in sources]
    assert not unread, f"set in docker-compose.yaml but read nowhere (typo?): {unread}"


def test_project_settings_have_usable_values(services: dict[str, Any], common_env: dict[str, str]) -> None:
    home = common_env["MLOPS_HOME"]
    for name in AIRFLOW_SERVICES:
        targets = {v.split(":")[1]: v.split(":")[0] for v in services[name]["volumes"]}
        assert targets.get(home) == "mlops-home", f"{name}: MLOPS_HOME must be the shared mlops-home volume"
    lock = urlparse(expand(common_env["MLOPS_LOCK_URL"]))
    assert lock.scheme in {"redis", "postgresql"} and lock.hostname in services, (
        "lock must be shared by workers"
    )
    ui = common_env["MLFLOW_UI_URL"]
    host_port = VAR_RE.search(ui)
    assert host_port and any(p == f"127.0.0.1:{host_port.group(0)}:5000" for p in services["mlflow"]["ports"])


# ----------------------------------------------------------------------------- credentials and README


def test_every_variable_has_one_default(variables: dict[str, set[str | None]]) -> None:
    assert variables, "no ${VAR} substitutions found"
    no_default = sorted(n for n, d in variables.items() if None in d)
    assert not no_default, f"without a default, `docker compose up` fails without .env: {no_default}"
    inconsistent = {n: sorted(d) for n, d in variables.items() if len(d) > 1}  # type: ignore[type-var]
    assert not inconsistent, f"one variable, different defaults: {inconsistent}"


def test_readme_lists_every_variable_with_its_default(variables: dict[str, set[str | None]]) -> None:
    section = readme_section()
    assert "LOCAL USE ONLY" in section and ".env" in section
    documented = readme_table(section)
    compose_defaults = {n: next(iter(d)) for n, d in variables.items()}
    assert set(documented) == set(compose_defaults), (
        f"undocumented: {sorted(set(compose_defaults) - set(documented))}, "
        f"documented but unused: {sorted(set(documented) - set(compose_defaults))}"
    )
    wrong = {n: (documented[n], d) for n, d in compose_defaults.items() if documented[n] != d}
    assert not wrong, f"README default != compose default: {wrong}"


def test_credentials_are_in_the_readme_local_only_table(variables: dict[str, set[str | None]]) -> None:
    section = readme_section()
    local_only_part = section.split("Credentials (LOCAL USE ONLY defaults):", 1)
    assert len(local_only_part) == 2, "README lost the 'Credentials (LOCAL USE ONLY defaults):' table"
    local_only = readme_table(local_only_part[1].split("Other settings:", 1)[0])
    credentials = {n for n in variables if CREDENTIAL_RE.search(n)}
    assert len(credentials) >= 10, sorted(credentials)
    missing = credentials - set(local_only)
    assert not missing, f"credentials not in the README's LOCAL USE ONLY table: {sorted(missing)}"


def test_credential_defaults_are_marked_local_use_only(compose_text: str) -> None:
    lines = compose_text.splitlines()
    unmarked = []
    for i, line in enumerate(lines):
        if line.lstrip().startswith("#"):
            continue
        if not any(CREDENTIAL_RE.search(m.group("name")) for m in VAR_RE.finditer(line)):
            continue
        j, marked = i, "LOCAL USE ONLY" in line
        while not marked and j > 0 and lines[j - 1].lstrip().startswith("#"):
            j -= 1
            marked = "LOCAL USE ONLY" in lines[j]
        if not marked:
            unmarked.append(f"{i + 1}: {line.strip()}")
    assert not unmarked, "credential defaults without a LOCAL USE ONLY comment:\n" + "\n".join(unmarked)


def test_helper_scripts_require_credentials_instead_of_defaulting_them() -> None:
    checked = 0
    for script in sorted((REPO / "docker").glob("*.sh")):
        text = script.read_text()
        for m in VAR_RE.finditer(text):
            if not CREDENTIAL_RE.search(name := m.group("name")):
                continue
            checked += 1
            assert m.group("op") not in {":-", "-", ":+", "+"}, f"{script.name}: {m.group(0)} has a default"
            assert f"${{{name}:?" in text, f"{script.name} uses {name} without failing when it is unset"
    assert checked >= 6


# ---------------------------------------------------------------------------------- image, Dockerfile


def test_dockerfile_base_image_matches_the_lock(dockerfile: str) -> None:
    bases = re.findall(r"^FROM\s+(\S+)", dockerfile, re.M)
    assert len(bases) == 1, bases
    m = re.fullmatch(
        r"apache/airflow:(?:slim-)?(?P<airflow>\d+\.\d+\.\d+)-python(?P<python>\d+\.\d+)", bases[0]
    )
    assert m, f"base image {bases[0]!r} is not apache/airflow:[slim-]<version>-python<X.Y>"
    lock = (REPO / "requirements.lock").read_text()
    pin = re.search(r"^apache-airflow==(\S+)$", lock, re.M)
    assert pin and m.group("airflow") == pin.group(1), f"image Airflow {m.group('airflow')} != lock"
    lock_python = re.search(r"--python-version (\d+\.\d+)", lock)
    assert lock_python and m.group("python") == lock_python.group(1)


def test_dockerfile_installs_the_lock_and_the_project(dockerfile: str) -> None:
    assert re.search(r"^COPY\b.*\brequirements\.lock\b", dockerfile, re.M)
    assert re.search(r"pip install .*-r \S*requirements\.lock", dockerfile)
    assert re.search(r"pip install .*--no-deps .*(-e )?\.\s", dockerfile)
    for path in ("dags/", "plugins/", "operators/", "sensors/", "include/", "pyproject.toml", "README.md"):
        assert re.search(rf"^COPY\b.*\s{re.escape(path)}", dockerfile, re.M), (
            f"Dockerfile does not copy {path}"
        )
    users = re.findall(r"^USER\s+(\S+)", dockerfile, re.M)
    assert users and users[-1] == "airflow", "the image must end as the airflow user"
    assert "mlops --help" in dockerfile, "the build must prove the mlops CLI exists"
    ignore = [line.strip() for line in (REPO / ".dockerignore").read_text().splitlines()]
    patterns = [line for line in ignore if line and not line.startswith("#")]
    assert patterns[0] == "*", ".dockerignore must start by excluding everything (allow-list)"
    for path in ("requirements.lock", "pyproject.toml", "README.md", "include/", "dags/", "plugins/"):
        assert f"!{path}" in ignore, f".dockerignore keeps {path} out of the build context"
    assert "**/.env" in ignore and not any(line.startswith("!.env") for line in ignore)


def test_compose_builds_the_kubernetes_pod_image(compose: dict[str, Any], services: dict[str, Any]) -> None:
    from airflow_champion.config.schema import ExecutionSpec

    image = compose["x-airflow-common"]["image"]
    assert expand(image) == ExecutionSpec().image, "compose image != execution.image default of the configs"
    assert compose["x-airflow-common"]["build"]["context"] == "."
    assert services["mlflow"]["image"] == image, "the MLflow server runs the project image (psycopg2, boto3)"
