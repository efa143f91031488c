"""Cron expressions as Karpenter reads a disruption budget's schedule: robfig/cron v3's standard parser
(kubernetes-sigs/karpenter pkg/apis/v1/nodepool.go, Budget.IsActive: cron.ParseStandard("TZ=UTC " + schedule)).

Five fields (minute hour day-of-month month day-of-week), each `*` or `?`, a value, a range a-b, a step
`/n` after either, or a comma-separated list of these; or a descriptor such as @daily. The bounds and
names are robfig/cron v3 parser.go's. This module must not import aws-cdk-lib.
"""

from __future__ import annotations

from eks_scaling.typed_text import ascii_pattern, full_match

DESCRIPTORS = ("@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly")
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
# (name, lowest, highest, names from the lowest value on)
FIELDS = (("minute", 0, 59, ()), ("hour", 0, 23, ()), ("day of month", 1, 31, ()), ("month", 1, 12, _MONTHS),
          ("day of week", 0, 6, _DAYS))
_PART = ascii_pattern(r"(\*|\?|[0-9a-zA-Z]+(-[0-9a-zA-Z]+)?)(/[0-9]+)?")


def _value(text: str, low: int, high: int, names: tuple[str, ...]) -> int | None:
    if text.lower() in names:
        return low + names.index(text.lower())
    value = int(text) if text.isdigit() else None
    return value if value is not None and low <= value <= high else None


def cron_problem(expression: str) -> str | None:
    """None for a schedule Karpenter accepts; else what is wrong with it, in a few words."""
    if expression != expression.strip():
        return "no leading or trailing space or newline"
    if expression.startswith("@"):
        return None if expression in DESCRIPTORS else f"{expression} is not one of " + ", ".join(DESCRIPTORS)
    fields = expression.split()
    if len(fields) != len(FIELDS):
        return f"a schedule has {len(FIELDS)} fields (minute hour day-of-month month day-of-week), not {len(fields)}"
    for text, (name, low, high, names) in zip(fields, FIELDS):
        for part in text.split(","):
            match = full_match(_PART, part)
            if not match:
                return f"the {name} field {text!r} is not cron"
            if match.group(1) not in ("*", "?"):
                ends = [_value(end, low, high, names) for end in match.group(1).split("-")]
                if None in ends or ends[0] > ends[-1]:
                    return f"the {name} field {text!r} is outside {low}-{high}"
            if match.group(3) and int(match.group(3)[1:]) == 0:
                return f"the {name} field {text!r} has a step of 0"
    return None
