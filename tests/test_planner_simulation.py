"""The planner's model of the cluster: the chapter's observations, KEDA's fallback, Karpenter's choices
and limits, Cluster Autoscaler's maximum, and determinism."""

from __future__ import annotations

import dataclasses
import math

import pytest

from eks_scaling.parse_settings import parse_config
from eks_scaling.setting_parsers import ConfigError
from planner.engine import scenario as S
from planner.simulation import PlanError, Simulation
from tests.context import with_defaults


def config(**overrides):
    return parse_config(with_defaults(overrides))


def run(scenario, seed=1, **overrides):
    return Simulation(config(**overrides), scenario, seed=seed, record_every=5.0).run()


def at(result, key: str, time: float) -> float:
    times = result.series["time"]
    return result.series[key][max(i for i, t in enumerate(times) if t <= time)]


@pytest.fixture(scope="module")
def chapter_both():
    return run(S.chapter(), nodeAutoscaler="both")


def test_php_apache_settles_near_50_percent_after_a_few_steps(chapter_both):
    assert at(chapter_both, "php-apache:replicas", 600) == 5
    assert 40 <= at(chapter_both, "php-apache:metric", 600) <= 55
    # Far above target once its first pod is ready: the demos run on Karpenter's nodes, which it
    # launches for them, never on the tainted system nodes.
    assert at(chapter_both, "php-apache:metric", 90) > 100
    # After the load stops, the 5-minute stabilization window, then back to 1.
    assert at(chapter_both, "php-apache:replicas", 1260 + 240) == 5
    assert at(chapter_both, "php-apache:replicas", 1260 + 420) == 1


def test_tester_hits_the_node_group_max_of_5_and_leaves_pods_pending(chapter_both):
    assert max(chapter_both.series["nodes:ca"]) == 5
    assert at(chapter_both, "tester:ready", 1200) < 150
    assert at(chapter_both, "pending", 1200) > 0
    assert chapter_both.summary["workloads"]["tester"]["capacity_reached"] is False
    # Ten minutes after the tester goes, unneeded nodes go back towards the group's minimum.
    assert at(chapter_both, "nodes:ca", 2399) == 1


def test_karpenter_gets_inflate_running_sooner_than_cluster_autoscaler_gets_tester_pods(chapter_both):
    times = chapter_both.series["time"]
    inflate_ready = next(t for t, v in zip(times, chapter_both.series["inflate:ready"]) if v == 5)
    first_node_full = max(chapter_both.series["tester:ready"][: times.index(60.0) + 2])  # what existed at the step
    tester_new_node = next(t for t, v in zip(times, chapter_both.series["tester:ready"]) if v > max(first_node_full, 24))
    assert inflate_ready < tester_new_node
    assert inflate_ready - 60 < 90  # about a minute: batch, launch, pod start


def test_karpenter_picks_the_cheapest_type_that_fits_and_removes_empty_nodes():
    scenario = S.Scenario("five", 600.0, {"inflate": [(0.0, 0.0), (10.0, 5.0), (200.0, 0.0)]})
    result = run(scenario, enableMetricsServer="false", enablePrometheus="false", enableKeda="false")
    # Five 1Gi pods: an m5.large holds them (c5.large's 4 GiB does not), and costs less than an m5.xlarge.
    assert result.summary["cluster"]["node_hours"].keys() == {"m5.large"}
    assert max(result.series["nodes:karpenter"]) == 1
    assert at(result, "nodes:karpenter", 200 + 45) == 0  # empty for 30 s, then consolidated


def test_karpenter_respects_the_node_pool_limits():
    scenario = S.Scenario("limited", 600.0, {"inflate": [(0.0, 0.0), (10.0, 20.0)]})
    result = run(scenario, enableMetricsServer="false", enablePrometheus="false", enableKeda="false",
                 karpenterCpuLimit="2", karpenterInstanceTypes="m5.large")
    assert max(result.series["nodes:karpenter"]) == 1  # a second 2-vCPU node would pass 2 vCPU
    assert 0 < at(result, "inflate:ready", 500) < 20
    assert at(result, "pending", 500) == 20 - at(result, "inflate:ready", 500)


def test_keda_falls_back_after_failure_threshold_polls():
    result = run(S.fallback(), nodeAutoscaler="none", enableMetricsServer="false")
    assert at(result, "podinfo-keda:replicas", 590) == 6  # 60 requests/s at 10 per pod
    # Prometheus goes at 600 s: after 3 failed polls KEDA serves the fallback, 2 replicas, which
    # the HPA applies once its 300 s scale-down stabilization window has passed.
    assert at(result, "podinfo-keda:replicas", 870) == 6
    assert at(result, "podinfo-keda:replicas", 1000) == 2
    # The plain HPA on the custom metric keeps its count while Prometheus is away.
    assert at(result, "podinfo:replicas", 1000) == at(result, "podinfo:replicas", 590)
    assert at(result, "podinfo-keda:replicas", 1500) == 6  # back on the metric


