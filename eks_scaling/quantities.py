"""Quantity kinds of settings (counts, CPU, memory, durations) and the bounded parser every one of them uses.

A bounded setting states its range and why: what AWS or Kubernetes accepts, or what a controller needs
to run. The range is in the kind's base unit (count, millicores, MiB, seconds). This module must not
import aws-cdk-lib.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from typing import Any, Callable

from eks_scaling.setting_parsers import ConfigError
from eks_scaling.typed_text import ascii_pattern, full_match

_MEMORY_UNITS = {"Ti": 1024 * 1024, "Gi": 1024, "Mi": 1}
_DURATION_UNITS = {"h": 3600, "m": 60, "s": 1}
# Prometheus's units (a year is 365 days, prometheus/common model.ParseDuration).
_RETENTION_UNITS = {"y": 365 * 86400, "w": 7 * 86400, "d": 86400, "h": 3600}
_NUMBER_UNIT = ascii_pattern(r"([0-9]+)([a-z])")


def _largest_unit(value: int, units: dict[str, int]) -> str:
    for unit, size in units.items():
        if value % size == 0 and (value or size == 1):
            return f"{value // size}{unit}"
    raise AssertionError(f"{value} has no exact unit in {units}")


def memory_mib(text: str) -> int:
    """Mi, Gi or Ti -> MiB."""
    return int(text[:-2]) * _MEMORY_UNITS[text[-2:]]


def cpu_millicores(text: str) -> int:
    """'500m', '1' or '1.5' -> millicores (a fraction finer than 1m is rounded down, as Kubernetes
    rejects it anyway)."""
    return int(text[:-1]) if text.endswith("m") else int(float(text) * 1000)


def seconds(text: str) -> int:
    """'1h30m', '15d', ... -> seconds."""
    units = _RETENTION_UNITS if text[-1] in "dwy" else _DURATION_UNITS
    return sum(int(number) * units[unit] for number, unit in _NUMBER_UNIT.findall(text))


def _cpu_text(millicores: int) -> str:
    return str(millicores // 1000) if millicores % 1000 == 0 else f"{millicores}m"


@dataclass(frozen=True)
class Kind:
    noun: str
    pattern: re.Pattern[str]
    to_base: Callable[[str], int]
    to_text: Callable[[int], str]
    resolution: int = 1  # the smallest step the text can express, in the base unit


COUNT = Kind("a whole number", ascii_pattern(r"-?[0-9]+"), int, str)
CPU = Kind("a CPU quantity", ascii_pattern(r"[0-9]+m|[0-9]+(\.[0-9]+)?"), cpu_millicores, _cpu_text)
MEMORY = Kind("a memory quantity", ascii_pattern(r"[0-9]+(Mi|Gi|Ti)"), memory_mib,
              lambda mib: _largest_unit(mib, _MEMORY_UNITS))
VOLUME = replace(MEMORY, noun="a volume size")
DURATION = Kind("a duration", ascii_pattern(r"([0-9]+(s|m|h))+"), seconds,
                lambda s: _largest_unit(s, _DURATION_UNITS))
RETENTION = Kind("a retention", ascii_pattern(r"[0-9]+(h|d|w|y)"), seconds,
                 lambda s: _largest_unit(s, _RETENTION_UNITS), resolution=3600)


@dataclass(frozen=True)
class Bounded:
    """A parser for one quantity setting: kind, inclusive range in the kind's base unit, and the reason.

    Returns ints for counts and the (stripped) text for the others, which manifests take as is.
    """

    kind: Kind
    low: int
    high: int
    reason: str
    steps: tuple[int, ...] = ()  # if given, the only values accepted within the range

    @property
    def allowed(self) -> str:
        if self.steps:
            return f"expected one of {', '.join(map(self.kind.to_text, self.steps))} ({self.reason})"
        return (f"expected {self.kind.noun} from {self.kind.to_text(self.low)} to {self.kind.to_text(self.high)} "
                f"({self.reason})")

    def within(self, high: int, reason: str) -> Bounded:
        """The same setting with a range narrowed by another setting."""
        return replace(self, high=min(self.high, high), reason=reason)

    def accepts(self, value: int) -> bool:
        return self.low <= value <= self.high and (not self.steps or value in self.steps)

    def __call__(self, key: str, raw: Any) -> Any:
        text = str(raw).strip() if isinstance(raw, (str, int)) and not isinstance(raw, bool) else None
        if text is None or not full_match(self.kind.pattern, text) or not self.accepts(self.kind.to_base(text)):
            raise ConfigError(f"invalid setting {key}={json.dumps(raw)}: {self.allowed}")
        return int(text) if self.kind is COUNT else text


@dataclass(frozen=True)
class BoundedOrNever(Bounded):
    """A bounded duration that may also be `Never`, as Karpenter's NodePool durations may."""

    @property
    def allowed(self) -> str:
        return super().allowed + ", or Never"

    def __call__(self, key: str, raw: Any) -> Any:
        if isinstance(raw, str) and raw.strip() == "Never":
            return "Never"
        return super().__call__(key, raw)
