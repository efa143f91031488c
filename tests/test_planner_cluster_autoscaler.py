"""The planner's Cluster Autoscaler against cluster-autoscaler 1.35.2: empty nodes deleted together, nodes
that need draining one at a time and only when their pods fit elsewhere and may be evicted, the
utilization threshold, unneeded time and the delay after a scale-up."""

from __future__ import annotations

import dataclasses

import pytest

from eks_scaling.parse_settings import parse_config
from planner.engine import assumptions as A
from planner.engine import scenario as S
from planner.engine.workloads import Eviction
from planner.scalers import cluster_autoscaler as CA
from planner.simulation import Simulation
from tests.context import with_defaults

ONLY_TESTER = {"nodeAutoscaler": "cluster-autoscaler", "enableMetricsServer": "false",
               "enablePrometheus": "false", "enableKeda": "false"}
UNNEEDED = 600.0  # clusterAutoscalerScaleDownUnneededTime default 10m


def run(steps, seconds=2400.0, tester=None, **settings):
    config = parse_config(with_defaults({**ONLY_TESTER, **settings}))
    simulation = Simulation(config, S.Scenario("tester", seconds, {"tester": steps}), record_every=1.0)
    if tester is not None:
        state = simulation.cluster.states["tester"]
        state.spec = tester(state.spec)
    return simulation, simulation.run()


def nodes(result) -> dict[float, float]:
    return dict(zip(result.series["time"], result.series["nodes:ca"]))


def drops(result) -> list[tuple[float, int]]:
    times, counts = result.series["time"], result.series["nodes:ca"]
    return [(t, int(before - after)) for t, before, after in zip(times[1:], counts, counts[1:]) if after < before]


def test_empty_nodes_go_together_after_the_unneeded_time_and_the_delay_after_a_scale_up():
    # 96 tester pods (no requests, 24 per m5.large by its pod limit) fill 4 nodes; at 300 s they go.
    _, result = run([(0.0, 0.0), (10.0, 96.0), (300.0, 0.0)], caNodeMaxSize="6")
    assert max(nodes(result).values()) == 4
    # Full, each node failed the removal simulation (its pods fit nowhere else) and waits out the 5-minute
    # recheck; once empty, nodes go down to the group's minimum of 1, those unneeded since the same scan
    # together.
    found = drops(result)
    assert sum(count for _, count in found) == 3 and max(count for _, count in found) >= 2
    for when, _ in found:  # unneeded after 300 s; also no scale-down within 10 minutes of the scale-up
        assert when > max(300 + UNNEEDED, 10 + A.CA_SCALE_DOWN_DELAY_AFTER_ADD)
        assert when < 300 + CA.UNREMOVABLE_RECHECK + UNNEEDED + 2 * A.CA_SCAN_INTERVAL


# 96 pods fill 4 nodes; all go at 300 s and 8 come back at 310 s, two on each still-Ready node: every
# node then holds pods that would fit elsewhere.
SPREAD = [(0.0, 0.0), (10.0, 96.0), (300.0, 0.0), (310.0, 8.0)]


def test_nodes_that_need_draining_go_one_per_scan_and_each_pod_moves_once():
    simulation, result = run(SPREAD, caNodeMaxSize="6")
    assert all(count == 1 for _, count in drops(result))
    assert nodes(result)[2399.0] == 1
    assert simulation.cluster_autoscaler.evictions["tester"] <= 8 + 2  # not moved from node to node


def block(reason: Eviction):
    return lambda spec: dataclasses.replace(spec, eviction=reason)


@pytest.mark.parametrize("reason", [
    Eviction(blocker='cluster-autoscaler.kubernetes.io/safe-to-evict: "false"'),
    Eviction(min_available=8),  # a PodDisruptionBudget that allows no eviction
    Eviction(max_unavailable=0),
])
def test_pods_that_may_not_be_evicted_keep_their_nodes(reason):
    simulation, result = run(SPREAD, caNodeMaxSize="6", tester=block(reason))
    assert nodes(result)[2399.0] == 4  # every node holds tester pods: all stay
    assert simulation.cluster_autoscaler.evictions.get("tester", 0) == 0


def test_a_pdb_that_allows_one_eviction_lets_nodes_drain_one_by_one():
    simulation, result = run(SPREAD, caNodeMaxSize="6", tester=block(Eviction(max_unavailable=3)))
    assert nodes(result)[2399.0] < 4
    assert simulation.cluster_autoscaler.evictions["tester"] > 0


