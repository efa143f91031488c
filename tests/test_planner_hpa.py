"""The planner's HPA recommendation (planner/scalers/hpa.py) against kubernetes/kubernetes' own expectations in
pkg/controller/podautoscaler/replica_calculator_test.go, re-stated as tables: each case names the upstream
test function and case. Upstream's fixtures are re-created in seconds: its zero time is 0, "now" is NOW,
pods have two containers (so a pod's request and usage are twice the per-container figures), metrics
carry a 1-minute window and the zero timestamp, and the calculator runs with the testing periods (CPU
initialization 2 min, readiness delay 10 s). Cases about per-container metrics, superfluous metrics or
metric names that match no pod are left out: the planner has one container and one metric per pod."""

from __future__ import annotations

import pytest

from planner.scalers.hpa import (MAX_INT32, MAX_INT64, MIN_INT32, Metric, MetricError, PodSample, Recommendation,
                                 Release, Tolerances, group_pods, recommend)

NOW = 1_000_000.0
HOT, COOL = NOW, NOW - 180  # upstream hotCPUCreationTime / coolCPUCreationTime
TESTING = {"cpu_initialization_period": 120.0, "initial_readiness_delay": 10.0}
UP_1 = Tolerances(0.1, 0.01)  # upstream "outside configurable 1% tolerance"
T, F, R, P, X = True, False, "Running", "Pending", "Failed"


def fixture(requests, levels, readiness=None, started=None, phase=None, deleting=None) -> list[PodSample]:
    """Upstream's fake pod lister and metrics-server: requests and levels per container (cores, millicores)."""
    return [PodSample(2 * levels[i] / 1000 if i < len(levels) else None, 2 * request,
                      phase=phase[i] if phase else R, deleting=bool(deleting and deleting[i]),
                      ready=readiness[i] if readiness else True, ready_changed=0.0,
                      started=started[i] if started else 0.0, sampled=0.0, window=60.0)
            for i, request in enumerate(requests)]


def resource(current, target, pods, tolerances=Tolerances(), release=Release(35)):
    return recommend(Metric("Resource", "Utilization", target), pods, spec_replicas=current, now=NOW,
                     tolerances=tolerances, release=release, **TESTING)


MIXED = [0.9, 1.0, 1.1]

