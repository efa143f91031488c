"""Cron expressions as Karpenter reads a disruption budget's schedule: robfig/cron v3's standard parser
(kubernetes-sigs/karpenter pkg/apis/v1/nodepool.go, Budget.IsActive: cron.ParseStandard("TZ=UTC " + schedule)).

Five fields (minute hour day-of-month month day-of-week), each `*` or `?`, a value, a range a-b, a step
`/n` after either, or a comma-separated list of these; or a descriptor such as @daily. The bounds and
names are robfig/cron v3 parser.go's. This module must not import aws-cdk-lib.
"""

from __future__ import annotations

from eks_scaling.typed_text import ascii_pattern, full_match

# Each descriptor and the five fields it stands for (robfig/cron v3 parser.go parseDescriptor).
DESCRIPTORS = {"@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *", "@weekly": "0 0 * * 0",
               "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *"}
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


def allowed(expression: str) -> list[tuple[frozenset[int], bool]]:
    """Each field of a schedule cron_problem accepts: the values it allows, and whether it is unrestricted
    (`*` or `?`, which decides how day of month and day of week combine)."""
    fields = DESCRIPTORS.get(expression, expression).split()
    return [_allowed(text, low, high, names) for text, (_, low, high, names) in zip(fields, FIELDS)]


def _allowed(text: str, low: int, high: int, names: tuple[str, ...]) -> tuple[frozenset[int], bool]:
    values: set[int] = set()
    for part in text.split(","):
        span, _, step = part.partition("/")
        if span in ("*", "?"):
            start, end = low, high
        else:
            first, _, last = span.partition("-")
            start = _value(first, low, high, names)
            end = _value(last, low, high, names) if last else high if step else start
        values.update(range(start, end + 1, int(step) if step else 1))
    return frozenset(values), text in ("*", "?")
