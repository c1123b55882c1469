"""The built wheel works as a dependency of someone else's Airflow 3 project.

Every other test imports the package from this checkout (an editable install), where `include/`,
`operators/` and `sensors/` are folders next to pyproject.toml and the checkout's configs and suites
are the defaults. A user's Airflow project (Astro's layout: `dags/`, `include/`, `plugins/`) has
folders of those very names, and gets this package as a wheel in site-packages. So this module builds
the wheel, installs it with the locked dependencies into a fresh virtualenv, lays out such a project
(its own `include/` package that its own DAG imports, the model configs in `include/configs/`, the
suites beside them, the one DAG file copied into `dags/`) and loads it with that virtualenv's Airflow,
cwd = the project, in an environment of its own (nothing of this repository's AIRFLOW__*, MLOPS_*,
MLFLOW_* or PYTHONPATH). It proves: the wheel has one import namespace (no top-level `include`,
`operators`, `sensors`, `dags`, `tests`) and every module and runtime data file of the source; the
project's DAGs and the models' DAGs load side by side; `include` is the project's; configs, suites and
state are where settings.py says for an installed package; Airflow finds the plugin by entry point;
`mlops check-config` reads the project's configs.

The wheel is built from a copy of the source: setuptools writes `build/` and `*.egg-info` into the
tree it builds, which other work in this checkout must not see, and a stale `build/lib` from an
earlier build would put modules into the wheel that the source no longer has. The install is fast
(~5 s) because uv links the locked packages from its cache; a cold cache downloads them.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO, require_service

pytestmark = [pytest.mark.airflow, pytest.mark.slow]

TOP_LEVEL = {"airflow_champion", "airflow_champion_demo"}
"""The wheel's import packages (pyproject's [tool.setuptools.package-dir] maps the folders into them)."""
SOURCE_TO_WHEEL = {
    "include/airflow_champion": "airflow_champion",
    "operators": "airflow_champion/operators",
    "sensors": "airflow_champion/sensors",
    "include/airflow_champion_demo": "airflow_champion_demo",
}
NOT_SHIPPED = {".md"}
"""Source files that are documentation (the ADRs next to the code), not read at runtime."""
COLLIDING = ("include", "operators", "sensors", "dags", "plugins", "tests")
"""Top-level names an Airflow project has (or may have) as its own folders."""
COPY_IGNORE = shutil.ignore_patterns(
    ".git",
    ".venv",
    ".mlops",
    ".typecheck",
    ".mypy_cache",
    ".ruff_cache",
    ".pytest_cache",
    "__pycache__",
    "*.pyc",
    "build",
    "dist",
    "*.egg-info",
    "airflow_home",
    "mlruns",
    "test-artifacts",
)
MODELS = ("churn", "breast_cancer")
"""churn's suite goes next to the configs (include/configs/expectations/), breast_cancer's in the
fallback (include/expectations/): both places suite_file.suite_path looks."""
MODEL_DAG_KINDS = ("retrain", "rollback", "replay", "snapshot_watch", "drift_monitor")
"""operators/dag_factory.build_dags: `<model>_<kind>` (snapshot_watch: detection 'sensor', the default;
drift_monitor: drift enabled, the default; both shipped configs keep those)."""
OWN_DAG_ID = "project_own_report"
TIMEOUT = 300


@dataclass
class Installed:
    wheel: Path
    venv: Path
    site_packages: Path
    project: Path
    env: dict[str, str]
    tmp: Path
    probes: int = 0

    def bin(self, name: str) -> str:
        return str(self.venv / "bin" / name)

    def run(self, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            list(args),
            cwd=self.project,
            env=env if env is not None else self.env,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
        )

    def probe(
        self, script: str, *args: str, env: dict[str, str] | None = None, isolated: bool = False
    ) -> Any:
        """Run `script` with the fresh venv's python (cwd: the project); it writes JSON to argv[1]."""
        self.probes += 1
        path = self.tmp / f"probe{self.probes}.py"  # outside the project, which is on PYTHONPATH
        path.write_text(textwrap.dedent(script), encoding="utf-8")
        out = self.tmp / f"probe{self.probes}.json"
        flags = ["-I"] if isolated else []
        proc = self.run(self.bin("python"), *flags, str(path), str(out), *args, env=env)
        assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
        return json.loads(out.read_text(encoding="utf-8"))


def _uv() -> str:
    local = Path(sys.executable).parent / "uv"
    found = str(local) if local.is_file() else shutil.which("uv")
    require_service(found is not None, "uv is not installed (make install puts it in .venv/bin)")
    assert found is not None
    return found


