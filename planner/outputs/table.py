"""The summary table a plan prints: one column per run, numbers written for people. With the latency
range, each cell is the typical run's value with the range across the latency sets, and a conclusion that
changes within that range (which run is faster, whether capacity is reached) is marked with a "!"."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Callable

from planner.engine.assumptions import RANGE
from planner.simulation import Result

TYPICAL = "typical"


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


@dataclass(frozen=True)
class Kind:
    """How a row's values read and when two of them differ enough to call one run ahead."""
    text: Callable[[float], str]
    tolerance: float  # absolute; differences within it, or within 5 %, are a tie


DURATION, COUNT, USD = Kind(duration_text, 5.0), Kind(count_text, 1.0), Kind(lambda usd: f"${usd:,.2f}", 0.01)
YES_NO = None  # rows of booleans: a conclusion in itself

WORKLOAD_ROWS = (("peak_replicas", "peak replicas", COUNT), ("time_to_capacity_s", "time to capacity", DURATION),
                 ("capacity_reached", "capacity reached", YES_NO),
                 ("last_rise_cut_off_s", "last rise cut off after", DURATION),
                 ("pending_pod_seconds", "pending pod-seconds", COUNT), ("pods_never_placed", "pods never placed", COUNT))
OPTIONAL = {"last_rise_cut_off_s"}  # rows shown only where some run has a value
CLUSTER_ROWS = (("peak_nodes", "peak nodes", COUNT), ("pending_pod_seconds", "pending pod-seconds", COUNT),
                ("pods_never_placed", "pods never placed", COUNT), ("cost_usd", "cost", USD))

# What the rows mean: printed under every table and in the report.
DEFINITIONS = (
    "Definitions. A rise: the load (requests/s, or a node demo's replicas) going up, until it next changes. Time "
    'to capacity: the slowest rise, from its start until the workload has its desired pods Ready and, when '
    "autoscaled, the true load per pod, as the HPA reads it, within the HPA's tolerance of the target (10 % "
    "unless behavior sets another; or at maxReplicas); '-' if a rise never got there. Capacity reached: every "
    "rise got capacity before the load changed again; 'NO' if one did not. A rise the end of the window cuts off "
    "before capacity is not a failure: it is left out of both and shown as 'last rise cut off after' (how long it"
    ' had waited). Pending pod-seconds: seconds pods spent Pending, summed. Pods never placed: pods that never '
    'got a node (deleted while Pending, or still Pending at the end). Cost: on-demand (and Spot) node-hours of '
    "every node, system nodes included, at the plan's prices. The plan starts from a settled cluster: start-up is"
    ' in none of these.')


def _rows(results: list[Result]) -> list[tuple[str, Kind | None, Callable[[dict], object]]]:
    rows = []
    for name in sorted({name for result in results for name in result.summary["workloads"]}):
        rows += [(f"{name}: {title}", kind, lambda s, name=name, key=key: s["workloads"].get(name, {}).get(key))
                 for key, title, kind in WORKLOAD_ROWS
                 if key not in OPTIONAL or any(r.summary["workloads"].get(name, {}).get(key) is not None
                                               for r in results)]
    rows += [(f"cluster: {title}", kind, lambda s, key=key: s["cluster"][key]) for key, title, kind in CLUSTER_ROWS]
    if any("auto_mode_fee_usd" in result.summary["cluster"] for result in results):
        rows.append(("cluster: of which Auto Mode fee", USD, lambda s: s["cluster"].get("auto_mode_fee_usd")))
    for kind in sorted({kind for result in results for kind in result.summary["cluster"]["node_hours"]}):
        rows.append((f"cluster: node-hours {kind}", COUNT, lambda s, kind=kind: s["cluster"]["node_hours"].get(kind)))
    return rows


def _text(value, kind: Kind | None) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "NO"
    return kind.text(value)


def _range_text(values: list, kind: Kind | None) -> str:
    """The typical value, then (lowest to highest) across the latency sets when they differ; '-' is highest."""
    typical = _text(values[0], kind)
    if kind is YES_NO:
        return typical
    ordered = sorted(values, key=lambda v: (v is None, v or 0))
    low, high = _text(ordered[0], kind), _text(ordered[-1], kind)
    return typical if low == high else f"{typical} ({low} to {high})"


def ahead(a, b, kind: Kind) -> int:
    """-1 if a is lower (never reached counts as highest), 1 if b is, 0 if they tie."""
    if a is None or b is None:
        return 0 if a is b else (1 if a is None else -1)
    if abs(a - b) <= max(kind.tolerance, 0.05 * max(abs(a), abs(b))):
        return 0
    return -1 if a < b else 1


def _flip(title: str, kind: Kind | None, labels: list[str], levels: dict[str, list]) -> str | None:
    """Why this row's conclusion depends on the latencies, or None if it holds across the range."""
    if kind is YES_NO:
        for index, label in enumerate(labels):
            seen = {level: _text(values[index], kind) for level, values in levels.items() if values[index] is not None}
            if len(set(seen.values())) > 1:
                return f"! {title} flips within the latency range: in {label}, {_grouped(seen)}"
        return None
    for (i, first), (j, second) in itertools.combinations(enumerate(labels), 2):
        verdicts = {level: ahead(values[i], values[j], kind) for level, values in levels.items()}
        if {-1, 1} <= set(verdicts.values()):
            lower = {level: first if verdict < 0 else second for level, verdict in verdicts.items() if verdict}
            return f"! {title} flips within the latency range: lower in {_grouped(lower)}"
    return None


def _grouped(by_level: dict[str, str]) -> str:
    """{"optimistic": "a", "typical": "b", "pessimistic": "b"} -> "a with optimistic, b with typical and
    pessimistic latencies"."""
    groups: dict[str, list[str]] = {}
    for level in sorted(by_level, key=RANGE.index):
        groups.setdefault(by_level[level], []).append(level)
    return ", ".join(f"{value} with {' and '.join(levels)}" for value, levels in groups.items()) + " latencies"


def summary_table(levels: dict[str, list[Result]], marked: dict[str, set[str]] | None = None) -> str:
    """One column per run (results of the same runs under each latency set, typical first); a workload
    `marked` for a run gets a * there. Ends with a note per conclusion that flips within the range."""
    rows, notes = summary_rows(levels, marked)
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(width) if column == 0 else cell.rjust(width)
                       for column, (cell, width) in enumerate(zip(row, widths))) for row in rows]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines + notes)


def summary_rows(levels: dict[str, list[Result]],
                 marked: dict[str, set[str]] | None = None) -> tuple[list[list[str]], list[str]]:
    """The table's cells (a header row of run labels, then one row per figure) and its flip notes."""
    typical = levels[TYPICAL]
    labels = [result.label for result in typical]
    rows, notes = [["", *labels]], []
    for title, kind, value in _rows(typical):
        by_level = {level: [value(result.summary) for result in results] for level, results in levels.items()}
        cells = [_range_text([by_level[level][index] for level in levels], kind) for index in range(len(labels))]
        name = title.split(":")[0]
        cells = [cell + (" *" if name in (marked or {}).get(label, ()) else "") for cell, label in zip(cells, labels)]
        flip = _flip(title, kind, labels, by_level) if len(levels) > 1 else None
        if flip:
            notes.append(flip)
        rows.append([("! " if flip else "") + title, *cells])
    return rows, notes
