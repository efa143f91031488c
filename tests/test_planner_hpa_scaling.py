"""The planner's HPA after the metrics (planner/scalers/hpa_scaling.py) against kubernetes/kubernetes' own
expectations in pkg/controller/podautoscaler/horizontal_test.go, re-stated as tables that name the upstream
test and case. Upstream's test binary sets scaleUpLimitFactor to 8; the cases here use the controller's 2."""

from __future__ import annotations

import dataclasses

import pytest

from eks_scaling.parse_settings import parse_config
from planner.engine import scenario as S
from planner.engine.hpa_spec import Behavior, Policy, ScalingRules
from planner.engine.workloads import behavior, workloads
from planner.scalers.hpa import MetricError, Recommendation, Release
from planner.scalers.hpa_scaling import HorizontalPodAutoscaler, combine, replicas_change_per_period
from planner.simulation import Simulation
from tests.context import with_defaults

NOW = 10_000.0


def rules(pods=0, pods_period=0, percent=0, percent_period=0, window=0, select="Max"):
    """Upstream's generateScalingRules."""
    policies = ((Policy("Pods", pods, pods_period),) if pods else ()) + \
        ((Policy("Percent", percent, percent_period),) if percent else ())
    return ScalingRules(policies, window, select)


def spread(changes, seconds=120):
    """Upstream's generateEventsUniformDistribution: each change in the middle of its share of the period."""
    share = seconds / len(changes)
    return [(NOW - (seconds - share * (i + 1) + share / 2), change) for i, change in enumerate(changes)]


def hpa(min_replicas, max_replicas, up=None, down=None, up_events=(), down_events=(), recommendations=(),
        behavior=True):
    return HorizontalPodAutoscaler(min_replicas, max_replicas, Behavior(up, down) if behavior else None,
                                   recommendations=list(recommendations), up_events=list(up_events),
                                   down_events=list(down_events))


