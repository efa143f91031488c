"""When a Karpenter disruption budget with `schedule` and `duration` is active: from each hit of its cron
schedule (UTC) for `duration`, and only then. Outside its window a budget does not limit disruption.

Upstream: kubernetes-sigs/karpenter at the commit aws/karpenter-provider-aws v1.14.1 pins (6e7eab7a0f48),
pkg/apis/v1/nodepool.go Budget.IsActive (lines 412-426): the next hit of the schedule after now - duration
is not after now; GetAllowedDisruptions (lines 382-389): an inactive budget allows MaxInt32. The schedule
is robfig/cron's standard form (ParseStandard): five fields or a macro, names for months and weekdays,
and a day that matches the day of month or the weekday when both are restricted (spec.go dayMatches).
The plan's clock starts at PLAN_START (planner/engine/assumptions.py).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from planner.engine.assumptions import PLAN_START

MACROS = {"@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *", "@weekly": "0 0 * * 0",
          "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *"}
NAMES = {**{name: index for index, name in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), start=1)},
         **{name: index for index, name in enumerate(("sun", "mon", "tue", "wed", "thu", "fri", "sat"))}}
BOUNDS = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 6))  # minute, hour, day of month, month, weekday
SEARCH_YEARS = 5  # a schedule with no hit in this long (30 February) never hits


def _value(text: str) -> int:
    return NAMES[text.lower()] if text.lower() in NAMES else int(text)


def _field(text: str, low: int, high: int) -> tuple[set[int], bool]:
    """The values one field allows, and whether it is unrestricted (* or ?)."""
    values: set[int] = set()
    for part in text.split(","):
        span, _, step = part.partition("/")
        if span in ("*", "?"):
            start, end = low, high
        elif "-" in span:
            start, end = (_value(bound) for bound in span.split("-", 1))
        else:
            start = _value(span)
            end = high if step else start
        values |= set(range(start, end + 1, int(step) if step else 1))
    return values, text in ("*", "?")


class Schedule:
    def __init__(self, expression: str) -> None:
        fields = MACROS.get(expression.strip().lower(), expression).split()
        parsed = [_field(text, low, high) for text, (low, high) in zip(fields, BOUNDS)]
        (self.minutes, _), (self.hours, _), (self.days, any_day), (self.months, _), (self.weekdays, any_weekday) = parsed
        self.either_day = not (any_day or any_weekday)  # both restricted: either may match
        self.cached: tuple[datetime, datetime | None] | None = None  # (from, the next hit after it)

    def _day_matches(self, moment: datetime) -> bool:
        by_date, by_weekday = moment.day in self.days, (moment.isoweekday() % 7) in self.weekdays
        return (by_date or by_weekday) if self.either_day else (by_date and by_weekday)

    def next_hit(self, after: datetime) -> datetime | None:
        """The first whole minute strictly after `after` that the schedule matches (cron's Next)."""
        if self.cached and self.cached[0] <= after and (self.cached[1] is None or after < self.cached[1]):
            return self.cached[1]  # no hit between the cached start and its hit: the same answer
        moment = after.replace(second=0, microsecond=0) + timedelta(minutes=1)
        limit = after + timedelta(days=366 * SEARCH_YEARS)
        found = None
        while moment <= limit:
            if moment.month not in self.months:
                moment = (moment.replace(day=1, hour=0, minute=0) + timedelta(days=32)).replace(day=1)
            elif not self._day_matches(moment):
                moment = moment.replace(hour=0, minute=0) + timedelta(days=1)
            elif moment.hour not in self.hours:
                moment = moment.replace(minute=0) + timedelta(hours=1)
            elif moment.minute not in self.minutes:
                moment += timedelta(minutes=1)
            else:
                found = moment
                break
        self.cached = (after, found)
        return found


def is_active(schedule: Schedule, duration: float, now: float) -> bool:
    """Budget.IsActive at plan time `now` (seconds from PLAN_START)."""
    moment = PLAN_START + timedelta(seconds=now)
    hit = schedule.next_hit(moment - timedelta(seconds=duration))
    return hit is not None and hit <= moment