def test_same_seed_same_result_and_seeds_differ():
    first, again = run(S.chapter(), seed=7), run(S.chapter(), seed=7)
    other = run(S.chapter(), seed=8)
    assert first.series == again.series and first.summary == again.summary
    assert first.series != other.series


def test_any_type_of_the_apps_table_plans_and_an_unknown_one_is_a_clear_error():
    # The planner shares the app's instance-type table: r6i.large was not in its old 13-type list.
    result = Simulation(config(karpenterInstanceTypes="r6i.large"), S.chapter()).run()
    assert result.summary["cluster"]["node_hours"]["r6i.large"] > 0
    with pytest.raises(ConfigError, match="'x9.large' is not an EC2 instance type"):
        config(karpenterInstanceTypes="x9.large")


def test_a_region_without_prices_in_the_table_asks_for_prices():
    regional = config(region="eu-west-1", account="123456789012", availabilityZones="eu-west-1a,eu-west-1b")
    with pytest.raises(PlanError, match="no on-demand price for c5.large, m5.large, m5.xlarge in eu-west-1 .* pass --prices FILE"):
        Simulation(regional, S.chapter())
    assert Simulation(regional, S.chapter(), prices={"m5.large": 0.107, "c5.large": 0.096,
                                                     "m5.xlarge": 0.214}).run().summary["cluster"]["cost_usd"] > 0


def test_system_nodes_too_small_for_the_controllers_is_a_clear_error():
    with pytest.raises(PlanError, match="the system node group cannot hold the controller karpenter"):
        Simulation(config(systemNodeInstanceTypes="t3.medium", systemNodeMinSize="1", systemNodeDesiredSize="1"),
                   S.chapter()).run()


def test_cost_is_node_hours_times_prices():
    result = run(S.steady(hours=1.0), nodeAutoscaler="none")
    hours = result.summary["cluster"]["node_hours"]
    assert hours == {"m5.large": pytest.approx(2.0, abs=0.01)}
    assert math.isclose(result.summary["cluster"]["cost_usd"], 2 * 0.096, abs_tol=0.01)


def test_keda_activation_and_cooldown_scale_to_zero_and_back(monkeypatch):
    from planner.engine import workloads as model

    real = model.workloads

    def scale_to_zero(config):
        found = real(config)
        keda = next(w for w in found if w.name == "podinfo-keda")
        # podinfo's probes keep its request rate above 0, so scale-to-zero needs an activation threshold.
        zero = dataclasses.replace(keda, autoscaling=dataclasses.replace(keda.autoscaling, min_replicas=0,
                                                                          activation=1.0))
        return [zero if w is keda else w for w in found]

    monkeypatch.setattr("planner.simulation.workloads", scale_to_zero)
    scenario = S.Scenario("idle", 1800.0, {"podinfo-keda": [(0.0, 0.0), (600.0, 30.0), (1200.0, 0.0)]})
    result = run(scenario, nodeAutoscaler="none", enableMetricsServer="false")
    assert at(result, "podinfo-keda:replicas", 300) == 0  # idle past the 30 s cooldown: scaled to zero
    # The query counts requests the pods served: with no pods there is no series, the sum is empty (0)
    # and KEDA never activates, whatever the load. Scale-from-zero needs a metric from outside the pods.
    assert at(result, "podinfo-keda:replicas", 1000) == 0
    assert at(result, "podinfo-keda:replicas", 1790) == 0


def test_prices_can_be_overridden():
    scenario = S.steady(hours=1.0)
    cheap = Simulation(config(nodeAutoscaler="none"), scenario, prices={"m5.large": 0.05}).run()
    assert math.isclose(cheap.summary["cluster"]["cost_usd"], 2 * 0.05, abs_tol=0.01)
    with pytest.raises(PlanError, match="no specs for instance type 'z1.huge' to price"):
        Simulation(config(), scenario, prices={"z1.huge": 1.0})


def test_nodes_are_recorded_by_type(chapter_both):
    by_type = [values for key, values in chapter_both.series.items() if key.startswith("nodes:type:")]
    assert [sum(counts) for counts in zip(*by_type)] == chapter_both.series["nodes"]


@pytest.mark.parametrize("node_autoscaler", ["karpenter", "cluster-autoscaler"])
def test_a_plan_starts_from_a_settled_cluster(node_autoscaler):
    """Issue 18 item 2: the starting pods run on nodes launched before the plan starts, so nothing is
    Pending before the first rise of the load and start-up is not counted as a response to it."""
    result = run(S.chapter(), nodeAutoscaler=node_autoscaler)
    times = result.series["time"]
    assert all(pending == 0 for time, pending in zip(times, result.series["pending"]) if time < 60)
    for name in ("php-apache", "podinfo", "podinfo-keda"):
        assert at(result, f"{name}:ready", 0) == at(result, f"{name}:replicas", 0) >= 1
    group = "karpenter" if node_autoscaler == "karpenter" else "ca"
    assert at(result, f"nodes:{group}", 0) >= 1
