"""The results JSON as Markdown, written between `<!-- bench:start -->` and `<!-- bench:end -->` in a
file (the README's Performance section after a full run; bench/results.md otherwise), so the table
is regenerated, never edited by hand.

    .venv/bin/python bench/render_table.py bench/results.json --into bench/results.md
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

START, END = "<!-- bench:start -->", "<!-- bench:end -->"
BACKTEST_NOTES = (
    "judged_steps",
    "gate_promotions",
    "oracle_promotions",
    "agreement",
    "wrong_promotions",
    "missed_promotions",
    "regret_total",
)


def _fmt(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.3g}" if abs(v) < 1000 else f"{v:,.0f}"
    if isinstance(v, int) and not isinstance(v, bool):
        return f"{v:,}"
    if isinstance(v, dict):
        return ", ".join(f"{k}={_fmt(x)}" for k, x in v.items())
    if isinstance(v, list):
        return ", ".join(map(str, v)) or "none"
    return str(v)


def render(doc: dict[str, Any]) -> str:
    m = doc["machine"]
    scale = doc["scale"]["name"]
    lines = [
        f"Measured {doc['date']} at commit `{doc['git']['commit'][:12]}`"
        + (" (uncommitted changes)" if doc["git"]["dirty"] else "")
        + f", scale **{scale}**, {doc['repeat']} run(s) per figure (median), on {m['cores']} cores"
        f" ({m['cpu_model']}), {m['memory_total_mb']:,} MB memory, Python {m['python']},"
        f" Airflow {m['versions'].get('apache-airflow')}, MLflow {m['versions'].get('mlflow')},"
        f" scikit-learn {m['versions'].get('scikit-learn')}. Load average at start"
        f" {doc['loadavg_start'][0]:.1f}. A figure measured on another machine says so in its notes"
        " (a file merged from reruns with --update); a ratio is always of one machine's runs.",
    ]
    if scale != "full":
        lines.append("")
        lines.append(f"**{scale} scale: these numbers prove the harness runs; they are not measurements.**")
    lines += ["", "| target | measured | met |", "|---|---|---|"]
    for t in doc["targets"]:
        if t.get("superseded_by"):  # judged on another group's figure (run.judge_targets)
            continue
        label = t["target"] + (f" ({t['basis']})" if t.get("basis") else "")
        lines.append(f"| {label} | {_fmt(t['measured'])} | {'yes' if t['met'] else 'no'} |")
    lines += ["", "| group | figure | median s | peak RSS MB | rows | notes |", "|---|---|---|---|---|---|"]
    for g, res in doc["groups"].items():
        if res.get("status") != "ok":
            why = str(res.get("error") or res.get("why", "")).strip().splitlines()
            cell = (why[-1] if why else "").replace("|", "/")[:300]
            lines.append(f"| {g} | - | - | - | - | {res.get('status')}: {cell} |")
            continue
        for name, f in res.get("figures", {}).items():
            notes = [
                f"{k}={_fmt(f[k])}"
                for k in (
                    "call_s",
                    "snapshots",
                    "parse_median_s",
                    "frame_mb",
                    "heavy_in_sys_modules",
                    "dataset_drifted",
                    "in_tasks_s",
                    "between_tasks_s",
                )
                if k in f
            ]
            if "phases_s" in f:  # the bare script's own split (bench/bare_retrain.py)
                notes.append("phases: " + ", ".join(f"{k} {_fmt(v)}" for k, v in f["phases_s"].items()))
            if f.get("machine") not in (None, m["cpu_model"]):  # a merged file from two machines
                notes.append(f"machine: {f['machine']}")
            total = f.get("total") or {}  # the gate backtest (bench/groups/backtest.py)
            notes += [f"{k}={_fmt(total[k])}" for k in BACKTEST_NOTES if k in total]
            lines.append(
                f"| {g} | {name} | {_fmt(f.get('median_s'))} | {_fmt(f.get('peak_rss_mb'))} |"
                f" {_fmt(f.get('rows'))} | {'; '.join(notes)} |"
            )
        for key, why in res.get("skipped", {}).items():
            lines.append(f"| {g} | {key} | - | - | - | skipped: {why} |")
        for key, why in res.get("failed", {}).items():
            lines.append(f"| {g} | {key} | - | - | - | failed: {why.splitlines()[-1][:200]} |")
    comps = [(g, k, c) for g, r in doc["groups"].items() for k, c in r.get("comparisons", {}).items()]
    if comps:
        lines += [
            "",
            "| comparison (side by side) | ratio of medians | median paired ratio | notes |",
            "|---|---|---|---|",
        ]
        for _g, k, c in comps:
            notes = [
                f"{n}={_fmt(c[n])}"
                for n in (
                    "verdicts_agree",
                    "dataset_verdict_same",
                    "features_same_verdict",
                    "memory_growth_ratio",
                )
                if n in c
            ]
            if c.get("machine") not in (None, m["cpu_model"]):
                notes.append(f"machine: {c['machine']}")
            lines.append(
                f"| {k} | {_fmt(c.get('ratio_of_medians'))} | {_fmt(c.get('median_paired_ratio'))}"
                f" | {'; '.join(notes)} |"
            )
    return "\n".join(lines) + "\n"


def write_between_markers(path: Path, table: str) -> None:
    """Replace what is between the markers; a new file gets the markers. An existing file without them
    is refused: where the table goes (the README's Performance section) is a person's choice."""
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    block = f"{START}\n{table}{END}"
    if START in text and END in text:
        head, rest = text.split(START, 1)
        _, tail = rest.split(END, 1)
        text = head + block + tail
    elif not text:
        text = (
            "# Benchmark results\n\nWritten by bench/render_table.py from the results JSON.\n\n"
            + block
            + "\n"
        )
    else:
        raise SystemExit(f"{path} has no {START} / {END} markers: add them where the table belongs")
    path.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("results", type=Path)
    p.add_argument("--into", type=Path, required=True, help="the file with the markers (e.g. README.md)")
    args = p.parse_args(argv)
    write_between_markers(args.into, render(json.loads(args.results.read_text())))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