SCALING_WITH_RULES = {
    # TestScalingWithRules: name -> (HPA, current, desired by the metrics, replicas, ScalingLimited reason)
    "prenormalized desired replicas within range": (hpa(3, 8), 5, 7, 7, "DesiredWithinRange"),
    "prenormalized desired replicas < minReplicas": (hpa(2, 8), 3, 1, 2, "TooFewReplicas"),
    "prenormalized desired replicas within range when minReplicas is 0": (hpa(0, 10), 1, 0, 0, "DesiredWithinRange"),
    "maxReplicas is the limit because maxReplicas < scaleUpLimit": (hpa(1, 10), 20, 1000, 10, "TooManyReplicas"),
    "desired replica count is more than the maximum replica count": (hpa(100, 150), 100, 1000, 150, "TooManyReplicas"),
    "scaleUpLimit is the limit because scaleUpLimit < maxReplicas with user policies":
        (hpa(1, 2000, up=rules(percent=1, percent_period=60)), 3, 1000, 4, "ScaleUpLimit"),
    "scaleDownLimit is the limit because scaleDownLimit > minReplicas with user defined policies":
        (hpa(3, 2000, down=rules(20, 60)), 1000, 3, 980, "ScaleDownLimit"),
    "scaleUp with default behavior": (hpa(1, 1000), 10, 50, 20, "ScaleUpLimit"),
    "scaleUp with pods policy larger than percent policy":
        (hpa(1, 1000, up=rules(100, 60, 100, 60)), 10, 500, 110, "ScaleUpLimit"),
    "scaleUp with percent policy larger than pods policy":
        (hpa(1, 1000, up=rules(2, 60, 100, 60)), 10, 500, 20, "ScaleUpLimit"),
    "scaleUp with spec MaxReplicas limitation with large pod policy":
        (hpa(1, 1000, up=rules(100, 60)), 10, 50, 50, "DesiredWithinRange"),
    "scaleUp with spec MaxReplicas limitation with large percent policy":
        (hpa(1, 1000, up=rules(10000, 60)), 10, 50, 50, "DesiredWithinRange"),
    "scaleUp with pod policy limitation": (hpa(1, 1000, up=rules(30, 60)), 10, 50, 40, "ScaleUpLimit"),
    "scaleUp with percent policy limitation":
        (hpa(1, 1000, up=rules(percent=200, percent_period=60)), 10, 50, 30, "ScaleUpLimit"),
    "scaleDown with percent policy larger than pod policy":
        (hpa(1, 1000, down=rules(20, 60, 1, 60, 300)), 100, 2, 80, "ScaleDownLimit"),
    "scaleDown with pod policy larger than percent policy":
        (hpa(1, 1000, down=rules(2, 60, 1, 60, 300)), 100, 2, 98, "ScaleDownLimit"),
    "scaleDown with spec MinReplicas=nil limitation with large pod policy":
        (hpa(1, 1000, down=rules(100, 60, window=300)), 10, 0, 1, "TooFewReplicas"),
    "scaleDown with spec MinReplicas limitation with large percent policy":
        (hpa(5, 1000, down=rules(percent=100, percent_period=60, window=300)), 10, 2, 5, "TooFewReplicas"),
    "scaleDown with pod policy limitation": (hpa(1, 1000, down=rules(5, 60, window=300)), 10, 2, 5, "ScaleDownLimit"),
    "scaleDown with percent policy limitation":
        (hpa(1, 1000, down=rules(percent=50, percent_period=60, window=300)), 10, 5, 5, "DesiredWithinRange"),
    "scaleUp with spec MaxReplicas limitation with large pod policy and events":
        (hpa(1, 200, up=rules(300, 60), up_events=spread([1, 5, 9])), 100, 500, 200, "TooManyReplicas"),
    "scaleUp with spec MaxReplicas limitation with large percent policy and events":
        (hpa(1, 200, up=rules(percent=10000, percent_period=60), up_events=spread([1, 5, 9])), 100, 500, 200,
         "TooManyReplicas"),
    "scaleUp with currentReplicas limitation with rate.PeriodSeconds with a lot of recent scale up events":
        (hpa(1, 1000, up=rules(5, 120), up_events=spread([1, 5, 9])), 100, 500, 100, "ScaleUpLimit"),
    "scaleUp with pod policy and previous scale up events":
        (hpa(1, 1000, up=rules(150, 120), up_events=spread([1, 5, 9])), 100, 500, 235, "ScaleUpLimit"),
    "scaleUp with percent policy and previous scale up events":
        (hpa(1, 1000, up=rules(percent=200, percent_period=120), up_events=spread([1, 5, 9])), 100, 500, 255,
         "ScaleUpLimit"),
    "scaleUp with percent policy and previous scale up and down events":
        (hpa(1, 1000, up=rules(percent=300, percent_period=300), up_events=spread([4]), down_events=spread([2])),
         6, 24, 16, "ScaleUpLimit"),
    "scaleDown with default policy and previous events":
        (hpa(1, 1000, down_events=spread([1, 5, 9])), 10, 5, 5, "DesiredWithinRange"),
    "scaleDown with spec MinReplicas=nil limitation with large pod policy and previous events":
        (hpa(1, 1000, down=rules(115, 120, window=300), down_events=spread([1, 5, 9])), 100, 0, 1, "TooFewReplicas"),
    "scaleDown with spec MinReplicas limitation with large pod policy and previous events":
        (hpa(5, 1000, down=rules(130, 120, window=300), down_events=spread([1, 5, 9])), 100, 0, 5, "TooFewReplicas"),
    "scaleDown with spec MinReplicas limitation with large percent policy and previous events":
        (hpa(5, 1000, down=rules(percent=100, percent_period=120, window=300), down_events=spread([1, 5, 9])),
         100, 2, 5, "TooFewReplicas"),
    "scaleDown with pod policy limitation and previous events":
        (hpa(1, 1000, down=rules(5, 120, window=300), down_events=spread([1, 5, 9])), 100, 2, 100, "ScaleDownLimit"),
    "scaleDown with percent policy limitation and previous events":
        (hpa(1, 1000, down=rules(percent=50, percent_period=120, window=300), down_events=spread([2, 4, 6])),
         100, 0, 56, "ScaleDownLimit"),
    "scaleDown with percent policy and previous scale up and down events":
        (hpa(1, 1000, down=rules(percent=50, percent_period=180), up_events=spread([2]), down_events=spread([4])),
         10, 1, 6, "ScaleDownLimit"),
    "scaleDown with previous events preventing further scale down":
        (hpa(1, 1000, down=rules(percent=10, percent_period=120, window=300), down_events=spread([10, 10, 10])),
         100, 0, 100, "ScaleDownLimit"),
    "scaleDown with with previous events still allowing more scale down":
        (hpa(1, 1000, down=rules(percent=1000, percent_period=120, window=300), down_events=spread([10, 10, 10])),
         10, 5, 5, "DesiredWithinRange"),
    "check 'outdated' flag for events for one behavior for up":
        (hpa(1, 1000, up=rules(1000, 60), up_events=spread([8, 12, 9, 11])), 100, 200, 200, "DesiredWithinRange"),
    "check that events were not marked 'outdated' for two different policies in the behavior for up":
        (hpa(1, 1000, up=rules(1000, 120, 100, 60), up_events=spread([8, 12, 9, 11])), 100, 200, 200,
         "DesiredWithinRange"),
    "check that events were marked 'outdated' for two different policies in the behavior for up":
        (hpa(1, 1000, up=rules(1000, 30, 100, 60), up_events=spread([8, 12, 9, 11])), 100, 200, 200,
         "DesiredWithinRange"),
    "check 'outdated' flag for events for one behavior for down":
        (hpa(1, 1000, down=rules(1000, 60, window=300), down_events=spread([8, 12, 9, 11])), 100, 5, 5,
         "DesiredWithinRange"),
    "check that events were not marked 'outdated' for two different policies in the behavior for down":
        (hpa(1, 1000, down=rules(1000, 120, 100, 60, 300), down_events=spread([8, 12, 9, 11])), 100, 5, 5,
         "DesiredWithinRange"),
    "check that events were marked 'outdated' for two different policies in the behavior for down":
        (hpa(1, 1000, down=rules(1000, 30, 100, 60, 300), down_events=spread([8, 12, 9, 11])), 100, 5, 5,
         "DesiredWithinRange"),
}


