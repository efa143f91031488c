"""What a plan produces: a summary table, time series as CSV and JSON, and a PNG plot."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

from planner.simulation import Result


def duration_text(seconds: float) -> str:
    """For people: 45 s, 2 min 30 s, 40 min, 1 h 30 min, 48 h."""
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        minutes, rest = divmod(seconds, 60)
        return f"{minutes} min" + (f" {rest} s" if rest else "")
    hours, rest = divmod(round(seconds / 60), 60)
    return f"{hours} h" + (f" {rest} min" if rest else "")


def count_text(value: float) -> str:
    """For people: 3 significant digits past a thousand, with k, M or G (59.6 M, not 5.96271e+07)."""
    for factor, suffix in ((1e9, " G"), (1e6, " M"), (1e3, " k")):
        if abs(value) >= factor:
            return f"{value / factor:.3g}{suffix}"
    return f"{value:.3g}" if value != int(value) else str(int(value))


def _cell(value, kind: str) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "NO"
    if kind == "duration":
        return duration_text(value)
    if kind == "usd":
        return f"${value:,.2f}"
    return count_text(value)


def summary_table(results: list[Result], marked: dict[str, set[str]] | None = None) -> str:
    """One column per run: each workload's peak replicas, time to capacity and pending pod-seconds,
    then the cluster's peak nodes, node-hours and cost. A workload `marked` for a run gets a * there."""
    rows: list[list[str]] = [["", *(result.label for result in results)]]
    names = sorted({name for result in results for name in result.summary["workloads"]})
    for name in names:
        for key, title, kind in (("peak_replicas", "peak replicas", "count"),
                                 ("time_to_capacity_s", "time to capacity", "duration"),
                                 ("capacity_reached", "capacity reached", "yes/no"),
                                 ("pending_pod_seconds", "pending pod-seconds", "count")):
            rows.append([f"{name}: {title}", *(_cell(result.summary["workloads"].get(name, {}).get(key), kind)
                                               + (" *" if name in (marked or {}).get(result.label, ()) else "")
                                               for result in results)])
    for key, title, kind in (("peak_nodes", "cluster: peak nodes", "count"),
                             ("pending_pod_seconds", "cluster: pending pod-seconds", "count"),
                             ("cost_usd", "cluster: cost", "usd")):
        rows.append([title, *(_cell(result.summary["cluster"][key], kind) for result in results)])
    types = sorted({name for result in results for name in result.summary["cluster"]["node_hours"]})
    for name in types:
        rows.append([f"cluster: node-hours {name}",
                     *(_cell(result.summary["cluster"]["node_hours"].get(name), "count") for result in results)])
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(width) if column == 0 else cell.rjust(width)
                       for column, (cell, width) in enumerate(zip(row, widths))) for row in rows]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def write_series(result: Result, stem: Path) -> list[Path]:
    """<stem>.csv and <stem>.json: every recorded series, one row per recorded time."""
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


def slug(text: str) -> str:
    """A file-name part: letters, digits, '-' and '.'; anything else becomes '-'."""
    return "".join(char if char.isalnum() or char in "-." else "-" for char in text) or "plan"