def _check(proc: subprocess.CompletedProcess[str], what: str) -> None:
    assert proc.returncode == 0, f"{what} failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"


def _write_project(project: Path) -> None:
    """An Astro-style project: its own `include` package and DAG, our configs, suites and DAG file."""
    (project / "include" / "configs" / "expectations").mkdir(parents=True)
    (project / "include" / "expectations").mkdir()
    (project / "dags").mkdir()
    (project / "plugins").mkdir()
    (project / "include" / "__init__.py").write_text('"""The project\'s own helpers."""\n')
    (project / "include" / "helpers.py").write_text('OWNER = "project-team"\nMARK = "from-the-project"\n')
    (project / "dags" / "own.py").write_text(
        textwrap.dedent(
            f"""\
            from airflow.sdk import DAG
            from airflow.providers.standard.operators.empty import EmptyOperator

            from include.helpers import MARK, OWNER

            with DAG({OWN_DAG_ID!r}, schedule=None, tags=[MARK], default_args={{"owner": OWNER}}):
                EmptyOperator(task_id="noop")
            """
        )
    )
    shutil.copy(REPO / "dags" / "mlops_models.py", project / "dags" / "mlops_models.py")
    for model in MODELS:
        shutil.copy(REPO / "include" / "configs" / f"{model}.yaml", project / "include" / "configs")
    shutil.copy(
        REPO / "include" / "expectations" / "churn.yaml",
        project / "include" / "configs" / "expectations" / "churn.yaml",
    )
    shutil.copy(
        REPO / "include" / "expectations" / "breast_cancer.yaml",
        project / "include" / "expectations" / "breast_cancer.yaml",
    )