@pytest.mark.parametrize("case", SCALING_WITH_RULES)
def test_scaling_with_rules_as_upstream(case):
    # With no past recommendations the stabilization passes the desired count through, so this is
    # convertDesiredReplicasWithBehaviorRate alone.
    autoscaler, current, desired, replicas, reason = SCALING_WITH_RULES[case]
    assert (autoscaler.next_replicas(desired, current, NOW), autoscaler.limited) == (replicas, reason)


def test_min_select_policies_as_upstream():
    # TestCalculateScaleUpLimitWithScalingRules / TestCalculateScaleDownLimitWithBehaviors:
    # Min of Pods 2 and Percent 50 per 60 s.
    both = (Policy("Pods", 2, 60), Policy("Percent", 50, 60))
    assert hpa(1, 100, up=ScalingRules(both, 300, "Min")).next_replicas(100, 1, NOW) == 2  # min(1 + 2, ceil(1.5))
    assert hpa(1, 100, down=ScalingRules(both, 300, "Min")).next_replicas(0, 5, NOW) == 3  # max(5 - 2, int(2.5))


def test_disabled_select_policy_holds_that_direction():
    frozen = hpa(1, 100, down=ScalingRules(select="Disabled"))
    assert frozen.next_replicas(1, 8, NOW) == 8
    assert frozen.next_replicas(20, 8, NOW + 15) == 16  # scale-up keeps its defaults


