"""--sweep KEY=V1,V2 (repeatable): plan every combination of the swept settings and print one row each,
with the cost against time-to-capacity plot: one panel per workload with its own Pareto front (the
combinations no other one beats on both cost and that workload's p95 time to capacity). The table's
front column is over the workloads' mean p95, a summary of the panels."""

from __future__ import annotations

import argparse
import csv
import itertools
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from eks_scaling.parse_settings import parse_config
from eks_scaling.settings import AppConfig
from eks_scaling.typed_text import ascii_pattern, full_match
from planner.engine.inputs import InputError
from planner.engine.scenario import Scenario
from planner.outputs.table import duration_text
from planner.simulation import Simulation

_COUNT = ascii_pattern(r"[0-9]+")
NEVER = math.inf  # a rise whose capacity never came
# Each combination is a full plan (seconds each): past this a sweep runs for many minutes, so it is refused
# unless --max-combinations asks for more, up to a bound that still ends within hours.
DEFAULT_MAX_COMBINATIONS = 64
MAX_COMBINATIONS = 4096


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--sweep", action="append", default=[], metavar="KEY=V1,V2",
                        help="plan every combination of these settings' values (repeatable), one row each, "
                             "and plot cost against time to capacity with the Pareto front")
    parser.add_argument("--max-combinations", default=str(DEFAULT_MAX_COMBINATIONS), metavar="N",
                        help=f"plan a sweep of up to N combinations (default {DEFAULT_MAX_COMBINATIONS}, "
                             f"at most {MAX_COMBINATIONS})")


def axes(texts: list[str]) -> dict[str, list[str]]:
    """KEY=V1,V2 per flag -> {key: values}; one line for a malformed or repeated key."""
    found: dict[str, list[str]] = {}
    for text in texts:
        key, equals, values = text.partition("=")
        choices = [value.strip() for value in values.split(",") if value.strip()]
        if not equals or not key or not choices:
            raise InputError(f"--sweep takes KEY=V1,V2, got {text!r}")
        if key in found:
            raise InputError(f"--sweep {key} is given twice: list all its values in one flag")
        if len(set(choices)) != len(choices):
            raise InputError(f"--sweep {key} repeats a value: {values}")
        found[key] = choices
    return found


def bounded(swept: dict[str, list[str]], limit_text: str) -> int:
    """The number of combinations, refused past --max-combinations (itself at most MAX_COMBINATIONS)."""
    if not full_match(_COUNT, limit_text) or not 1 <= int(limit_text) <= MAX_COMBINATIONS:
        raise InputError(f"--max-combinations takes a whole number from 1 to {MAX_COMBINATIONS}, got {limit_text!r}")
    count = math.prod(len(values) for values in swept.values())
    if count > int(limit_text):
        shape = " x ".join(f"{len(values)} {key}" for key, values in swept.items())
        raise InputError(f"--sweep plans {count} combinations ({shape}), more than --max-combinations {limit_text}; "
                         "each is a full plan: narrow the values, or raise --max-combinations")
    return count


def combinations(base: dict, swept: dict[str, list[str]]) -> list[tuple[dict[str, str], AppConfig]]:
    """Every combination, each parsed as the app would parse it (a bad one fails with its own line)."""
    grid = []
    for values in itertools.product(*swept.values()):
        changed = dict(zip(swept, values))
        grid.append((changed, parse_config({**base, **changed})))
    return grid


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile (NEVER if any rise never got capacity and ranks there)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


@dataclass(frozen=True)
class Row:
    changed: dict[str, str]
    time_to_capacity: dict[str, tuple[float, float]]  # workload -> (p50, p95) over its load's rises, seconds
    pending_pod_seconds: float
    pods_disrupted: int
    placeholders_preempted: int
    node_hours: float
    cost_usd: float

    @property
    def mean_p95(self) -> float:
        times = [p95 for _, p95 in self.time_to_capacity.values()]
        return sum(times) / len(times) if times else 0.0


def plan(changed: dict[str, str], config: AppConfig, scenario: Scenario, **options) -> Row:
    simulation = Simulation(config, scenario, **options)
    summary = simulation.run().summary["cluster"]
    # A rise the end of the window cuts off before capacity is left out, as in the plan's table.
    waits = {name: [NEVER if wait is None else wait for _, end, wait in rises
                    if wait is not None or end < scenario.duration] for name, rises in simulation.rises.items()}
    waits = {name: values for name, values in waits.items() if values}
    return Row(changed, {name: (percentile(values, 0.5), percentile(values, 0.95)) for name, values in waits.items()},
               summary["pending_pod_seconds"], summary["pods_disrupted"], summary["placeholders_preempted"],
               round(sum(summary["node_hours"].values()), 3), summary["cost_usd"])


def pareto(rows: list[Row]) -> list[Row]:
    """The rows no other row beats on both cost and mean p95 (at least as good on both, better on one)."""
    def beaten(row: Row) -> bool:
        return any(other.cost_usd <= row.cost_usd and other.mean_p95 <= row.mean_p95
                   and (other.cost_usd, other.mean_p95) != (row.cost_usd, row.mean_p95) for other in rows)
    return [row for row in rows if not beaten(row)]


