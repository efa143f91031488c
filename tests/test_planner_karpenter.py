"""The planner's Karpenter against Karpenter v1.14.1: what a node offers, which type it launches, batching,
limits, and disruption (emptiness, consolidation, budgets, the validation delay, Balanced scoring)."""

from __future__ import annotations

import dataclasses
import math

import pytest

from eks_scaling.controller_footprints import daemonsets
from eks_scaling.instance_types import instance_type
from eks_scaling.parse_settings import parse_config
from planner.engine import scenario as S
from planner.engine.nodes import Shape
from planner.engine.workloads import Disruption, daemonset_overhead, node_demo
from planner.scalers import karpenter as K
from planner.scalers.karpenter_disruption import BALANCED_K, balanced_score
from planner.simulation import Simulation
from tests.context import with_defaults

ONLY_INFLATE = {"enableMetricsServer": "false", "enablePrometheus": "false", "enableKeda": "false"}
GIB = 1024


def simulation(steps, seconds=900.0, **settings) -> Simulation:
    config = parse_config(with_defaults({**ONLY_INFLATE, **settings}))
    return Simulation(config, S.Scenario("inflate", seconds, {"inflate": steps}), record_every=1.0)


def series(result, key):
    return dict(zip(result.series["time"], result.series[key]))


# Expected values worked by hand from aws/karpenter-provider-aws v1.14.1 pkg/providers/instancetype/types.go:
# memory() = MiB (less 64 on arm64) less ceil(MiB x vmMemoryOverheadPercent 0.075); allocatable = that less
# kube-reserved memory (11 MiB x max pods + 255) less the 100Mi eviction threshold; kube-reserved CPU 6 % of
# the first core, 1 % of the second, 0.5 % of the next two, 0.25 % beyond. Then the DaemonSets' requests.
@pytest.mark.parametrize(("kind", "cores", "mib", "capacity_mib"), [
    ("m5.large", 2 - 0.070, 8192 - 615 - (11 * 29 + 255) - 100, 8192 - 615),
    ("m5.xlarge", 4 - 0.080, 16384 - 1229 - (11 * 58 + 255) - 100, 16384 - 1229),
    ("c7g.large", 2 - 0.070, 4032 - 303 - (11 * 29 + 255) - 100, 4032 - 303),  # arm64: 64 MiB less
])
def test_a_node_offers_what_karpenter_schedules_against(kind, cores, mib, capacity_mib):
    daemonsets = daemonset_overhead(parse_config(with_defaults({})))
    shape = Shape.of(instance_type(kind), daemonsets)
    assert shape.cpu == pytest.approx(cores - daemonsets[0])
    assert shape.memory == pytest.approx(mib / GIB - daemonsets[1])
    assert shape.capacity_memory == pytest.approx(capacity_mib / GIB)
    assert shape.max_pods == instance_type(kind).max_pods - daemonsets[2]


def test_the_daemonsets_are_the_apps():
    # eks_scaling/controller_footprints.py: aws-node 2 x 25m (its two containers), kube-proxy 100m,
    # ebs-csi-node 3 x 10m / 40Mi, the pod identity agent and node-exporter without requests (chart
    # defaults at the pinned versions).
    cores, gib, pods = daemonset_overhead(parse_config(with_defaults({})))
    assert (cores, gib * GIB) == pytest.approx((0.18, 120.0))
    assert pods == len(daemonsets(parse_config(with_defaults({}))))


def test_an_m5_large_takes_six_1gib_pods_and_seven_take_an_m5_xlarge():
    six = simulation([(0.0, 0.0), (10.0, 6.0)]).run()
    assert six.summary["cluster"]["node_hours"].keys() == {"m5.large"}
    assert max(six.series["nodes:karpenter"]) == 1
    # Seven do not fit an m5.large (6.4 GiB left for pods); the cheapest allowed type that holds them all.
    seven = simulation([(0.0, 0.0), (10.0, 7.0)]).run()
    assert seven.summary["cluster"]["node_hours"].keys() == {"m5.large", "m5.xlarge"}  # system nodes: m5.large
    assert max(seven.series["nodes:karpenter"]) == 1


