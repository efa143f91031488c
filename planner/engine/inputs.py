"""What a user hands the planner on its command line, checked: numbers, durations, the prices file,
the output folder. Each check raises InputError with one line that names the flag or file and the value."""

from __future__ import annotations

import json
import math
from pathlib import Path

from eks_scaling.cdk_json import CdkJsonError, read_json_file
from eks_scaling.typed_text import ascii_float, ascii_pattern
from planner.engine import assumptions as A


class InputError(ValueError):
    """A command-line value or file is wrong; the message names it."""


# The step must land on every period a controller acts on, or the controller would act late or skip.
CONTROLLER_PERIODS = {"the HPA's sync": A.HPA_SYNC_PERIOD, "Cluster Autoscaler's scan": A.CA_SCAN_INTERVAL}


def positive_number(text: str, flag: str) -> float:
    try:
        value = ascii_float(text)
    except ValueError:
        raise InputError(f"{flag} takes a number, got {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise InputError(f"{flag} must be a positive finite number, got {text!r}")
    return value


MAX_HOURS = 31 * 24  # a month: longer plans (and replays) take minutes; a profile of days is better as a CSV
MIN_STEP = 0.1  # no modelled controller acts on a finer period (Karpenter's batch idle is 1 s)


def step_seconds(text: str) -> float:
    step = positive_number(text, "--step")
    if step < MIN_STEP:
        raise InputError(f"--step {text} is finer than any controller acts; the step is at least {MIN_STEP:g} s")
    for name, period in CONTROLLER_PERIODS.items():
        if abs(period / step - round(period / step)) > 1e-9:
            periods = ", ".join(f"{name} every {period:g} s" for name, period in CONTROLLER_PERIODS.items())
            raise InputError(f"--step {text} does not divide {name} period ({period:g} s): the step must divide "
                             f"every controller period ({periods}), e.g. 0.5, 1, 2.5 or 5")
    return step


_DURATION = ascii_pattern(r"([0-9]+(?:\.[0-9]+)?)(h|m|s)")
_UNITS = {"h": 3600.0, "m": 60.0, "s": 1.0}


def duration_seconds(text: str, what: str) -> float:
    """A duration as Kubernetes and Go write it (90s, 2m, 1m30s, 1.5h), in seconds."""
    parts = _DURATION.findall(text)
    if not text or "".join(number + unit for number, unit in parts) != text:
        raise InputError(f"{what}: {text!r} is not a duration (e.g. 45s, 2m, 1m30s)")
    return sum(float(number) * _UNITS[unit] for number, unit in parts)


def latencies(texts: list[str]) -> dict[str, float]:
    """--latency NAME=DURATION (repeatable): seconds by latency name of planner/engine/assumptions.py."""
    found = {}
    for text in texts:
        name, equals, value = text.partition("=")
        if not equals:
            raise InputError(f"--latency takes NAME=DURATION, e.g. ca-node-ready=90s; got {text!r}")
        if name not in A.LATENCIES:
            raise InputError(f"--latency {name}: unknown latency; known: {', '.join(A.LATENCIES)}")
        if name in found:
            raise InputError(f"--latency {name} is given twice")
        found[name] = duration_seconds(value, f"--latency {name}")
        if found[name] > A.MAX_LATENCY_SECONDS:
            raise InputError(f"--latency {name}={value} is longer than {A.MAX_LATENCY_SECONDS:g} s: a node or pod "
                             "that slow did not scale, it failed")
    return found


def read_json(path: Path) -> object:
    """A JSON file, read as cdk.json is; every failure names the file (and the line and column of a syntax error)."""
    try:
        return read_json_file(path)
    except CdkJsonError as error:
        raise InputError(str(error)) from None


# The dearest EC2 instances (u7in-32tb.224xlarge) cost a few hundred USD an hour on demand; ten times more is
# a typo (cents for dollars, a monthly price) or a number that would overflow a summed cost.
MAX_PRICE = 10_000.0


def prices(path: Path) -> dict[str, float]:
    """--prices: a JSON object of on-demand USD per hour by instance type."""
    data = read_json(path)
    if not isinstance(data, dict):
        raise InputError(f'{path}: must be a JSON object of USD/hour by instance type, e.g. {{"m5.large": 0.096}}, '
                         f"got a {type(data).__name__}")
    for kind, price in data.items():
        number = isinstance(price, (int, float)) and not isinstance(price, bool)
        if not number or not math.isfinite(price) or price <= 0:
            raise InputError(f"{path}: the price of {kind} must be a positive number of USD/hour, "
                             f"got {json.dumps(price)}")
        if price > MAX_PRICE:
            raise InputError(f"{path}: the price of {kind}, {json.dumps(price)} USD/hour, is over {MAX_PRICE:g}: "
                             "no EC2 instance costs that (a cost summed from it would overflow the plan)")
    return {kind: float(price) for kind, price in data.items()}


def output_folder(path: Path) -> Path:
    """--out: made now, so a plan never runs only to fail when it writes."""
    if path.exists() and not path.is_dir():
        raise InputError(f"--out {path}: is a file, not a folder")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise InputError(f"--out {path}: cannot create it ({error.strerror})") from None
    probe = path / ".planner-write-test"
    try:
        probe.write_text("")
        probe.unlink()
    except OSError as error:
        raise InputError(f"--out {path}: cannot write there ({error.strerror})") from None
    return path
