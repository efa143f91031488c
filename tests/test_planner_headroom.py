"""The planner's headroom, from the same settings the app deploys: placeholder pods at the lowest
priority that real pods preempt at once, and that the node autoscaler provisions again."""

from __future__ import annotations

import pytest

from eks_scaling.autoscaling_objects import PLACEHOLDER_PRIORITY
from eks_scaling.parse_settings import parse_config
from planner.engine.scenario import Scenario
from planner.engine.workloads import HEADROOM, workloads
from planner.simulation import Simulation
from tests.context import with_defaults

BURST_AT = 600.0


def burst(pods: int) -> Scenario:
    """inflate (1Gi pause pods on Karpenter's nodes) from 0 to `pods` at 10 min, for 20 min."""
    return Scenario("burst", 2400.0, {"inflate": [(0.0, 0.0), (BURST_AT, float(pods)), (BURST_AT + 1200, 0.0)]})


def plan(pods: int, slots: int, **settings: str) -> dict:
    config = parse_config(with_defaults({"headroom": str(slots), "headroomCpu": "100m", "headroomMemory": "1Gi",
                                         "enableMetricsServer": "false", "enablePrometheus": "false",
                                         "enableKeda": "false", **settings}))
    return Simulation(config, burst(pods), record_every=5.0).run().summary


def test_headroom_is_a_workload_of_placeholders_only_when_set():
    assert HEADROOM not in {spec.name for spec in workloads(parse_config(with_defaults({})))}
    (spec,) = [spec for spec in workloads(parse_config(with_defaults({"headroom": "3", "headroomCpu": "250m"})))
               if spec.name == HEADROOM]
    assert (spec.replicas, spec.cpu_request, spec.memory_request) == (3, 0.25, 1.0)
    assert spec.priority == PLACEHOLDER_PRIORITY < 0 and spec.groups == frozenset({"karpenter"})


@pytest.mark.parametrize("mechanism", ["placeholder-pods", "capacity-buffer"])
def test_a_burst_smaller_than_the_headroom_waits_for_no_node(mechanism):
    without = plan(3, 0)
    within = plan(3, 4, headroomMechanism=mechanism)
    assert without["workloads"]["inflate"]["pending_pod_seconds"] > 3 * 30  # a node launch at least
    assert within["workloads"]["inflate"]["pending_pod_seconds"] == 0
    assert within["workloads"]["inflate"]["time_to_capacity_s"] < without["workloads"]["inflate"]["time_to_capacity_s"]
    assert within["cluster"]["placeholders_preempted"] >= 1  # only where a pod did not fit beside them
    # The preempted placeholders went Pending and Karpenter provisioned them again.
    assert within["workloads"][HEADROOM]["pending_pod_seconds"] > 0


def test_a_burst_larger_than_the_headroom_still_waits():
    larger = plan(12, 4)
    assert larger["workloads"]["inflate"]["pending_pod_seconds"] > 0
    assert larger["workloads"]["inflate"]["time_to_capacity_s"] > 30
    assert larger["cluster"]["placeholders_preempted"] == 4


def test_headroom_costs_node_hours():
    assert plan(3, 4)["cluster"]["cost_usd"] > plan(3, 0)["cluster"]["cost_usd"]


def test_cluster_autoscaler_provisions_placeholders_too():
    """Priority -10 is not below CA's cutoff: the placeholders make its group grow."""
    summary = plan(0, 4, nodeAutoscaler="cluster-autoscaler", headroomMemory="4Gi", caNodeMinSize="0")
    assert summary["cluster"]["node_hours"]
    assert summary["workloads"][HEADROOM]["peak_replicas"] == 4


@pytest.mark.parametrize("percent", ["0", "40", "100"])
def test_cluster_autoscaler_plans_with_the_configured_utilization_threshold(percent):
    from planner.scalers.cluster_autoscaler import ClusterAutoscaler
    config = parse_config(with_defaults({"nodeAutoscaler": "cluster-autoscaler",
                                         "clusterAutoscalerScaleDownUtilizationPercent": percent}))
    simulation = Simulation(config, burst(0))
    assert isinstance(simulation.cluster_autoscaler, ClusterAutoscaler)
    assert simulation.cluster_autoscaler.utilization_threshold == int(percent) / 100


def test_a_comparison_keeps_headroom_in_the_run_that_has_it():
    from planner.cli.comparison import select
    runs = {"without": parse_config(with_defaults({})), "with": parse_config(with_defaults({"headroom": "2"}))}
    selection = select(runs, burst(3))
    assert HEADROOM in {spec.name for spec in selection.workloads["with"]}
    assert HEADROOM not in {spec.name for spec in selection.workloads["without"]}
    assert not selection.notes