RESOURCE_CASES = {
    # TestReplicaCalcResourceScale
    "scale up": (3, 30, fixture([1.0] * 3, [300, 500, 700]), Tolerances(), 5, 50),
    "scale up: unready pod scales less":
        (3, 30, fixture([1.0] * 3, [300, 500, 700], readiness=[F, T, T]), Tolerances(), 4, 60),
    "scale up: hot-CPU pod scales less":
        (3, 30, fixture([1.0] * 3, [300, 500, 700], started=[HOT, COOL, COOL]), Tolerances(), 4, 60),
    "no scale: unready pods ignored":
        (3, 30, fixture([1.0] * 3, [400, 500, 700], readiness=[T, F, F]), Tolerances(), 3, 40),
    "no scale: hot-CPU pods ignored":
        (3, 30, fixture([1.0] * 3, [400, 500, 700], readiness=[T, F, F], started=[COOL, HOT, HOT]),
         Tolerances(), 3, 40),
    "scale up: failed pods ignored":
        (2, 30, fixture([1.0] * 4, [500, 700], readiness=[T, T, F, F], phase=[R, R, X, X]), Tolerances(), 4, 60),
    "scale up: pods being deleted are ignored":
        (2, 30, fixture([1.0] * 4, [500, 700], readiness=[T, T, F, F], deleting=[F, F, T, T]), Tolerances(), 4, 60),
    "scale down": (5, 50, fixture([1.0] * 5, [100, 300, 500, 250, 250]), Tolerances(), 3, 28),
    "scale down: exclude unready pods":
        (5, 50, fixture([1.0] * 5, [100, 300, 500, 250, 250], readiness=[T, T, T, F, F]), Tolerances(), 2, 30),
    "scale down: exclude unscheduled pods":
        (5, 50, fixture([1.0] * 5, [100], readiness=[T, F, F, F, F], phase=[R, P, P, P, P]), Tolerances(), 1, 10),
    "scale down: ignore hot-CPU pods":
        (5, 50, fixture([1.0] * 5, [100, 300, 500, 250, 250], started=[COOL, COOL, COOL, HOT, HOT]),
         Tolerances(), 2, 30),
    "scale down: failed pods ignored":
        (5, 50, fixture([1.0] * 7, [100, 300, 500, 250, 250], readiness=[T] * 5 + [F, F], phase=[R] * 5 + [X, X]),
         Tolerances(), 3, 28),
    "scale down: pods being deleted are ignored":
        (5, 50, fixture([1.0] * 7, [100, 300, 500, 250, 250], readiness=[T] * 5 + [F, F],
                        deleting=[F] * 5 + [T, T]), Tolerances(), 3, 28),
    # TestReplicaCalcResourceTolerance
    "within default tolerance": (3, 100, fixture(MIXED, [1010, 1030, 1020]), Tolerances(), 3, 102),
    "outside 0% tolerance": (3, 100, fixture(MIXED, [909, 1010, 1111]), Tolerances(0, 0), 4, 101),
    "within 200% scale-up tolerance": (3, 100, fixture(MIXED, [1890, 1910, 1900]), Tolerances(0.1, 2), 3, 190),
    "outside 8% scale-up tolerance (superfluous scale-down tolerance)":
        (3, 100, fixture(MIXED, [1100, 1080, 1090]), Tolerances(2, 0.08), 4, 109),
    "within 36% scale-down tolerance": (3, 100, fixture(MIXED, [660, 640, 650]), Tolerances(0.36, 0.1), 3, 65),
    "outside 34% scale-down tolerance": (3, 100, fixture(MIXED, [660, 640, 650]), Tolerances(0.34, 0.1), 2, 65),
    # TestReplicaCalcResourceMissingMetrics
    "some pods missing metrics scales down": (4, 100, fixture([1.0] * 4, [400, 95]), Tolerances(), 3, 24),
    "no change: metric equal to target": (2, 100, fixture([1.0] * 2, [1000]), Tolerances(), 2, 100),
    "no change: metric above target": (2, 100, fixture([1.0] * 2, [1900]), Tolerances(), 2, 190),
    "no change: metric below target": (2, 100, fixture([1.0] * 2, [600]), Tolerances(), 2, 60),
    "no change: unready pod metric missing":
        (3, 50, fixture([1.0] * 3, [100, 450], readiness=[F, T, T]), Tolerances(), 3, 45),
    "no change: hot-CPU pod metric missing":
        (3, 50, fixture([1.0] * 3, [100, 450], started=[HOT, COOL, COOL]), Tolerances(), 3, 45),
    "scale up: unready pod metric missing":
        (3, 50, fixture([1.0] * 3, [100, 2000], readiness=[F, T, T]), Tolerances(), 4, 200),
    "scale up: hot-CPU pod metric missing":
        (3, 50, fixture([1.0] * 3, [100, 2000], readiness=[F, T, T], started=[HOT, COOL, COOL]), Tolerances(), 4, 200),
    "scale down: unready pod metric missing":
        (4, 50, fixture([1.0] * 4, [100, 100, 100], readiness=[F, T, T, T]), Tolerances(), 3, 10),
    "scale down: target over 100":
        (4, 300, fixture([1.0, 1.0, 2.0, 2.0], [200, 100, 100], readiness=[F, T, T, T]), Tolerances(), 2, 6),
    "rolling update with maxSurge: extra pod missing metric":
        (2, 50, fixture([1.0] * 3, [100, 100]), Tolerances(), 2, 10),
}


@pytest.mark.parametrize("case", RESOURCE_CASES)
def test_resource_utilization_as_upstream(case):
    current, target, pods, tolerances, replicas, utilization = RESOURCE_CASES[case]
    assert resource(current, target, pods, tolerances) == Recommendation(replicas, utilization)