STABILIZATION_CASES = {
    # TestNormalizeDesiredReplicasWithBehavior: (past (age s, replicas), current, desired, up window, down window,
    # stabilized)
    "empty recommendations for scaling down": ([], 100, 5, 0, 0, 5),
    "simple scale down stabilization": ([(120, 4), (60, 5)], 100, 3, 0, 180, 5),
    "simple scale up stabilization": ([(120, 4), (60, 5)], 1, 7, 300, 0, 4),
    "no scale down stabilization": ([(120, 1), (60, 2)], 100, 3, 300, 0, 3),
    "no scale up stabilization": ([(120, 4), (60, 5)], 1, 3, 0, 300, 3),
    "no scale down stabilization, reuse recommendation element": ([(600, 10), (540, 9)], 100, 3, 0, 0, 3),
    "no scale up stabilization, reuse recommendation element": ([(600, 10), (540, 9)], 1, 100, 0, 0, 100),
    "scale down stabilization, reuse one of obsolete recommendation element":
        ([(600, 10), (60, 4), (120, 5), (540, 9)], 100, 3, 0, 180, 5),
    "scale up stabilization, reuse one of obsolete recommendation element":
        ([(6000, 10), (60, 6), (120, 5), (180, 9)], 1, 100, 300, 0, 5),
    "scale up and down stabilization, do not scale up when prenormalized rec goes down":
        ([(6000, 2), (180, 3)], 2, 1, 300, 300, 2),
    "scale up and down stabilization, do not scale down when prenormalized rec goes up":
        ([(6000, 2), (180, 1)], 2, 3, 300, 300, 2),
}


@pytest.mark.parametrize("case", STABILIZATION_CASES)
def test_stabilization_with_behavior_as_upstream(case):
    past, current, desired, up_window, down_window, stabilized = STABILIZATION_CASES[case]
    unlimited = (Policy("Pods", 1000, 15),)  # rates that never bind, to see the stabilization alone
    autoscaler = hpa(0, 10000, up=ScalingRules(unlimited, up_window), down=ScalingRules(unlimited, down_window),
                     recommendations=[(NOW - age, replicas) for age, replicas in past])
    assert autoscaler.next_replicas(desired, current, NOW) == stabilized


LEGACY_CASES = {
    # TestNormalizeDesiredReplicas (no spec.behavior: stabilizeRecommendation over the 5-minute flag)
    "empty log": ([], 5, 5),
    "stabilize": ([(120, 4), (60, 5)], 3, 5),
    "no stabilize": ([(120, 1), (60, 2)], 3, 3),
    "no stabilize - old recommendations": ([(600, 10), (540, 9)], 3, 3),
    "stabilize - old recommendations": ([(600, 10), (60, 4), (120, 5), (540, 9)], 3, 5),
}


@pytest.mark.parametrize("case", LEGACY_CASES)
def test_stabilization_without_behavior_as_upstream(case):
    past, desired, stabilized = LEGACY_CASES[case]
    autoscaler = hpa(1, 100, behavior=False, recommendations=[(NOW - age, r) for age, r in past])
    assert autoscaler.next_replicas(desired, 5, NOW) == stabilized


@pytest.mark.parametrize("current, desired, low, high, replicas, reason", [
    # TestConvertDesiredReplicasWithRules (no spec.behavior)
    (5, 7, 3, 8, 7, "DesiredWithinRange"),
    (3, 1, 2, 8, 2, "TooFewReplicas"),
    (1, 0, 0, 10, 0, "DesiredWithinRange"),
    (20, 1000, 1, 10, 10, "TooManyReplicas"),
    (3, 1000, 1, 2000, 6, "ScaleUpLimit"),  # calculateScaleUpLimit(3) = max(2 x 3, 4)
    (1, 1000, 1, 2000, 4, "ScaleUpLimit"),
])
def test_without_behavior_as_upstream(current, desired, low, high, replicas, reason):
    autoscaler = hpa(low, high, behavior=False)
    assert (autoscaler.next_replicas(desired, current, NOW), autoscaler.limited) == (replicas, reason)


def test_windows_and_periods_end_exactly_at_their_length():
    # With spec.behavior, a recommendation exactly the window old no longer counts (After(cutoff)) ...
    with_behavior = hpa(1, 10, recommendations=[(NOW - 300, 5)])
    assert with_behavior.next_replicas(1, 5, NOW) == 1
    # ... without it, it still does (stabilizeRecommendation drops only those Before(cutoff)).
    without = hpa(1, 10, behavior=False, recommendations=[(NOW - 300, 5)])
    assert without.next_replicas(1, 5, NOW) == 5
    # A scale event exactly a period old is out of the period (getReplicasChangePerPeriod).
    assert replicas_change_per_period([(NOW - 15, 4), (NOW - 14, 2)], 15, NOW) == 2
    assert hpa(1, 100, up_events=[(NOW - 15, 4)]).next_replicas(100, 5, NOW) == 10


