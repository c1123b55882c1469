"""What every benchmark group shares: a measured child process, medians, the bench's own state.

Every measured run is a fresh process (as an Airflow task is), so imports, the MLflow client and the
config load are part of what is measured unless a worker says otherwise. Peak memory is the child's
own maximum resident set (``os.wait4``'s rusage of that one child, which also covers the children it
waited for), so parallel jobs of other users never leak into it.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
BIN = Path(sys.executable).parent
CONFIGS = REPO / "include" / "configs"
MB = 2**20

MODELS: dict[str, str] = {"binary": "churn", "multiclass": "wine", "regression": "diabetes"}
"""One demo model per task kind: the generators in include/airflow_champion_demo write their data."""


@dataclass
class Run:
    """One measured child process."""

    cmd: list[str]
    wall_s: float
    cpu_s: float
    peak_rss_mb: float
    returncode: int
    stdout: str
    stderr: str

    def check(self) -> Run:
        """Refuse to publish a figure of a run that failed: the error is the result."""
        if self.returncode != 0:
            tail = (self.stderr or self.stdout)[-3000:]
            raise BenchError(f"{' '.join(self.cmd[:4])} ... exited {self.returncode}:\n{tail}")
        return self

    def json(self) -> Any:
        """The JSON document that ends stdout (mlops prints exactly one; log lines may come first,
        and some of them start with '[' too)."""
        text = self.stdout.rstrip()
        decoder = json.JSONDecoder()
        pos = 0
        for line in text.splitlines(keepends=True):
            if line[:1] in "{[":
                try:
                    doc, end = decoder.raw_decode(text, pos)
                except ValueError:
                    doc, end = None, -1
                if end == len(text):
                    return doc
            pos += len(line)
        raise BenchError(f"no JSON at the end of stdout of {' '.join(self.cmd[:4])}: {text[-500:]!r}")


class BenchError(RuntimeError):
    """A measured run failed or produced nothing to measure."""


def measure(cmd: Sequence[str], *, env: Mapping[str, str], cwd: Path = REPO, timeout_s: float = 3600) -> Run:
    """Run `cmd` once in a fresh process: wall seconds, CPU seconds and peak RSS of that process."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(list(cmd), env=dict(env), cwd=cwd, stdout=out, stderr=err, text=True)
        deadline = t0 + timeout_s
        while True:  # wait4 of this child only: its own rusage, not every child's of this runner
            pid, status, ru = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                proc.kill()
                pid, status, ru = os.wait4(proc.pid, 0)
                break
            time.sleep(0.01)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Run(
            cmd=list(cmd),
            wall_s=wall,
            cpu_s=ru.ru_utime + ru.ru_stime,
            peak_rss_mb=ru.ru_maxrss / 1024,  # Linux: kilobytes
            returncode=proc.returncode,
            stdout=out.read(),
            stderr=err.read(),
        )


def figure(runs: Sequence[Run], **meta: Any) -> dict[str, Any]:
    """A published figure: the median of the repeats, every repeat, and what was measured."""
    walls = [r.wall_s for r in runs]
    return {
        "median_s": round(statistics.median(walls), 4),
        "runs": [round(w, 4) for w in walls],
        "cpu_s": round(statistics.median(r.cpu_s for r in runs), 4),
        "peak_rss_mb": round(max(r.peak_rss_mb for r in runs), 1),
        **meta,
    }


def median_phases(runs: Sequence[Run]) -> dict[str, float]:
    """Per phase, the median over the runs of the `phases` seconds each run's JSON reports."""
    docs = [r.json().get("phases", {}) for r in runs]
    names = dict.fromkeys(name for d in docs for name in d)
    return {n: median_of([d[n] for d in docs if n in d]) for n in names}


def median_of(values: Sequence[float]) -> float:
    return round(statistics.median(values), 4)


def ratio(num: Sequence[float], den: Sequence[float]) -> dict[str, Any]:
    """num/den of two figures measured side by side: ratio of medians and the median of paired ratios."""
    pairs = [a / b for a, b in zip(num, den, strict=False) if b > 0]
    return {
        "ratio_of_medians": round(statistics.median(num) / statistics.median(den), 4),
        "median_paired_ratio": round(statistics.median(pairs), 4) if pairs else None,
        "pairs": len(pairs),
    }