@pytest.mark.parametrize("pods, message", [
    (fixture([1.0] * 3, []), "no metrics returned"),  # "no metrics returned from metrics API"
    ([PodSample(0.4, None)], "missing request for cpu"),  # "missing CPU request on container"
    ([PodSample(0.4, 0.0)], "no metrics returned matched known pods"),  # a request of 0: nothing to divide by
    ([], "no metrics returned"),
])
def test_resource_errors_are_outcomes_not_exceptions(pods, message):
    # TestReplicaCalcResourceMissingMetrics error cases: an error, never an exception.
    outcome = resource(1, 100, pods)
    assert isinstance(outcome, MetricError) and outcome.reason == "FailedGetResourceMetric"
    assert message in outcome.message


def test_computed_tolerance_boundary():
    # TestReplicaCalcComputedToleranceAlgImplementation: 10 pods using 150m of 300m (x2 containers),
    # requests jittered around 300m; a target of 56 % is just outside the tolerance, 55 % just inside.
    jitter = [100, -100, 10, -10, 2, -2, 1, -1, 0, 0]
    pods = fixture([(300 + j) / 1000 for j in jitter], [150] * 10)
    assert resource(10, 56, pods) == Recommendation(9, 50)
    assert resource(10, 55, pods) == Recommendation(10, 50)


def pods_metric(current, target, levels, readiness=None, started=None, phase=None, tolerances=Tolerances()):
    count = len(phase) if phase else current
    pods = [PodSample(levels[i] / 1000 if i < len(levels) else None, ready=readiness[i] if readiness else True,
                      started=started[i] if started else 0.0, phase=phase[i] if phase else R) for i in range(count)]
    return recommend(Metric("Pods", "AverageValue", target / 1000), pods, spec_replicas=current, now=NOW,
                     tolerances=tolerances, **TESTING)


@pytest.mark.parametrize("args, kwargs, replicas, usage", [
    # TestReplicaCalcPodMetric: readiness and the CPU initialization period do not apply to Pods metrics.
    ((3, 15000, [20000, 10000, 30000]), {}, 4, 20000),  # scale up
    ((3, 15000, [50000, 10000, 30000]), {"readiness": [T, T, F], "started": [COOL, COOL, HOT]}, 6, 30000),
    ((3, 15000, [50000, 15000, 30000]), {"readiness": [F, T, F], "started": [HOT, COOL, HOT]}, 7, 31666),
    ((5, 20000, [12000] * 5), {}, 3, 12000),  # scale down
    ((3, 20000, [20000, 21000, 21000]), {}, 3, 20666),  # within default tolerance
    ((3, 20000, [20000, 21000, 21000]), {"tolerances": UP_1}, 4, 20666),  # outside configurable 1% tolerance
    ((5, 20000, [20000, 19000, 21000]), {}, 5, 20000),  # no change: missing metrics
    ((2, 17000, [10000, 10000]), {"phase": [R, R, R]}, 2, 10000),  # rolling update with maxSurge
])
def test_pods_metric_as_upstream(args, kwargs, replicas, usage):
    assert pods_metric(*args, **kwargs) == Recommendation(replicas, usage / 1000)


def outside(source, target, levels, current, readiness=None, tolerances=Tolerances(), release=Release(35)):
    """An Object or External metric; levels: (value, target) in milli-units, as upstream's fixtures give them."""
    value, goal = levels
    pods = [PodSample(None, ready=readiness[i] if readiness else True) for i in range(current)]
    return recommend(Metric(source, target, goal / 1000), pods, spec_replicas=current, now=NOW, level=value / 1000,
                     tolerances=tolerances, release=release)