def test_a_burst_launches_after_the_idle_window_and_a_trickle_after_the_max_window():
    burst_nodes = series(simulation([(0.0, 0.0), (10.0, 3.0)]).run(), "nodes:karpenter")
    assert burst_nodes[10.0] == 0 and burst_nodes[11.0] == 1  # batchIdleDuration 1 s
    trickle = simulation([(0.0, 0.0), *((10.0 + i, float(i + 1)) for i in range(20))]).run()
    trickle_nodes = series(trickle, "nodes:karpenter")
    assert trickle_nodes[19.0] == 0 and trickle_nodes[20.0] >= 1  # batchMaxDuration 10 s


def test_pods_go_to_a_launching_node_with_room_before_a_new_one():
    result = simulation([(0.0, 0.0), (10.0, 3.0), (30.0, 6.0)], karpenterInstanceTypes="m5.large").run()
    assert max(result.series["nodes:karpenter"]) == 1
    assert series(result, "inflate:ready")[200.0] == 6


def test_the_node_pool_limits_hold_pods_pending():
    result = simulation([(0.0, 0.0), (10.0, 20.0)], seconds=600.0, karpenterCpuLimit="2",
                        karpenterInstanceTypes="m5.large").run()
    assert max(result.series["nodes:karpenter"]) == 1  # a second 2-vCPU node would pass 2 vCPUs
    assert series(result, "inflate:ready")[500.0] == 6
    assert series(result, "pending")[500.0] == 14


def policy(monkeypatch, name: str, budgets=(("10%", frozenset()),)) -> None:
    monkeypatch.setattr(K, "node_pool_disruption", lambda config: Disruption(name, 30.0, budgets))


def removal_times(result) -> list[float]:
    times, nodes = result.series["time"], result.series["nodes:karpenter"]
    return [t for t, before, after in zip(times[1:], nodes, nodes[1:]) if after < before]


def test_an_empty_node_goes_after_consolidate_after_a_poll_and_the_validation_delay():
    result = simulation([(0.0, 0.0), (10.0, 5.0), (200.0, 0.0)]).run()
    (removed,) = removal_times(result)
    # Consolidatable 30 s after its last pod left; the next 10 s poll decides; validated 15 s later.
    assert 200 + 30 + K.VALIDATION_DELAY <= removed <= 200 + 30 + K.POLLING_PERIOD + K.VALIDATION_DELAY + 1


def test_the_default_budget_disrupts_ten_percent_of_the_nodes_per_command():
    result = simulation([(0.0, 0.0), (10.0, 120.0), (300.0, 0.0)], seconds=1200.0,
                        karpenterInstanceTypes="m5.large").run()
    nodes = series(result, "nodes:karpenter")
    assert max(nodes.values()) == 20
    removals = removal_times(result)
    counts = [nodes[t - 1] - nodes[t] for t in removals]
    assert counts[0] == math.ceil(0.1 * 20)  # 10 % of 20, rounded up
    assert all(count == math.ceil(0.1 * nodes[t - 1]) for count, t in zip(counts, removals))
    assert all(b - a >= K.VALIDATION_DELAY for a, b in zip(removals, removals[1:]))  # one command at a time


@pytest.mark.parametrize(("name", "nodes_left"), [("WhenEmpty", 2), ("WhenEmptyOrUnderutilized", 1),
                                                  ("Balanced", 1)])
def test_underutilized_nodes_are_consolidated_only_when_the_policy_allows(monkeypatch, name, nodes_left):
    policy(monkeypatch, name)
    # Six pods fill an m5.large, two more start a second; when four go, the ReplicaSet takes them from
    # the node with more of its pods, leaving two on each: one node can hold all four.
    result = simulation([(0.0, 0.0), (10.0, 6.0), (200.0, 8.0), (400.0, 4.0)], seconds=1200.0,
                        karpenterInstanceTypes="m5.large").run()
    nodes = series(result, "nodes:karpenter")
    assert nodes[390.0] == 2
    assert nodes[1199.0] == nodes_left
    assert series(result, "inflate:ready")[1199.0] == 4