@dataclass
class Scale:
    """Sizes of one run of the suite: `smoke` proves the harness, `full` produces the numbers."""

    name: str
    e2e_rows: list[int]
    tiny_rows: int
    parse_models: list[int]
    drift_sizes: list[tuple[int, int]]  # (rows, columns) of the wide synthetic data
    drift_agreement_rows: int
    backtest_rows: int
    backtest_snapshots: int = 12
    drift_scenarios: str = "none,mild,strong,categorical,concept"  # churn's, for verdict agreement
    bootstrap_samples: int | None = None  # None: the configs' own count
    repeat: int = 5
    notes: list[str] = field(default_factory=list)


SCALES: dict[str, Scale] = {
    "smoke": Scale(
        name="smoke",
        e2e_rows=[2000],
        tiny_rows=600,
        parse_models=[1, 10, 50],
        drift_sizes=[(5000, 21), (2000, 200)],
        drift_agreement_rows=3000,
        drift_scenarios="none,strong",
        backtest_rows=800,
        bootstrap_samples=100,
        repeat=1,
        notes=["smoke: sizes and bootstrap count cut so the harness runs in minutes; not a measurement"],
    ),
    "full": Scale(
        name="full",
        e2e_rows=[100_000, 1_000_000, 5_000_000],
        tiny_rows=600,
        parse_models=[1, 10, 50],
        drift_sizes=[(1_000_000, 21), (1_000_000, 200), (1_000_000, 1000)],
        drift_agreement_rows=1_000_000,
        backtest_rows=20_000,
        repeat=5,
    ),
}


def mem_available_mb() -> float:
    with open("/proc/meminfo", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def fits_in_memory(estimated_peak_mb: float, share: float = 0.6) -> str | None:
    """None if a run of this estimated peak fits in `share` of the memory available now, else why not."""
    avail = mem_available_mb()
    if estimated_peak_mb <= share * avail:
        return None
    return f"estimated peak {estimated_peak_mb:.0f} MB > {share:.0%} of MemAvailable {avail:.0f} MB"


# ------------------------------------------------------------------------------------------- state


def base_env(home: Path, config_dir: Path) -> dict[str, str]:
    """A clean embedded-default environment under `home`: none of the caller's MLflow/Airflow/MLOPS
    settings (a bench must not write into someone's store), configs from `config_dir`."""
    from airflow_champion.pipeline.airflow_env import airflow_env

    clean = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW__", "MLFLOW_", "MLOPS_"))}
    env = airflow_env(home, clean)
    env.update(
        {
            "MLOPS_HOME": str(home),
            "MLOPS_CONFIG_DIR": str(config_dir),
            "MLOPS_CODE_VERSION": "bench",
            "PYTHONWARNINGS": "ignore",
            "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING",
            "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        }
    )
    return env


def write_config(config_dir: Path, model: str, *, name: str | None = None, scale: Scale) -> Path:
    """A bench copy of a shipped config: same estimator, holdout, metric and suite; room for large
    snapshots (max_bytes), and the scale's bootstrap count when it cuts one (both paths read it)."""
    data = yaml.safe_load((CONFIGS / f"{model}.yaml").read_text())
    new = name or model
    data["name"] = new
    data.setdefault("snapshots", {})["root"] = f"snapshots/{new}"
    data["snapshots"]["max_bytes"] = 16 * 2**30
    if scale.bootstrap_samples is not None:
        data.setdefault("promotion", {})["bootstrap_samples"] = scale.bootstrap_samples
    config_dir.mkdir(parents=True, exist_ok=True)
    path = config_dir / f"{new}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


@contextmanager
def bench_home(prefix: str, keep: bool = False) -> Iterator[Path]:
    """A throwaway MLOPS_HOME (+ configs/ in it) for one group."""
    root = Path(tempfile.mkdtemp(prefix=f"bench-{prefix}-"))
    try:
        (root / "configs").mkdir()
        yield root
    finally:
        if not keep:
            shutil.rmtree(root, ignore_errors=True)


def mlops(*args: str) -> list[str]:
    return [str(BIN / "mlops"), *args]


def generate(
    env: Mapping[str, str],
    model: str,
    *,
    rows: int,
    weeks: int,
    start: str = "2026-01-05",
    extra: Sequence[str] = (),
) -> list[str]:
    """Weekly demo snapshots of `model` (seeded); their ids, oldest first. `extra`: more `mlops
    generate` options (--drift, --seed)."""
    args = ("generate", model, "--rows", str(rows), "--weeks", str(weeks), "--start", start, *extra)
    run = measure(mlops(*args), env=env).check()
    return [m["snapshot_id"] for m in run.json()]


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)