@pytest.mark.parametrize("source, target, levels, current, kwargs, replicas, usage", [
    # TestReplicaCalcObjectMetric (Value: ceil(ratio x ready pods))
    ("Object", "Value", (20000, 15000), 3, {}, 4, 20000),  # scale up
    ("Object", "Value", (50000, 10000), 3, {"readiness": [F, T, F]}, 5, 50000),  # scale up: ignores unready pods
    ("Object", "Value", (12000, 20000), 5, {}, 3, 12000),  # scale down
    ("Object", "Value", (20666, 20000), 3, {}, 3, 20666),  # within default tolerance
    ("Object", "Value", (20666, 20000), 3, {"tolerances": UP_1}, 4, 20666),  # outside configurable 1% tolerance
    # TestReplicaCalcObjectPerPodMetric (AverageValue: ceil(value / target) unless within the tolerance)
    ("Object", "AverageValue", (20000, 5000), 3, {}, 4, 6667),
    ("Object", "AverageValue", (6000, 2000), 5, {}, 3, 1200),
    ("Object", "AverageValue", (20166, 5000), 4, {}, 4, 5042),
    ("Object", "AverageValue", (20208, 5000), 4, {"tolerances": UP_1}, 5, 5052),
    # TestReplicaCalcExternalMetric
    ("External", "Value", (8600, 4400), 3, {"readiness": [F, T, F]}, 2, 8600),  # would be 6 counting unready pods
    ("External", "Value", (8600, 14334), 5, {}, 3, 8600),
    ("External", "Value", (8600, 8888), 3, {}, 3, 8600),
    ("External", "Value", (8900, 8800), 3, {"tolerances": UP_1}, 4, 8900),
    # TestReplicaCalcExternalPerPodMetric
    ("External", "AverageValue", (8600, 2150), 3, {}, 4, 2867),
    ("External", "AverageValue", (8600, 2867), 5, {}, 3, 1720),
    ("External", "AverageValue", (8600, 2900), 3, {}, 3, 2867),
    ("External", "AverageValue", (8600, 2800), 3, {"tolerances": UP_1}, 4, 2867),
])
def test_object_and_external_metrics_as_upstream(source, target, levels, current, kwargs, replicas, usage):
    assert outside(source, target, levels, current, **kwargs) == Recommendation(replicas, usage / 1000)


@pytest.mark.parametrize("minor, replicas", [(33, MIN_INT32), (34, MIN_INT32), (35, MAX_INT32), (36, MAX_INT32)])
def test_object_value_overflow_by_release(minor, replicas):
    # TestReplicaCalcObjectMetric "very large metric saturates replicas to MaxInt32": 1.35 caps
    # getUsageRatioReplicaCount (kubernetes#126979); before, amd64's int32() yields MinInt32 (#141397).
    outcome = outside("Object", "Value", (MAX_INT64, 1), 3, release=Release(minor))
    assert outcome.replicas == replicas


@pytest.mark.parametrize("minor, replicas", [(33, MIN_INT32), (34, MAX_INT32), (35, MAX_INT32), (36, MAX_INT32)])
def test_external_average_value_overflow_by_release(minor, replicas):
    # TestReplicaCalcExternalPerPodMetric "replica count overflow saturates to MaxInt32" (kubernetes#127050, 1.34).
    assert outside("External", "AverageValue", (MAX_INT64, 1), 1, release=Release(minor)).replicas == replicas
    # "usage overflow with huge target leaves replicas unchanged"
    assert outside("External", "AverageValue", (MAX_INT64, MAX_INT64), 1, release=Release(minor)).replicas == 1


