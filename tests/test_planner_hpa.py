"""The planner's HPA: the replica calculation against the Kubernetes docs and the controller's rules,
and the behavior (stabilization windows, policies, selectPolicy, min/max)."""

from __future__ import annotations

import pytest

from planner.hpa import (Behavior, Policy, PodSample, Rules, replicas_for_external, replicas_for_pods)

NOW = 1000.0


def cpu_pods(*utilizations: float | None, request: float = 0.2, **extra) -> list[PodSample]:
    """Running, long-ready pods at these CPU utilizations (% of request); None: no metric."""
    return [PodSample(None if u is None else u / 100 * request, request, start_time=0.0, ready_time=10.0,
                      sample_time=NOW, **extra) for u in utilizations]


def cpu(pods, current=None, target=50.0):
    return replicas_for_pods(pods, target=target, current_replicas=current or len(pods), now=NOW, resource=True)


def test_desired_is_ceil_current_times_ratio():
    # The docs' example: 100m used against a 50m target doubles the replicas.
    assert cpu(cpu_pods(100.0, 100.0)).replicas == 4
    # The chapter's first step: one pod at 240 % of its request against 50 %.
    recommendation = cpu(cpu_pods(240.0))
    assert (recommendation.replicas, recommendation.reported) == (5, 240.0)
    assert cpu(cpu_pods(10.0, 10.0, 10.0, 10.0)).replicas == 1


def test_no_change_within_the_tolerance():
    assert cpu(cpu_pods(54.0, 54.0)).replicas == 2  # ratio 1.08
    assert cpu(cpu_pods(46.0, 46.0)).replicas == 2  # ratio 0.92
    assert cpu(cpu_pods(56.0, 56.0)).replicas == 3  # ratio 1.12: ceil(2.24)


def test_missing_metrics_count_as_target_on_scale_down():
    # 2 pods at 20 % and one without a metric: 0.4 alone would give 1; counted at 100 % of target, 2.
    assert cpu(cpu_pods(20.0, 20.0, None)).replicas == 2


def test_missing_metrics_count_as_zero_on_scale_up():
    # 2 pods at 100 %: ratio 2; the third counted at 0 %: (100+100+0)/150 = 1.33 -> ceil(4).
    assert cpu(cpu_pods(100.0, 100.0, None)).replicas == 4


def test_unready_pods_count_as_zero_on_scale_up_and_are_ignored_on_scale_down():
    ready = cpu_pods(100.0, 100.0)
    starting = [PodSample(0.15, 0.2, ready=False, start_time=NOW - 20, ready_time=None, sample_time=NOW)]
    assert cpu(ready + starting).replicas == 4
    quiet = cpu_pods(10.0, 10.0) + [PodSample(0.15, 0.2, ready=False, start_time=NOW - 20, ready_time=None,
                                              sample_time=NOW)]
    assert cpu(quiet).replicas == 1


def test_cpu_initialization_period_makes_early_samples_unready():
    # Ready 10 s ago, sampled before it had been ready 30 s, within 300 s of start: unready.
    early = PodSample(0.2, 0.2, start_time=NOW - 100, ready_time=NOW - 10, sample_time=NOW)
    # The same pod past the initialization period counts.
    settled = PodSample(0.2, 0.2, start_time=NOW - 400, ready_time=NOW - 390, sample_time=NOW)
    assert cpu(cpu_pods(50.0) + [early]).replicas == 2  # 1 pod at 50 %: no change
    assert cpu(cpu_pods(50.0) + [settled]).replicas == 3  # (50+100)/2 = 75 % -> ceil(1.5*2)


def test_rebalance_that_flips_direction_keeps_the_count():
    # One pod at 60 % (ratio 1.2, scale up) and two without metrics counted at 0: ratio 0.4 -> keep 3.
    assert cpu(cpu_pods(60.0, None, None)).replicas == 3


def test_deleted_and_failed_pods_are_ignored():
    pods = cpu_pods(100.0, 100.0) + cpu_pods(0.0, deleting=True) + cpu_pods(0.0, phase="Failed")
    assert cpu(pods, current=4).replicas == 4  # only the two running pods at 100 %: 2 * 2


def test_no_metrics_at_all_keeps_the_count():
    recommendation = cpu(cpu_pods(None, None))
    assert (recommendation.replicas, recommendation.reported) == (2, None)


def test_pods_metric_uses_the_average_value():
    pods = [PodSample(value, start_time=0.0, ready_time=0.0, sample_time=NOW) for value in (19.2, 19.2)]
    recommendation = replicas_for_pods(pods, target=10.0, current_replicas=2, now=NOW, resource=False)
    assert (recommendation.replicas, recommendation.reported) == (4, 19.2)


def test_external_average_value():
    assert replicas_for_external(60.0, target_average=10.0, current_replicas=2).replicas == 6
    assert replicas_for_external(21.0, target_average=10.0, current_replicas=2).replicas == 2  # tolerance
    assert replicas_for_external(5.0, target_average=10.0, current_replicas=4).replicas == 1


def test_default_scale_up_is_max_of_4_pods_or_100_percent_per_15_s():
    behavior = Behavior(1, 10)
    assert behavior.next_replicas(10, 1, 0.0) == 5  # 1 + 4 beats 1 * 2
    assert behavior.next_replicas(10, 5, 5.0) == 5  # still within the period that added 4
    assert behavior.next_replicas(10, 5, 15.0) == 10  # new period: 5 * 2 = 10


def test_default_scale_down_waits_for_the_300_s_stabilization_window():
    behavior = Behavior(1, 10)
    assert behavior.next_replicas(5, 5, 0.0) == 5
    assert behavior.next_replicas(1, 5, 150.0) == 5  # the highest recommendation in 300 s is 5
    assert behavior.next_replicas(1, 5, 301.0) == 1  # then 100 % per 15 s allows going to 1


def test_select_policy_min_and_disabled():
    slow = Behavior(1, 20, scale_up=Rules(0.0, (Policy("Pods", 2, 60.0), Policy("Percent", 100, 60.0)), "Min"))
    assert slow.next_replicas(20, 4, 0.0) == 6  # min(4 + 2, 4 * 2)
    frozen = Behavior(1, 20, scale_down=Rules(0.0, (Policy("Percent", 100, 15.0),), "Disabled"))
    assert frozen.next_replicas(1, 8, 0.0) == 8


def test_min_and_max_clamp():
    behavior = Behavior(2, 6, scale_up=Rules(0.0, (Policy("Pods", 100, 15.0),)))
    assert behavior.next_replicas(50, 3, 0.0) == 6
    assert Behavior(2, 6, scale_down=Rules(0.0, (Policy("Percent", 100, 15.0),))).next_replicas(0, 3, 0.0) == 2


@pytest.mark.parametrize("kind", ["Pods", "Percent"])
def test_scale_down_policies_limit_per_period(kind):
    behavior = Behavior(1, 20, scale_down=Rules(0.0, (Policy(kind, 50 if kind == "Percent" else 5, 60.0),)))
    assert behavior.next_replicas(1, 10, 0.0) == 5
    assert behavior.next_replicas(1, 5, 30.0) == 5  # the period's budget is spent
    assert behavior.next_replicas(1, 5, 61.0) == (2 if kind == "Percent" else 1)
