"""Load profiles: request rates per demo workload over time, and replica counts of the node demos.

Built-in scenarios, or a CSV in wide form: a `time_s` column, then one column per workload (request
rates for php-apache, podinfo, podinfo-keda; replica counts for inflate and tester). Each row holds
from its time until the next row's.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field
from pathlib import Path

from eks_scaling.setting_bounds import DEMO_REPLICAS
from eks_scaling.typed_text import ascii_float
from planner.engine.assumptions import CHAPTER_RATES

RATE_WORKLOADS = ("php-apache", "podinfo", "podinfo-keda")
REPLICA_WORKLOADS = ("inflate", "tester")
WORKLOADS = RATE_WORKLOADS + REPLICA_WORKLOADS


class ScenarioError(ValueError):
    """A load profile a user gave is wrong; the message says where."""


@dataclass
class Scenario:
    name: str
    duration: float
    # workload -> sorted [(from time, value)]: requests/s, or replicas for inflate/tester
    steps: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    prometheus_outages: list[tuple[float, float]] = field(default_factory=list)

    def cursor(self, workload: str) -> "Cursor":
        return Cursor(self.steps.get(workload, []))

    def load_steps(self, workload: str) -> list[tuple[float, float]]:
        """(start, end) of each rise of the workload's load or replica count, until its next change."""
        steps = self.steps.get(workload, [])
        # When each step's value next changes, found from the end: one pass, so a long CSV stays linear.
        change, changes = self.duration, [0.0] * len(steps)
        for index in range(len(steps) - 1, -1, -1):
            if index + 1 < len(steps) and steps[index + 1][1] != steps[index][1]:
                change = steps[index + 1][0]
            changes[index] = change
        rises, previous = [], 0.0
        for (start, value), end in zip(steps, changes):
            if value > previous:
                rises.append((start, end))
            previous = value
        return rises

    def prometheus_up(self, time: float) -> bool:
        return not any(start <= time < end for start, end in self.prometheus_outages)


class Cursor:
    """The value of one step series at times that only move forward, in constant time per call."""

    def __init__(self, steps: list[tuple[float, float]]) -> None:
        self.steps, self.index, self.current = steps, 0, 0.0

    def next_change(self) -> float:
        """When the value next changes (infinity: never)."""
        return self.steps[self.index][0] if self.index < len(self.steps) else math.inf

    def at(self, time: float) -> float:
        while self.index < len(self.steps) and self.steps[self.index][0] <= time:
            self.current = self.steps[self.index][1]
            self.index += 1
        return self.current


def chapter() -> Scenario:
    """The chapter's hand-run tests: load generators for 20 minutes, inflate to 5, tester to 150."""
    on, off = 60.0, 1260.0
    steps = {name: [(0.0, 0.0), (on, rate), (off, 0.0)] for name, rate in CHAPTER_RATES.items()}
    steps["inflate"] = [(0.0, 0.0), (on, 5.0), (off, 0.0)]
    steps["tester"] = [(0.0, 0.0), (on, 150.0), (off, 0.0)]
    return Scenario("chapter", 2400.0, steps)


def steady(hours: float = 2.0) -> Scenario:
    steps = {name: [(0.0, rate / 2)] for name, rate in CHAPTER_RATES.items()}
    return Scenario("steady", hours * 3600, steps)


def spike(hours: float = 3.0) -> Scenario:
    """Base load, then 4x for an hour from t=30 min (a campaign), then base again."""
    steps = {name: [(0.0, rate / 2), (1800.0, rate * 2), (5400.0, rate / 2)] for name, rate in CHAPTER_RATES.items()}
    return Scenario("spike", hours * 3600, steps)


def diurnal(hours: float = 24.0, step: float = 300.0) -> Scenario:
    """Days: from a quarter of peak at night to peak at 14:00, changing every `step` seconds; a run
    longer than a day repeats it."""
    times = [i * step for i in range(int(hours * 3600 / step))]
    shape = [0.625 - 0.375 * math.cos(2 * math.pi * (t / 86400.0 - 14 / 24 + 0.5)) for t in times]
    steps = {name: [(t, round(2 * rate * level, 3)) for t, level in zip(times, shape)]
             for name, rate in CHAPTER_RATES.items()}
    return Scenario("diurnal", hours * 3600, steps)