def test_a_node_is_replaced_by_a_cheaper_type_that_holds_its_pods(monkeypatch):
    policy(monkeypatch, "WhenEmptyOrUnderutilized")
    # Seven pods need an m5.xlarge; when five go, the two left fit a c5.large, the cheapest allowed type.
    result = simulation([(0.0, 0.0), (10.0, 7.0), (300.0, 2.0)], seconds=1200.0).run()
    kinds = {key.removeprefix("nodes:type:"): series(result, key) for key in result.series
             if key.startswith("nodes:type:")}
    assert kinds["m5.xlarge"][290.0] == 1 and kinds["m5.xlarge"][1199.0] == 0
    assert kinds["c5.large"][1199.0] == 1
    assert series(result, "inflate:ready")[1199.0] == 2


# Re-stated from kubernetes-sigs/karpenter pkg/controllers/disruption/balanced_scoring_test.go
# ("should compute correct scores": pool cost 100, pool disruption cost 100, k = 2).
@pytest.mark.parametrize(("savings", "disruption", "score", "approved"), [
    (20.0, 5.0, 4.0, True), (10.0, 10.0, 1.0, True), (5.0, 50.0, 0.10, False), (10.0, 0.0, math.inf, True),
    (0.0, 10.0, 0.0, False), (-5.0, 10.0, 0.0, False),
])
def test_balanced_scores_as_upstream(savings, disruption, score, approved):
    result = balanced_score(savings, disruption, 100.0, 100.0)
    assert result == pytest.approx(score, abs=0.01)
    assert (result >= 1 / BALANCED_K) == approved


def test_the_node_pool_manifest_gives_the_policy_and_the_default_budget():
    from planner.engine.workloads import node_pool_disruption

    disruption = node_pool_disruption(parse_config(with_defaults({"karpenterConsolidateAfter": "2m"})))
    assert disruption == Disruption("WhenEmpty", 120.0, (("10%", frozenset()),))


def test_a_new_node_keeps_every_type_that_still_holds_its_pods():
    """Issue 18 item 9 (nodeclaim.go CanAdd): 13 inflate pods of 1 GiB with c5.xlarge (8 GiB) and r5.large
    (16 GiB) allowed: one NodeClaim keeps r5.large, which holds all 13, and launches it; narrowing each
    claim to the largest type by CPU (c5.xlarge) took 3 nodes."""
    result = simulation([(0.0, 0.0), (10.0, 13.0)], karpenterInstanceTypes="c5.xlarge,r5.large").run()
    assert max(result.series["nodes:karpenter"]) == 1
    assert "r5.large" in result.summary["cluster"]["node_hours"]
    assert series(result, "inflate:ready")[300.0] == 13


def test_a_pod_no_type_holds_stays_pending_and_the_others_launch():
    config = parse_config(with_defaults({**ONLY_INFLATE, "nodeAutoscaler": "karpenter", "testerReplicas": "0"}))
    huge = dataclasses.replace(node_demo("tester", "karpenter"), memory_request=200.0)  # 200 GiB
    scenario = S.Scenario("huge", 600.0, {"inflate": [(0.0, 0.0), (10.0, 3.0)], "tester": [(0.0, 0.0), (10.0, 1.0)]})
    result = Simulation(config, scenario, record_every=1.0, workload_specs=[node_demo("inflate"), huge]).run()
    assert series(result, "inflate:ready")[300.0] == 3
    assert series(result, "tester:ready")[590.0] == 0 and series(result, "pending")[590.0] == 1
    assert result.summary["workloads"]["tester"]["pods_never_placed"] == 1
