"""What a plan produces: a summary table, time series as CSV and JSON, and a PNG plot."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

from planner.simulation import Result


def _cell(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "NO"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def summary_table(results: list[Result]) -> str:
    """One column per run: each workload's peak replicas, time to capacity and pending pod-seconds,
    then the cluster's peak nodes, node-hours and cost."""
    rows: list[list[str]] = [["", *(result.label for result in results)]]
    names = sorted({name for result in results for name in result.summary["workloads"]})
    for name in names:
        for key, title in (("peak_replicas", "peak replicas"), ("time_to_capacity_s", "time to capacity (s)"),
                           ("capacity_reached", "capacity reached"),
                           ("pending_pod_seconds", "pending pod-seconds")):
            rows.append([f"{name}: {title}", *(_cell(result.summary["workloads"].get(name, {}).get(key))
                                               for result in results)])
    for key, title in (("peak_nodes", "cluster: peak nodes"), ("pending_pod_seconds", "cluster: pending pod-seconds"),
                       ("cost_usd", "cluster: cost (USD)")):
        rows.append([title, *(_cell(result.summary["cluster"][key]) for result in results)])
    kinds = sorted({kind for result in results for kind in result.summary["cluster"]["node_hours"]})
    for kind in kinds:
        rows.append([f"cluster: node-hours {kind}",
                     *(_cell(result.summary["cluster"]["node_hours"].get(kind)) for result in results)])
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(width) if column == 0 else cell.rjust(width)
                       for column, (cell, width) in enumerate(zip(row, widths))) for row in rows]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def write_series(result: Result, directory: Path) -> list[Path]:
    """<label>.csv and <label>.json: every recorded series, one row per recorded time."""
    directory.mkdir(parents=True, exist_ok=True)
    stem = directory / _slug(result.label)
    columns = list(result.series)
    with open(f"{stem}.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        writer.writerows(zip(*(result.series[column] for column in columns)))
    clean = {key: [None if isinstance(v, float) and math.isnan(v) else v for v in values]
             for key, values in result.series.items()}
    Path(f"{stem}.json").write_text(json.dumps({"label": result.label, "summary": result.summary, "series": clean}))
    return [Path(f"{stem}.csv"), Path(f"{stem}.json")]


def plot(results: list[Result], path: Path, *, title: str) -> Path:
    """Load, replicas, pending pods, and nodes by group and by instance type over time; runs overlaid
    (solid, then dashed)."""
    import matplotlib

    matplotlib.use("Agg")  # no screen: files only
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(5, 1, figsize=(11, 14), sharex=True)
    styles = ["-", "--", ":", "-."]
    for index, result in enumerate(results):
        series, style = result.series, styles[index % len(styles)]
        minutes = [t / 60 for t in series["time"]]
        suffix = f" [{result.label}]" if len(results) > 1 else ""
        for key in sorted(k for k in series if k.endswith(":load")):
            axes[0].plot(minutes, series[key], style, label=key.split(":")[0] + suffix)
        for key in sorted(k for k in series if k.endswith(":replicas")):
            axes[1].plot(minutes, series[key], style, label=key.split(":")[0] + suffix)
        axes[2].plot(minutes, series["pending"], style, label="pending pods" + suffix)
        for group in ("system", "karpenter", "ca"):
            values = series.get(f"nodes:{group}", [])
            if any(values):
                axes[3].plot(minutes, values, style, label=f"{group} nodes" + suffix)
        for key in sorted(k for k in series if k.startswith("nodes:type:")):
            axes[4].plot(minutes, series[key], style, label=key.removeprefix("nodes:type:") + suffix)
    labels = ["load (requests/s; replicas for inflate, tester)", "replicas", "pending pods", "nodes by group",
              "nodes by type"]
    for axis, label in zip(axes, labels):
        axis.set_ylabel(label)
        axis.grid(alpha=0.3)
        axis.legend(fontsize=7, loc="upper right")
    axes[-1].set_xlabel("minutes")
    figure.suptitle(title)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=90)
    plt.close(figure)
    return path


def _slug(text: str) -> str:
    return "".join(char if char.isalnum() or char in "-_." else "-" for char in text) or "plan"