@pytest.mark.parametrize(("percent", "shrinks"), [("50", False), ("90", True)])
def test_a_node_over_the_utilization_threshold_is_needed(percent, shrinks):
    # 0.29 cores per pod, six per node: six fill the first node (1.74 of the 1.75 cores its ~1.93 leave
    # after 0.18 of DaemonSets), three more start a second, then the ReplicaSet takes three from the fuller
    # node. Each node then uses (0.87 + DaemonSets) of its ~1.93 cores, about 0.54, and either could take
    # the other's pods (0.88 free): over a 50 % threshold, under 90 %.
    heavy = lambda spec: dataclasses.replace(spec, cpu_request=0.29)  # noqa: E731
    _, result = run([(0.0, 0.0), (10.0, 6.0), (100.0, 9.0), (300.0, 6.0)], caNodeMaxSize="6", tester=heavy,
                    clusterAutoscalerScaleDownUtilizationPercent=percent)
    assert max(nodes(result).values()) == 2
    assert (nodes(result)[2399.0] == 1) == shrinks


def test_the_chapter_moves_php_apache_at_most_once():
    config = parse_config(with_defaults({"nodeAutoscaler": "cluster-autoscaler"}))
    simulation = Simulation(config, S.chapter(), record_every=10.0)
    result = simulation.run()
    assert simulation.cluster_autoscaler.evictions.get("php-apache", 0) <= 1
    # Of the 5 nodes the tester needed, the empty ones go together and one that needs draining goes
    # at once; the last destination starts its unneeded time again.
    assert result.series["nodes:ca"][-1] <= 2
    # The parallelism defaults of cluster-autoscaler 1.35.2 config/flags/flags.go.
    assert (CA.MAX_SCALE_DOWN_PARALLELISM, CA.MAX_DRAIN_PARALLELISM) == (10, 1)


def test_a_scan_waits_while_every_pending_pod_is_under_2_s_old():
    """static_autoscaler.go allPodsAreNew (unschedulablePodTimeBuffer 2 s): the pods created at 10 s are
    0 s old at the 10 s scan, so the group grows at the 20 s scan."""
    simulation = Simulation(parse_config(with_defaults(ONLY_TESTER)),
                            S.Scenario("tester", 300.0, {"tester": [(0.0, 0.0), (10.0, 96.0)]}), explain=True)
    simulation.run()
    ups = [d.time for d in simulation.cluster.log.about("tester") if "scale-up" in d.text]
    assert ups and min(ups) == 20.0


def test_a_node_is_removed_only_when_unneeded_longer_than_the_unneeded_time():
    """unneeded/nodes.go: since + threshold must be before now, strictly: a node unneeded since a scan
    is not removed at the scan exactly 10 minutes later, but at the next one."""
    simulation = Simulation(parse_config(with_defaults(ONLY_TESTER)),
                            S.Scenario("tester", 2400.0, {"tester": [(0.0, 0.0), (10.0, 30.0), (900.0, 0.0)]}),
                            explain=True)
    simulation.run()
    downs = [d.text for d in simulation.cluster.log.about("cluster") if "scale-down" in d.text]
    assert downs and all("unneeded for 610 s" in text for text in downs)


def test_a_group_at_its_minimum_has_no_scale_down_candidates():
    """processors/nodes/pre_filtering_processor.go: at its minimum size (1, the default) the group's empty
    node is not unneeded at all, so no unneeded time builds up before the group grows."""
    simulation = Simulation(parse_config(with_defaults(ONLY_TESTER)),
                            S.Scenario("tester", 600.0, {"tester": [(0.0, 0.0)]}))
    simulation.run()
    assert len(simulation.cluster.groups["ca"]) == 1 and simulation.cluster_autoscaler.unneeded == {}


def test_a_node_that_failed_the_removal_simulation_is_rechecked_after_5_minutes():
    """planner.go categorizeNodes: AddTimeout(now + --unremovable-node-recheck-timeout): while the timeout
    runs, the node is not simulated again even when the cluster changes."""
    simulation, _ = run([(0.0, 0.0), (10.0, 48.0)], seconds=400.0, caNodeMaxSize="6")
    autoscaler = simulation.cluster_autoscaler
    assert autoscaler.unremovable  # full nodes: their pods fit nowhere else
    assert all(0 < until - 400.0 <= CA.UNREMOVABLE_RECHECK for until in autoscaler.unremovable.values())
