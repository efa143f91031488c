"""The planner's Fargate: one micro-VM per pod, sized as the EKS user guide says, after the start latency of
planner/engine/assumptions.py, released with its pod, billed at the Fargate prices; and the demos that
fargateWorkloads names planned there."""

from __future__ import annotations

from dataclasses import replace

import pytest

from eks_scaling.parse_settings import parse_config
from planner.engine import assumptions as A
from planner.engine import scenario as S
from planner.engine.nodes import PlanError
from planner.engine.workloads import node_demo, workloads
from planner.scalers.fargate import fargate_kind, fargate_price
from planner.simulation import Simulation
from tests.context import with_defaults

ONLY_INFLATE = {"enableMetricsServer": "false", "enablePrometheus": "false", "enableKeda": "false"}
# inflate's pods (1Gi, no cpu request) on Fargate: 1 GiB + 256 MiB -> 0.25 vCPU with 2 GB.
KIND = "fargate 0.25 vCPU 2 GB"


def plan(steps, *, start=40.0, seconds=900.0, workload=None):
    config = parse_config(with_defaults(ONLY_INFLATE))
    spec = workload or replace(node_demo("inflate"), groups=frozenset({"fargate"}))
    simulation = Simulation(config, S.Scenario("fargate", seconds, {"inflate": steps}), record_every=1.0,
                            workload_specs=[spec], latencies={"fargate-pod-start": start, "inflate-pod-ready": 0.0})
    return simulation.run()


def at(result, key, time):
    return dict(zip(result.series["time"], result.series[key]))[time]


def test_the_starting_pods_run_when_the_plan_starts():
    result = plan([(0.0, 2.0)])
    assert at(result, "nodes:fargate", 0.0) == 2 and at(result, "pending", 0.0) == 0
    assert result.summary["workloads"]["inflate"]["pending_pod_seconds"] == 0


@pytest.mark.parametrize("start", [40.0, 90.0])
def test_each_new_pod_gets_its_own_capacity_after_fargates_start_latency(start):
    result = plan([(0.0, 0.0), (10.0, 3.0)], start=start)
    waited = result.summary["workloads"]["inflate"]["time_to_capacity_s"]
    assert start * (1 - A.LATENCY_JITTER) <= waited <= start * (1 + A.LATENCY_JITTER) + 1
    assert at(result, "nodes:fargate", 10.0) == 3  # one per pod at once, none Ready yet
    assert at(result, "nodes:karpenter", 10.0 + start * 1.2) == 0  # nothing else launched for them


def test_a_pods_capacity_ends_with_the_pod():
    result = plan([(0.0, 0.0), (10.0, 3.0), (300.0, 1.0)])
    assert at(result, "nodes:fargate", 299.0) == 3
    assert at(result, "nodes:fargate", 300.0) == 1


def test_the_bill_is_each_pods_configuration_by_the_hour():
    result = plan([(0.0, 2.0), (450.0, 1.0)])
    hours = result.summary["cluster"]["node_hours"][KIND]
    assert hours == pytest.approx((2 * 450 + 1 * 450) / 3600, abs=0.001)
    systems = sum(value for kind, value in result.summary["cluster"]["node_hours"].items() if kind != KIND)
    price = fargate_price(250, 2048)
    assert price == pytest.approx(0.25 * A.FARGATE_PRICES.vcpu_hour + 2 * A.FARGATE_PRICES.gb_hour)
    assert result.summary["cluster"]["cost_usd"] == pytest.approx(hours * price + systems * 0.096, abs=0.01)


def test_a_pod_larger_than_fargates_largest_is_refused_in_one_line():
    huge = replace(node_demo("inflate"), cpu_request=17.0, groups=frozenset({"fargate"}))
    with pytest.raises(PlanError, match="inflate requests more than Fargate's largest pod"):
        plan([(0.0, 1.0)], workload=huge)


def test_kinds_name_the_configuration():
    assert fargate_kind(250, 512) == "fargate 0.25 vCPU 0.5 GB"
    assert fargate_kind(2000, 9216) == "fargate 2 vCPU 9 GB"


def test_the_demos_fargate_workloads_names_are_planned_on_fargate():
    config = parse_config(with_defaults({"fargateWorkloads": "php-apache"}))
    groups = {spec.name: spec.groups for spec in workloads(config)}
    assert groups["php-apache"] == {"fargate"} and groups["podinfo"] == {"karpenter"}
    result = Simulation(config, S.chapter()).run()
    php = result.summary["workloads"]["php-apache"]
    assert php["capacity_reached"]
    assert max(result.series["nodes:fargate"]) == php["peak_replicas"]
    assert "fargate 0.25 vCPU 0.5 GB" in result.summary["cluster"]["node_hours"]