def _seconds(value: float) -> str:
    return "never" if value == NEVER else duration_text(value)


def table(rows: list[Row]) -> list[list[str]]:
    """Header, then one line per combination; * marks the Pareto front."""
    workloads = sorted({name for row in rows for name in row.time_to_capacity})
    keys = list(rows[0].changed)
    header = [*keys, *(f"{name} p50/p95" for name in workloads), "pending pod-s", "pods disrupted",
              "placeholders preempted", "node-hours", "cost", "front"]
    front = set(map(id, pareto(rows)))
    lines = [header]
    for row in rows:
        lines.append([*(row.changed[key] for key in keys),
                      *(" / ".join(map(_seconds, row.time_to_capacity[name])) if name in row.time_to_capacity
                        else "-" for name in workloads),
                      f"{row.pending_pod_seconds:g}", str(row.pods_disrupted), str(row.placeholders_preempted),
                      f"{row.node_hours:g}", f"${row.cost_usd:,.2f}", "*" if id(row) in front else ""])
    return lines


def text(lines: list[list[str]]) -> str:
    widths = [max(len(line[column]) for line in lines) for column in range(len(lines[0]))]
    return "\n".join("  ".join(cell.ljust(width) for cell, width in zip(line, widths)).rstrip() for line in lines)


def write_csv(lines: list[list[str]], path: Path) -> Path:
    with path.open("w", newline="") as handle:
        csv.writer(handle).writerows(lines)
    return path


def front_of(rows: list[Row], workload: str) -> list[Row]:
    """The rows no other beats on both cost and this workload's p95 time to capacity."""
    def p95(row: Row) -> float:
        return row.time_to_capacity.get(workload, (NEVER, NEVER))[1]

    def beaten(row: Row) -> bool:
        return any(other.cost_usd <= row.cost_usd and p95(other) <= p95(row)
                   and (other.cost_usd, p95(other)) != (row.cost_usd, p95(row)) for other in rows)
    return [row for row in rows if not beaten(row)]


def plot_front(rows: list[Row], path: Path, title: str) -> Path:
    """One panel per workload: cost against that workload's p95 time to capacity (a mean over workloads
    would let a fast one hide a slow one), its Pareto front joined, each point labelled with its values
    (combinations at the same point share one label)."""
    import matplotlib
    matplotlib.use("Agg")
    from matplotlib import pyplot

    workloads = sorted({name for row in rows for name in row.time_to_capacity})
    figure, axes = pyplot.subplots(len(workloads), 1, figsize=(9, 3.2 * len(workloads) + 0.8), squeeze=False)
    for axis, name in zip(axes[:, 0], workloads):
        finite = [row for row in rows if row.time_to_capacity.get(name, (NEVER, NEVER))[1] != NEVER]
        front = sorted((row for row in front_of(rows, name) if row in finite),
                       key=lambda row: row.time_to_capacity[name][1])
        axis.scatter([row.time_to_capacity[name][1] for row in finite], [row.cost_usd for row in finite],
                     color="0.6", zorder=3, label="combination")
        axis.plot([row.time_to_capacity[name][1] for row in front], [row.cost_usd for row in front], "o-",
                  color="tab:red", zorder=4, label="Pareto front")
        points: dict[tuple[float, float], list[str]] = {}
        for row in finite:
            points.setdefault((row.time_to_capacity[name][1], row.cost_usd), []).append(", ".join(row.changed.values()))
        for (x, y), labels in points.items():
            axis.annotate("\n".join(labels), (x, y), textcoords="offset points", xytext=(5, 3), fontsize=7)
        never = len(rows) - len(finite)
        axis.set_title(f"{name}" + (f" ({never} combination(s) never reach capacity: not drawn)" if never else ""),
                       fontsize=9, loc="left")
        axis.set_xlabel(f"{name}: p95 time to capacity (s)")
        axis.set_ylabel("cost (USD)")
        axis.margins(x=0.25, y=0.15)
        axis.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    figure.suptitle(title + "; points: " + ", ".join(rows[0].changed), fontsize=10)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    pyplot.close(figure)
    return path


def run(swept: dict[str, list[str]], base: dict, scenario: Scenario, out: Path, *, plot: bool,
        options: dict, progress: Callable[[str], None] | None = None) -> tuple[list[list[str]], list[Path]]:
    """Plan the grid; the table's cells, and the files written (CSV, and the plot unless plot=False)."""
    rows = []
    for changed, config in combinations(base, swept):
        if progress:
            progress(" ".join(f"{k}={v}" for k, v in changed.items()))
        rows.append(plan(changed, config, scenario, **options))
    lines = table(rows)
    stem = f"sweep_{scenario.name}_" + "_".join(swept)
    written = [write_csv(lines, out / f"{stem}.csv")]
    if plot:
        written.append(plot_front(rows, out / f"{stem}.png", f"{scenario.name}: cost against time to capacity"))
    return lines, written