@pytest.mark.parametrize("case, previous, period_rules, change", [
    # TestStoreScaleEvents: the change counted within 60 s before and after storing a change of 5.
    ("empty entries with two-policy-behavior", [], rules(10, 60, 100, 60), (0, 5)),
    ("one outdated entry to be replaced with behavior", [(61, 7)], rules(10, 60, 100, 60), (0, 5)),
    ("one actual entry to be not touched with behavior", [(58, 7)], rules(10, 60, 100, 60), (7, 12)),
    ("two entries, one of them to be replaced", [(61, 7), (59, 6)], rules(10, 60), (6, 11)),
    ("replace one entry, use policies with different periods", [(29, 8), (59, 6), (61, 7), (61, 9)],
     rules(10, 60, 100, 30), (14, 19)),
    ("two entries, both actual", [(58, 7), (59, 6)], rules(10, 120, 100, 30), (13, 18)),
])
def test_store_scale_events_as_upstream(case, previous, period_rules, change):
    events = [(NOW - age, replicas) for age, replicas in previous]
    up = hpa(1, 1000, up=period_rules, up_events=events)
    down = hpa(1, 1000, down=period_rules, down_events=events)
    assert replicas_change_per_period(up.up_events, 60, NOW) == change[0]
    up.store_scale_event(10, 15, NOW)
    down.store_scale_event(10, 5, NOW)
    assert replicas_change_per_period(up.up_events, 60, NOW) == change[1]
    assert replicas_change_per_period(down.down_events, 60, NOW) == change[1]


def test_no_scale_events_are_kept_without_behavior():
    # TestStoreScaleEvents "empty entries with default behavior" / "... kept untouched without behavior".
    autoscaler = hpa(1, 10, behavior=False)
    assert autoscaler.next_replicas(6, 3, NOW) == 6
    assert autoscaler.up_events == [] and autoscaler.down_events == []


def test_one_failed_metric_blocks_a_scale_down_but_not_a_scale_up():
    # TestScaleUpOneMetricEmpty: CPU asks 4, the External metric fails: scale up to 4.
    failed = MetricError("FailedGetExternalMetric", "something went wrong")
    assert combine([Recommendation(4, 40), failed], 3) == 4
    assert hpa(2, 6, behavior=False).sync(3, NOW, [Recommendation(4, 40), failed]) == 4
    # TestNoScaleDownOneMetricInvalid / TestNoScaleDownOneMetricEmpty: CPU asks 3 of 5, one metric fails: stay.
    assert hpa(2, 6, behavior=False).sync(5, NOW, [Recommendation(3, 28), failed]) == 5
    assert hpa(2, 6).sync(5, NOW, [failed]) == 5


def test_out_of_range_counts_go_straight_to_the_bound():
    # TestScaleDownRCImmediately: 6 replicas above a maximum of 5 go to 5 at once, stabilization or not.
    assert hpa(2, 5, behavior=False, recommendations=[(NOW - 10, 6)]).sync(6, NOW, []) == 5
    assert hpa(2, 5).sync(1, NOW, []) == 2
    # reconcileAutoscaler: a target scaled to zero with minReplicas > 0 is not autoscaled (ScalingDisabled).
    assert hpa(1, 5).sync(0, NOW, [Recommendation(3, 90)]) == 0


def test_first_sync_records_the_current_count():
    # recordInitialRecommendation: the count found at the first sync holds a scale-down for the window.
    autoscaler = hpa(1, 10, behavior=False)
    assert autoscaler.sync(4, NOW, [Recommendation(1, 10)]) == 4
    assert autoscaler.sync(4, NOW + 301, [Recommendation(1, 10)]) == 1