def test_external_value_sum_is_capped_at_max_int64():
    # TestReplicaCalcExternalMetric "usage overflow caps at MaxInt64": two halves of MaxInt64 + 1.
    assert outside("External", "Value", (2 * (MAX_INT64 // 2 + 1), MAX_INT64), 3) == Recommendation(3, MAX_INT64 / 1000)


def test_value_target_from_zero_replicas_skips_ready_pods_and_tolerance():
    # getUsageRatioReplicaCount with currentReplicas 0 (HPAScaleToZero): ceil(ratio).
    assert outside("External", "Value", (10500, 10000), 0) == Recommendation(2, 10.5)


def test_object_and_external_errors():
    for source in ("Object", "External"):
        outcome = recommend(Metric(source, "Value", 1.0), [], spec_replicas=2, now=NOW, level=None)
        assert isinstance(outcome, MetricError) and outcome.reason == f"FailedGet{source}Metric"
    # getReadyPodsCount: "no pods returned by selector" when a Value target needs the ready pods.
    outcome = recommend(Metric("External", "Value", 10.0), [], spec_replicas=2, now=NOW, level=20.0)
    assert isinstance(outcome, MetricError) and "no pods" in outcome.message


def test_metric_spec_is_validated():
    with pytest.raises(ValueError, match="Pods metric takes a AverageValue target"):
        Metric("Pods", "Value", 1.0)
    with pytest.raises(ValueError, match="positive"):
        Metric("Resource", "Utilization", 0)
    with pytest.raises(ValueError, match="whole percentage"):
        Metric("Resource", "Utilization", 50.5)


def pod(start, condition=None, since=0.0, sampled=0.0, window=0.0, value=1.0, phase="Succeeded", deleting=False):
    return PodSample(value, 1.0, phase=phase, deleting=deleting, ready=condition, ready_changed=since,
                     started=start, sampled=sampled, window=window)


GROUP_CASES = {
    # TestGroupPods: (pods, resource is cpu, (ready, unready, missing))
    "void": ([], True, (0, 0, 0)),
    "count in a ready pod - memory": ([pod(None, sampled=NOW, window=60)], False, (1, 0, 0)),
    "unready a pod without ready condition - CPU": ([pod(NOW)], True, (0, 1, 0)),
    "count in a ready pod with fresh metrics during initialization period - CPU":
        ([pod(NOW - 60, T, NOW - 30, NOW, 30)], True, (1, 0, 0)),
    "unready a ready pod without fresh metrics during initialization period - CPU":
        ([pod(NOW - 60, T, NOW - 30, NOW, 60)], True, (0, 1, 0)),
    "unready an unready pod during initialization period - CPU": ([pod(NOW - 600, F, NOW - 594)], True, (0, 1, 0)),
    "count in a ready pod without fresh metrics after initialization period - CPU":
        ([pod(NOW - 180, T, NOW - 180, NOW - 120, 60)], True, (1, 0, 0)),
    "count in an unready pod that was ready after initialization period - CPU":
        ([pod(NOW - 600, F, NOW - 540)], True, (1, 0, 0)),
    "unready pod that has never been ready after initialization period - CPU":
        ([pod(NOW - 600, F, NOW - 590)], True, (1, 0, 0)),
    "a missing pod": ([pod(NOW - 180, value=None)], True, (0, 0, 1)),
    "several pods": ([pod(NOW), pod(NOW - 180, T, NOW - 180), pod(NOW - 180, value=None)], True, (1, 1, 1)),
    "pending pods are unreadied": ([pod(None, value=None, phase="Pending")], True, (0, 1, 0)),
    "ignore pods with deletion timestamps": ([pod(None, phase="Pending", deleting=True)], True, (0, 0, 0)),
    "ignore pods in a failed state": ([pod(None, phase="Failed")], True, (0, 0, 0)),
}


@pytest.mark.parametrize("case", GROUP_CASES)
def test_group_pods_as_upstream(case):
    pods, cpu, expected = GROUP_CASES[case]
    groups = group_pods(pods, cpu, NOW, 120.0, 10.0)
    assert tuple(len(group) for group in groups) == expected


@pytest.mark.parametrize("minor", [33, 34, 35, 36])
def test_releases_parse_and_others_are_refused(minor):
    assert Release.of(f"1.{minor}") == Release(minor)
    for bad in ("1.32", "1.37", "2.35", "1.x", ""):
        with pytest.raises(ValueError, match="supported: 1.33, 1.34, 1.35, 1.36"):
            Release.of(bad)


def test_quantities_round_up_to_milli_units_without_float_noise():
    # Quantity.MilliValue() rounds up; 0.2 cores is 200m, not 201m.
    pods = [PodSample(0.1, 0.2, sampled=NOW, window=15.0, started=0.0)]
    assert resource(1, 50, pods) == Recommendation(1, 50)
    assert resource(1, 50, [PodSample(0.1001, 0.2)]) == Recommendation(1, 50)  # 101m of 200m: 50 %
