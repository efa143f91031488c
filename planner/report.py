"""What a plan writes: time series as CSV and JSON, and a PNG plot (the table is planner/table.py)."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

from planner.simulation import Result


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