def fallback() -> Scenario:
    """KEDA's fallback: podinfo-keda under 60 requests/s, and Prometheus unreachable from 10 to 20 min."""
    steps = {"podinfo": [(0.0, 0.0), (60.0, 20.0), (2100.0, 0.0)],
             "podinfo-keda": [(0.0, 0.0), (60.0, 60.0), (2100.0, 0.0)]}
    return Scenario("fallback", 2700.0, steps, prometheus_outages=[(600.0, 1200.0)])


BUILT_IN = {"chapter": chapter, "steady": steady, "spike": spike, "diurnal": diurnal, "fallback": fallback}
SCALABLE = {"steady", "spike", "diurnal"}  # profiles drawn for any length; the others hold their last values


def built_in(name: str, hours: float | None = None) -> Scenario:
    """A built-in scenario, `hours` long if given (its own length otherwise)."""
    if hours is None:
        return BUILT_IN[name]()
    if name in SCALABLE:
        return BUILT_IN[name](hours)
    scenario = BUILT_IN[name]()
    scenario.duration = hours * 3600
    return scenario


def from_csv(path: Path, *, duration: float | None = None) -> Scenario:
    """Read a wide CSV; every error names the file, the line and what is wrong."""
    rows = _csv_rows(path)
    if not rows or not rows[0] or rows[0][0].strip() != "time_s":
        raise ScenarioError(f"{path}:1: the header must start with time_s, then workload columns "
                            f"({', '.join(WORKLOADS)})")
    columns = [name.strip() for name in rows[0][1:]]
    if not columns:
        raise ScenarioError(f"{path}:1: no workload columns after time_s")
    for index, name in enumerate(columns):
        if name not in WORKLOADS:
            raise ScenarioError(f"{path}:1: unknown workload {name!r}; known: {', '.join(WORKLOADS)}")
        if name in columns[:index]:
            raise ScenarioError(f"{path}:1: workload {name} has two columns; give each workload one")
    steps: dict[str, list[tuple[float, float]]] = {name: [] for name in columns}
    last_time = None
    for number, row in enumerate(rows[1:], start=2):
        if not row or not "".join(row).strip():
            continue
        if len(row) != len(columns) + 1:
            raise ScenarioError(f"{path}:{number}: expected {len(columns) + 1} values, found {len(row)}")
        time = _cell(path, number, "time_s", row[0])
        if last_time is not None and time <= last_time:
            raise ScenarioError(f"{path}:{number}: time_s must increase (got {time:g} after {last_time:g})")
        for name, cell in zip(columns, row[1:]):
            value = _cell(path, number, name, cell)
            if name in REPLICA_WORKLOADS and value != int(value):
                raise ScenarioError(f"{path}:{number}: {name} is a replica count, a whole number; got {cell.strip()}")
            if name in REPLICA_WORKLOADS and value > DEMO_REPLICAS.high:
                raise ScenarioError(f"{path}:{number}: {name} asks for {cell.strip()} replicas; the {name}Replicas "
                                    f"setting's cap is {DEMO_REPLICAS.high} ({DEMO_REPLICAS.reason})")
            if not steps[name] or steps[name][-1][1] != value:  # a row that repeats a value changes nothing
                steps[name].append((time, value))
        last_time = time
    if last_time is None:
        raise ScenarioError(f"{path}: no data rows")
    return Scenario(path.stem, duration or last_time + 600.0, steps)


def _csv_rows(path: Path) -> list[list[str]]:
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ScenarioError(f"{path}: cannot read it ({error.strerror})") from None
    if b"\0" in data:
        raise ScenarioError(f"{path}: a binary file, not a CSV load profile")
    try:
        text = data.decode("utf-8-sig")  # a byte-order mark, as spreadsheets write, is not part of the header
    except UnicodeDecodeError as error:
        raise ScenarioError(f"{path}: not UTF-8 text (byte {error.start}); save it as UTF-8 CSV") from None
    try:
        return list(csv.reader(text.splitlines()))
    except csv.Error as error:
        raise ScenarioError(f"{path}: not a CSV file ({error})") from None


def _cell(path: Path, line: int, column: str, text: str) -> float:
    """A finite, non-negative number: NaN, infinities and negatives would silently poison the plan."""
    try:
        value = ascii_float(text)  # no 1_000 (a spreadsheet would not read it either), no Unicode digits
    except ValueError:
        raise ScenarioError(f"{path}:{line}: {column} is not a number: {text.strip()!r}") from None
    if not math.isfinite(value) or value < 0:
        raise ScenarioError(f"{path}:{line}: {column} must be a non-negative number, got {text.strip()}")
    return value
