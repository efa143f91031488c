"""Karpenter's consolidation and drain against kubernetes-sigs/karpenter at the commit Karpenter v1.14.1
pins (6e7eab7a0f48): PodDisruptionBudgets and do-not-disrupt keep a node out of the candidates and pace
its drain, multi-node consolidation never replaces nodes by one of their own type
(filterOutSameInstanceType), and a command is re-validated after its 15 s wait (validateCommand)."""

from __future__ import annotations

import dataclasses

import pytest

from eks_scaling.parse_settings import parse_config
from planner.engine import scenario as S
from planner.engine.workloads import Eviction, node_demo
from planner.scalers.karpenter_disruption import Command, ordered
from planner.simulation import Simulation
from tests.context import with_defaults
from tests.test_planner_karpenter import ONLY_INFLATE, policy, series

# Seven pods need an m5.xlarge; when five go, the two left fit a c5.large: a replacement.
SHRINK = [(0.0, 0.0), (10.0, 7.0), (300.0, 2.0)]


def planned(steps, eviction: Eviction, seconds: float = 1200.0) -> tuple[Simulation, object]:
    config = parse_config(with_defaults(ONLY_INFLATE))
    inflate = dataclasses.replace(node_demo("inflate"), eviction=eviction)
    simulation = Simulation(config, S.Scenario("inflate", seconds, {"inflate": steps}), record_every=1.0,
                            workload_specs=[inflate])
    return simulation, simulation.run()


def test_a_pdb_paces_the_drain_one_pod_at_a_time(monkeypatch):
    """The app's php-apache PDB allows one pod down: the termination controller evicts the next only
    once the last one's replacement is Ready (all were evicted at once before)."""
    policy(monkeypatch, "WhenEmptyOrUnderutilized")
    _, result = planned(SHRINK, Eviction(max_unavailable=1))
    kinds = {key.removeprefix("nodes:type:"): series(result, key) for key in result.series
             if key.startswith("nodes:type:")}
    assert kinds["m5.xlarge"][1199.0] == 0 and kinds["c5.large"][1199.0] == 1  # still replaced
    ready = series(result, "inflate:ready")
    assert min(value for time, value in ready.items() if time > 400.0) == 1  # never both down at once
    _, unpaced = planned(SHRINK, Eviction())
    assert min(value for time, value in series(unpaced, "inflate:ready").items() if time > 400.0) == 0


@pytest.mark.parametrize("eviction", [Eviction(do_not_disrupt=True), Eviction(min_available=2)],
                         ids=["do-not-disrupt", "pdb-allows-none"])
def test_a_pod_that_may_not_be_evicted_keeps_its_node(monkeypatch, eviction):
    policy(monkeypatch, "WhenEmptyOrUnderutilized")
    _, result = planned(SHRINK, eviction)
    kinds = {key.removeprefix("nodes:type:"): series(result, key) for key in result.series
             if key.startswith("nodes:type:")}
    assert kinds["m5.xlarge"][1199.0] == 1 and result.summary["cluster"]["pods_disrupted"] == 0


def karpenter_with(kinds: list[str], pods: int):
    """A plan's Karpenter with these Ready nodes holding `pods` inflate pods between them."""
    simulation, _ = planned([(0.0, 0.0)], Eviction(), seconds=10.0)
    cluster, karpenter = simulation.cluster, simulation.karpenter
    nodes = [cluster.new_node(kind, "karpenter", -1.0) for kind in kinds]
    state = cluster.states["inflate"]
    cluster.scale_to(state, pods)
    cluster.schedule()
    return karpenter, nodes, state


def test_multi_node_consolidation_never_replaces_nodes_by_one_of_their_own_type():
    """multinodeconsolidation.go filterOutSameInstanceType: two m5.large whose pods fit one m5.large
    are not replaced by an m5.large (deleting one alone would do it, with less disruption)."""
    karpenter, nodes, _ = karpenter_with(["m5.large", "m5.large"], 6)
    assert {node.kind for node in nodes} == {"m5.large"} and all(node.residents for node in nodes)
    left = karpenter._left_over(nodes)
    assert sum(left.values()) == 6  # the system nodes are tainted: the pods need a new node
    assert karpenter._replacement(nodes, left) is None
    assert karpenter._replacement(nodes[:1], karpenter._left_over(nodes[:1])) == "c5.large"  # single node: cheaper


def test_a_command_is_revalidated_after_its_wait():
    """validation.go validateCommand: a replacement is valid only while the pods still need exactly one new
    node that the replacement type holds; a deletion only while they need none."""
    karpenter, nodes, state = karpenter_with(["m5.xlarge"], 2)
    replace = Command("Underutilized", nodes, "c5.large", 0.0)
    delete = Command("Underutilized", nodes, None, 0.0)
    assert karpenter._still_holds(replace, nodes) and not karpenter._still_holds(delete, nodes)
    karpenter.cluster.scale_to(state, 7)  # more pods arrived during the wait: c5.large no longer holds them
    karpenter.cluster.schedule()
    assert not karpenter._still_holds(replace, nodes)


def test_candidates_go_by_savings_per_disruption():
    """consolidation.go sortCandidates (SavingsRatio, descending): an m5.xlarge with two pods ($0.192 over
    3) before an m5.large with one ($0.096 over 2), though it holds more pods."""
    _, nodes, _ = karpenter_with(["m5.large", "m5.xlarge"], 0)
    small, large = nodes
    for node, count in ((small, 1), (large, 2)):
        node.residents = {object(): None for _ in range(count)}
    assert ordered([small, large]) == [large, small]