def test_default_behavior_rates_over_syncs():
    # The defaults once spec.behavior is set: up by max(4 pods, 100 %) per 15 s, down by 100 % per 15 s
    # after the 300 s window.
    autoscaler = hpa(1, 100)
    assert autoscaler.sync(1, 0.0, [Recommendation(40, 400)]) == 5  # 1 + 4 beats 1 x 2
    assert autoscaler.sync(5, 5.0, [Recommendation(40, 100)]) == 5  # the +4 is still inside its 15 s
    assert autoscaler.sync(5, 15.0, [Recommendation(40, 100)]) == 10  # 5 x 2
    assert autoscaler.sync(10, 30.0, [Recommendation(1, 10)]) == 10  # 40 recommended within 300 s
    assert autoscaler.sync(10, 300.0, [Recommendation(1, 10)]) == 10
    assert autoscaler.sync(10, 315.0, [Recommendation(1, 10)]) == 1  # the last 40 is exactly 300 s old: out


@pytest.mark.parametrize("minor, tolerances", [(33, (0.1, 0.1)), (34, (0.1, 0.1)), (35, (0.2, 0.05)),
                                               (36, (0.2, 0.05))])
def test_per_hpa_tolerance_by_release(minor, tolerances):
    # HPAConfigurableTolerance: alpha and off in 1.33 and 1.34, beta and on from 1.35.
    behavior = Behavior(ScalingRules(tolerance=0.05), ScalingRules(tolerance=0.2))
    autoscaler = HorizontalPodAutoscaler(1, 10, behavior, Release(minor))
    found = autoscaler.tolerances()
    assert (found.scale_down, found.scale_up) == tolerances
    assert HorizontalPodAutoscaler(1, 10, None, Release(minor)).tolerances().scale_up == 0.1


@pytest.mark.parametrize("bad, message", [
    ({"policies": ()}, "policies must not be empty"),
    ({"policies": (Policy("Pods", 0, 15),)}, "value 0 must be > 0"),
    ({"policies": (Policy("Percent", 10, 1801),)}, "periodSeconds 1801 must be 1-1800"),
    ({"window": 3601}, "stabilizationWindowSeconds 3601 must be 0-3600"),
    ({"tolerance": -0.1}, "tolerance -0.1 must be >= 0"),
])
def test_scaling_rules_are_validated_as_the_api_server_does(bad, message):
    with pytest.raises(ValueError, match=message):
        ScalingRules(**bad)


def test_spec_behavior_is_read_as_the_api_writes_it():
    parsed = behavior({"scaleUp": {"policies": [{"type": "Pods", "value": 2, "periodSeconds": 60}],
                                   "selectPolicy": "Min", "tolerance": "50m"},
                       "scaleDown": {"stabilizationWindowSeconds": 60}})
    assert parsed == Behavior(ScalingRules((Policy("Pods", 2, 60),), None, "Min", 0.05), ScalingRules(window=60))
    assert behavior(None) is None
    assert behavior({}) == Behavior()  # set but empty: every default applies


def test_the_apps_hpas_have_no_spec_behavior_and_take_the_older_path():
    specs = workloads(parse_config(with_defaults({"enableKeda": "true", "enablePrometheus": "true"})))
    scaled = {spec.name: spec.autoscaling for spec in specs if spec.autoscaling}
    assert {name: (a.target_type, a.behavior) for name, a in scaled.items()} == {
        "php-apache": ("Utilization", None), "podinfo": ("AverageValue", None), "podinfo-keda": ("AverageValue", None)}


def test_the_planner_runs_the_behavior_path_when_behavior_is_set():
    # The chapter's first step, which metrics-server reports at the 75 s scrape: php-apache at 240 % of a
    # 50 % target asks for 5 replicas. Without spec.behavior the HPA may only double (1 -> 4 in that sync);
    # with the defaults, + 4 pods (1 -> 5).
    config = parse_config(with_defaults({"nodeAutoscaler": "none"}))
    plain = workloads(config)
    set_behavior = [dataclasses.replace(spec, autoscaling=dataclasses.replace(
        spec.autoscaling, behavior=Behavior())) if spec.autoscaling else spec for spec in plain]
    first = {}
    for label, specs in (("without", plain), ("with", set_behavior)):
        result = Simulation(config, S.chapter(), record_every=5.0, workload_specs=specs).run()
        times = result.series["time"]
        first[label] = result.series["php-apache:replicas"][times.index(75.0)]
    assert first == {"without": 4, "with": 5}
