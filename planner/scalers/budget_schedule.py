"""When a Karpenter disruption budget with `schedule` and `duration` is active: from each hit of its cron
schedule (UTC) for `duration`, and only then. Outside its window a budget does not limit disruption.

Upstream: kubernetes-sigs/karpenter at the commit aws/karpenter-provider-aws v1.14.1 pins (6e7eab7a0f48),
pkg/apis/v1/nodepool.go Budget.IsActive (lines 412-426): the next hit of the schedule after now - duration
is not after now; GetAllowedDisruptions (lines 382-389): an inactive budget allows MaxInt32. The schedule
is robfig/cron's standard form, parsed by eks_scaling/cron.py (the setting's validator); a day matches
the day of month or the weekday when both are restricted (spec.go dayMatches).
The plan's clock starts at PLAN_START (planner/engine/assumptions.py).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from eks_scaling.cron import allowed
from planner.engine.assumptions import PLAN_START

SEARCH_YEARS = 5  # a schedule with no hit in this long (30 February) never hits


class Schedule:
    def __init__(self, expression: str) -> None:
        (self.minutes, _), (self.hours, _), (self.days, any_day), (self.months, _), (self.weekdays, any_weekday) = \
            allowed(expression)
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
