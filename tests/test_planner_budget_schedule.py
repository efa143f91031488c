"""Karpenter's scheduled disruption budgets: active from each hit of the cron schedule (UTC) for its
duration, and only then. Cases re-expressed from kubernetes-sigs/karpenter pkg/apis/v1/nodepool_budgets_test.go
(at the commit aws/karpenter-provider-aws v1.14.1 pins, 6e7eab7a0f48), on the plan's clock."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from eks_scaling.parse_settings import parse_config
from planner.engine import scenario as S
from planner.engine.assumptions import PLAN_START
from planner.scalers.budget_schedule import Schedule, is_active
from planner.simulation import Simulation
from tests.context import with_defaults

HOUR = 3600.0


def at(moment: datetime) -> float:
    """Plan time of a UTC moment."""
    return (moment - PLAN_START).total_seconds()


@pytest.mark.parametrize(("schedule", "duration", "moment", "active"), [
    ("* * * * *", HOUR, datetime(2000, 6, 15, 12, 30, 30), True),  # "should return that a schedule is active"
    ("@yearly", HOUR, datetime(2000, 6, 15, 12, 30, 30), False),  # "... is inactive"
    ("@daily", 30 * 60, datetime(2000, 5, 31, 23, 0), False),  # "should always consider ... UTC" (00:00+01:00)
    ("@yearly", 24 * HOUR, datetime(2001, 1, 1, 12, 0), True),  # "... hit is in the middle of the duration"
    ("@daily", 48 * HOUR, datetime(2024, 1, 7, 0, 0), True),  # "... duration is longer than the recurrence"
    ("30 6 * * SUN", 10 * 60, datetime(2024, 1, 7, 0, 0), False),  # "... hit is after the duration"
])
def test_is_active_as_upstream(schedule, duration, moment, active):
    assert is_active(Schedule(schedule), duration, at(moment.replace(tzinfo=timezone.utc))) is active


def test_weekday_names_ranges_and_either_day():
    business = Schedule("0 9 * * mon-fri")
    monday = PLAN_START  # the plan starts on a Monday at 00:00 UTC
    assert business.next_hit(monday) == monday.replace(hour=9)
    saturday = datetime(2024, 1, 6, 10, tzinfo=timezone.utc)
    assert business.next_hit(saturday) == datetime(2024, 1, 8, 9, tzinfo=timezone.utc)
    # Day of month and weekday both restricted: either matches (robfig/cron dayMatches).
    assert Schedule("0 0 15 * sun").next_hit(datetime(2024, 1, 1, tzinfo=timezone.utc)) == \
        datetime(2024, 1, 7, tzinfo=timezone.utc)
    assert Schedule("*/15 * * * *").next_hit(datetime(2024, 1, 1, 0, 16, tzinfo=timezone.utc)) == \
        datetime(2024, 1, 1, 0, 30, tzinfo=timezone.utc)
    assert Schedule("0 0 30 feb *").next_hit(PLAN_START) is None


def test_a_business_hours_budget_of_zero_blocks_only_inside_its_window():
    """Issue 18 item 7: a budget of 0 for 9:00-17:00 on weekdays. The load leaves inflate's node empty
    at 02:00 (outside the window): Karpenter removes it then, as upstream; before, the budget held all
    day and the node stayed (a 4 h plan's cost doubled)."""
    budgets = '[{"nodes": "0", "schedule": "0 9 * * mon-fri", "duration": "8h"}, {"nodes": "10%"}]'
    config = parse_config(with_defaults({"karpenterDisruptionBudgets": budgets, "enableMetricsServer": "false",
                                         "enablePrometheus": "false", "enableKeda": "false"}))
    night = S.Scenario("night", 4 * HOUR, {"inflate": [(0.0, 0.0), (HOUR, 5.0), (2 * HOUR, 0.0)]})
    result = Simulation(config, night, record_every=60.0).run()
    times, nodes = result.series["time"], result.series["nodes:karpenter"]
    assert max(nodes) == 1 and nodes[-1] == 0
    assert next(t for t, n in zip(times, nodes) if t > 2 * HOUR and n == 0) < 2 * HOUR + 120
    day = S.Scenario("day", 18 * HOUR, {"inflate": [(0.0, 0.0), (10 * HOUR, 5.0), (11 * HOUR, 0.0)]})
    result = Simulation(config, day, record_every=60.0).run()
    times, nodes = result.series["time"], result.series["nodes:karpenter"]
    # Empty at 11:00, inside the window: kept until 17:00, then removed.
    assert all(n == 1 for t, n in zip(times, nodes) if 11 * HOUR + 120 < t < 17 * HOUR)
    assert next(t for t, n in zip(times, nodes) if t > 11 * HOUR and n == 0) < 17 * HOUR + 120