def _project_env(tmp: Path, venv: Path, project: Path) -> dict[str, str]:
    """A process environment built from nothing: none of this test run's variables get through."""
    airflow_home = tmp / "airflow_home"
    env = {
        "PATH": os.pathsep.join([str(venv / "bin"), "/usr/local/bin", "/usr/bin", "/bin"]),
        "HOME": str(tmp / "home"),
        "LANG": "C.UTF-8",
        "PYTHONPATH": str(project),  # the project imports `include.*`: its folder is on sys.path
        "AIRFLOW_HOME": str(airflow_home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(project / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(project / "plugins"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{airflow_home / 'airflow.db'}",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING",
        "MLOPS_HOME": str(tmp / "mlops_home"),
    }
    assert not [k for k, v in env.items() if str(REPO) in v], "the project's environment names the repo"
    return env


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    uv = _uv()
    tmp = tmp_path_factory.mktemp("wheel")
    src, dist, venv, project = tmp / "src", tmp / "dist", tmp / "venv", tmp / "project"
    shutil.copytree(REPO, src, ignore=COPY_IGNORE, symlinks=True)
    tool_env = {k: v for k, v in os.environ.items() if k not in {"VIRTUAL_ENV", "PYTHONPATH"}}

    def tool(*args: str) -> None:
        _check(
            subprocess.run(
                [uv, *args], env=tool_env, capture_output=True, text=True, timeout=TIMEOUT, cwd=tmp
            ),
            f"uv {args[0]}",
        )

    tool("build", "--wheel", "--out-dir", str(dist), str(src))
    (wheel,) = dist.glob("*.whl")
    tool("venv", "--quiet", "--python", sys.executable, str(venv))
    python = str(venv / "bin" / "python")
    tool("pip", "install", "--quiet", "--python", python, "-r", str(REPO / "requirements.lock"), str(wheel))
    (site_packages,) = (venv / "lib").glob("python3*/site-packages")
    (tmp / "home").mkdir()
    _write_project(project)
    return Installed(wheel, venv, site_packages, project, _project_env(tmp, venv, project), tmp)


def _shipped_sources(src: Path) -> dict[str, Path]:
    """Wheel path -> source file, for every module and data file of the mapped source folders."""
    shipped = {}
    for src_dir, wheel_dir in SOURCE_TO_WHEEL.items():
        root = src / src_dir
        for path in root.rglob("*"):
            rel = path.relative_to(root)
            if not path.is_file() or "__pycache__" in rel.parts or path.suffix in {".pyc", *NOT_SHIPPED}:
                continue
            shipped[f"{wheel_dir}/{rel.as_posix()}"] = path
    return shipped


def test_the_wheel_has_one_namespace_and_every_module_and_data_file(installed: Installed) -> None:
    with zipfile.ZipFile(installed.wheel) as whl:
        names = set(whl.namelist())
        (entry_points,) = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
        entry_text = whl.read(entry_points).decode()
    top = {n.split("/")[0] for n in names if not n.split("/")[0].endswith(".dist-info")}
    assert top == TOP_LEVEL, f"top-level entries besides the namespace: {sorted(top - TOP_LEVEL)}"
    assert not [n for n in names if n.split("/")[0] in COLLIDING or n.endswith(".pth")]
    shipped = _shipped_sources(installed.tmp / "src")  # the copy the wheel was built from
    missing = sorted(set(shipped) - names)
    assert not missing, f"in the source but not in the wheel (pyproject packages / package-data): {missing}"
    templates = {n for n in names if n.startswith("airflow_champion/reports/templates/")}
    assert "airflow_champion/reports/templates/base.html.j2" in templates
    source_templates = installed.tmp / "src" / "include" / "airflow_champion" / "reports" / "templates"
    assert {p.name for p in source_templates.glob("*.j2")} == {n.rsplit("/", 1)[1] for n in templates}
    data = {n for n in shipped if not n.endswith(".py")}
    assert data <= names and templates <= data  # the runtime data are the templates, all shipped
    assert "[airflow.plugins]\nairflow_champion = airflow_champion.operators.ui.plugin:MlopsPlugin" in (
        entry_text
    )
    assert "mlops = airflow_champion.pipeline.cli:main" in entry_text


def test_the_install_adds_no_top_level_module_a_project_has(installed: Installed) -> None:
    """Isolated mode (-I: neither cwd nor PYTHONPATH on sys.path): what the fresh venv alone provides.
    A top-level `include` (or `operators`, ...) in site-packages would shadow the project's folder of
    that name, or be shadowed by it, depending on sys.path order."""
    found = installed.probe(
        """
        import importlib.metadata, importlib.util, json, sys
        def spec(name):
            s = importlib.util.find_spec(name)
            return None if s is None else [s.origin, list(s.submodule_search_locations or [])]
        files = importlib.metadata.distribution("airflow-champion").files or []
        json.dump({
            "specs": {name: spec(name) for name in sys.argv[2:]},
            "installed_top": sorted({f.parts[0] for f in files}),
        }, open(sys.argv[1], "w"))
        """,
        *COLLIDING,
        isolated=True,
    )
    provided = {name: where for name, where in found["specs"].items() if where is not None}
    assert provided == {}, f"the venv itself provides top-level modules a project has: {provided}"
    installed_top = {p for p in found["installed_top"] if p != ".." and not p.endswith(".dist-info")}
    assert installed_top == TOP_LEVEL  # ".." is the console script, bin/mlops


DAGBAG = """
import json, sys
from pathlib import Path

from airflow import plugins_manager
from airflow.dag_processing.dagbag import DagBag

bag = DagBag(dag_folder=sys.argv[2])
plugins, plugin_errors = plugins_manager._get_plugins()

import airflow_champion, include, include.helpers
from airflow_champion import settings
from airflow_champion.config import config_dir, load_config
from airflow_champion.validation.suite_file import suite_path

watched = {"airflow_champion", "airflow_champion_demo", *sys.argv[3:]}
json.dump({
    "dag_ids": sorted(bag.dag_ids),
    "import_errors": {str(k): str(v) for k, v in bag.import_errors.items()},
    "filelocs": {d: bag.dags[d].fileloc for d in bag.dag_ids},
    "include": include.__file__,
    "helpers": include.helpers.__file__,
    "airflow_champion": airflow_champion.__file__,
    "modules": {n: getattr(m, "__file__", None) for n, m in list(sys.modules.items())
                if n.split(".")[0] in watched},
    "plugins": [{"name": p.name, "source": str(p.source), "file": sys.modules[type(p).__module__].__file__}
                for p in plugins],
    "plugin_errors": {str(k): str(v) for k, v in plugin_errors.items()},
    "checkout": None if settings.CHECKOUT is None else str(settings.CHECKOUT),
    "config_dir": str(config_dir()),
    "mlops_home": str(settings.mlops_home()),
    "tracking_uri": settings.tracking_uri(),
    "code_version": settings.code_version(),
    "suites": {m: str(suite_path(load_config(m))) for m in ("churn", "breast_cancer")},
}, open(sys.argv[1], "w"))
"""


def test_the_project_gets_its_own_dags_and_the_models_dags(installed: Installed) -> None:
    project, site = installed.project, installed.site_packages
    got = installed.probe(DAGBAG, str(project / "dags"), *COLLIDING)
    assert got["import_errors"] == {}
    expected = {OWN_DAG_ID} | {f"{m}_{kind}" for m in MODELS for kind in MODEL_DAG_KINDS}
    assert set(got["dag_ids"]) == expected
    assert got["filelocs"][OWN_DAG_ID] == str(project / "dags" / "own.py")
    for model in MODELS:
        assert got["filelocs"][f"{model}_retrain"] == str(project / "dags" / "mlops_models.py")
    # the project's `include` is the project's; ours is not on the path at all
    assert got["include"] == str(project / "include" / "__init__.py")
    assert got["helpers"] == str(project / "include" / "helpers.py")
    assert got["airflow_champion"] == str(site / "airflow_champion" / "__init__.py")
    foreign = {
        name: where
        for name, where in got["modules"].items()
        if not (name.split(".")[0] in TOP_LEVEL and str(where).startswith(f"{site}/"))
        and not (name.split(".")[0] == "include" and str(where).startswith(f"{project}/include/"))
    }
    assert foreign == {}, f"modules loaded from neither the venv nor the project's include/: {foreign}"
    assert not [n for n in got["modules"] if n.split(".")[0] in {"operators", "sensors", "tests"}]
    # Airflow registers the plugin by the distribution's entry point, from site-packages
    assert got["plugin_errors"] == {}
    (mlops,) = [p for p in got["plugins"] if p["name"] == "mlops"]
    assert mlops["source"].startswith("airflow-champion==0.1.0: EntryPoint(name='airflow_champion'")
    assert mlops["file"] == str(site / "airflow_champion" / "operators" / "ui" / "plugin.py")
    # settings.py's installed layout: configs and suites from the project (cwd), state in MLOPS_HOME
    assert got["checkout"] is None
    assert got["config_dir"] == str(project / "include" / "configs")
    assert got["suites"] == {
        "churn": str(project / "include" / "configs" / "expectations" / "churn.yaml"),
        "breast_cancer": str(project / "include" / "expectations" / "breast_cancer.yaml"),
    }
    assert got["mlops_home"] == installed.env["MLOPS_HOME"]
    assert got["tracking_uri"] == f"sqlite:///{installed.env['MLOPS_HOME']}/mlflow.db"
    assert got["code_version"] == "airflow-champion==0.1.0"


def test_mlops_check_config_reads_the_projects_configs_and_suites(installed: Installed) -> None:
    proc = installed.run(installed.bin("mlops"), "check-config")
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    report = json.loads(proc.stdout[proc.stdout.index("{") :])
    assert set(report) == set(MODELS)
    for model in MODELS:
        assert report[model]["ok"] is True and report[model]["problems"] == []
        assert report[model]["path"] == str(installed.project / "include" / "configs" / f"{model}.yaml")


SETTINGS = """
import json, sys
from airflow_champion import settings
from airflow_champion.config import config_dir, list_config_names, load_config
from airflow_champion.validation.suite_file import suite_path

json.dump({
    "config_dir": str(config_dir()),
    "models": list_config_names(),
    "suite": str(suite_path(load_config("churn"))),
    "mlops_home": str(settings.mlops_home()),
    "tracking_uri": settings.tracking_uri(),
}, open(sys.argv[1], "w"))
"""


def test_mlops_config_dir_and_the_state_defaults_when_installed(installed: Installed) -> None:
    """MLOPS_CONFIG_DIR moves configs and suites anywhere; without MLOPS_HOME state is ~/.mlops, and
    MLFLOW_TRACKING_URI names the MLflow store."""
    elsewhere = installed.tmp / "elsewhere" / "configs"
    (elsewhere / "expectations").mkdir(parents=True)
    shutil.copy(REPO / "include" / "configs" / "churn.yaml", elsewhere)
    shutil.copy(REPO / "include" / "expectations" / "churn.yaml", elsewhere / "expectations")
    env = {k: v for k, v in installed.env.items() if k != "MLOPS_HOME"}
    env["MLOPS_CONFIG_DIR"] = str(elsewhere)
    env["MLFLOW_TRACKING_URI"] = "postgresql://mlflow@db.example/mlflow"
    got = installed.probe(SETTINGS, env=env)
    assert got["config_dir"] == str(elsewhere)
    assert got["models"] == ["churn"]  # not the project's include/configs
    assert got["suite"] == str(elsewhere / "expectations" / "churn.yaml")
    assert got["mlops_home"] == str(Path(env["HOME"]) / ".mlops")
    assert got["tracking_uri"] == env["MLFLOW_TRACKING_URI"]
