"""The planner's EKS Auto Mode: Karpenter with the built-in general-purpose pool's fixed settings, plus the
management fee on the instances it launches; and one --compare of all four node-capacity options."""

from __future__ import annotations

import json

import pytest

from eks_scaling.instance_types import instance_type
from eks_scaling.parse_settings import parse_config
from planner.cli.main import main
from planner.engine import assumptions as A
from planner.engine import scenario as S
from planner.engine.workloads import workloads
from planner.scalers.auto_mode import as_karpenter, general_purpose_types, management_fee
from planner.simulation import Simulation
from tests.context import with_defaults

AUTO = parse_config(with_defaults({"nodeAutoscaler": "auto-mode"}))


def test_the_general_purpose_pool_launches_c_m_r_of_generation_5_or_newer_on_amd64_only():
    types = general_purpose_types()
    assert {"m5.large", "c6a.large", "r5.xlarge", "m7i.large"} <= set(types)
    assert not {"m4.large", "c4.large", "t3.large", "c7g.large", "m6g.large"} & set(types)
    assert all(instance_type(name).architecture == "x86_64" for name in types)


def test_auto_mode_is_planned_as_karpenter_with_the_built_in_pools_settings():
    config = as_karpenter(AUTO)
    assert config.enable_karpenter and config.karpenter.capacity_types == ("on-demand",)
    assert (config.karpenter.consolidation_policy, config.karpenter.consolidate_after,
            config.karpenter.expire_after) == ("WhenEmptyOrUnderutilized", "30s", "336h")
    assert config.karpenter.disruption_budgets == ()  # the CRD's default: 10 % of nodes
    assert {spec.name: spec.groups for spec in workloads(AUTO)}["inflate"] == {"karpenter"}


def test_with_its_own_node_pool_auto_mode_is_planned_on_the_apps_pool_and_still_pays_the_fee():
    own = parse_config(with_defaults({"nodeAutoscaler": "auto-mode", "autoModeNodePool": "true",
                                      "karpenterInstanceTypes": "m5.xlarge", "karpenterCpuLimit": "8",
                                      "karpenterCapacityTypes": "on-demand,spot"}))
    config = as_karpenter(own)
    assert config.enable_karpenter and config.karpenter == own.karpenter
    result = Simulation(own, S.chapter()).run()
    hours = result.summary["cluster"]["node_hours"]
    assert set(hours) - {"m5.large"} == {"m5.xlarge spot"}  # the system group is m5.large
    # The fee on the Spot node's on-demand price, not on its Spot price.
    fee = A.AUTO_MODE_FEE_SHARE * hours["m5.xlarge spot"] * instance_type("m5.xlarge").on_demand_usd_per_hour["us-east-1"]
    assert result.summary["cluster"]["auto_mode_fee_usd"] == pytest.approx(fee, abs=0.01)


def test_the_fee_is_a_share_of_the_on_demand_price_of_auto_modes_instances_only():
    prices = {"m5.large": 0.096, "c6a.large": 0.0765}
    fee = management_fee({"m5.large": 3.0, "c6a.large": 2.0}, {"m5.large": 2.0}, prices)
    assert fee == pytest.approx(A.AUTO_MODE_FEE_SHARE * (1.0 * 0.096 + 2.0 * 0.0765))


def test_a_plan_bills_the_fee_on_top_of_the_instances():
    result = Simulation(AUTO, S.chapter()).run()
    cluster = result.summary["cluster"]
    assert result.label == "auto-mode"
    system = {"m5.large": 2 * S.chapter().duration / 3600}
    launched = {kind: hours - system.get(kind, 0.0) for kind, hours in cluster["node_hours"].items()}
    assert sum(launched.values()) > 0
    instances = sum(hours * instance_type(kind).on_demand_usd_per_hour["us-east-1"]
                    for kind, hours in cluster["node_hours"].items())
    fee = A.AUTO_MODE_FEE_SHARE * sum(hours * instance_type(kind).on_demand_usd_per_hour["us-east-1"]
                                      for kind, hours in launched.items())
    assert cluster["auto_mode_fee_usd"] == pytest.approx(fee, abs=0.01)
    assert cluster["cost_usd"] == pytest.approx(instances + fee, abs=0.01)
    assert "auto_mode_fee_usd" not in Simulation(parse_config(with_defaults({})), S.chapter()).run().summary["cluster"]


@pytest.mark.usefixtures("planner_defaults")
def test_one_compare_plans_all_four_node_capacity_options(tmp_path, capsys):
    assert main(["--scenario", "chapter", "--compare", "nodeAutoscaler=cluster-autoscaler",
                 "--compare", "nodeAutoscaler=auto-mode", "--compare", "fargateWorkloads=php-apache,podinfo,podinfo-keda",
                 "--out", str(tmp_path), "--quiet"]) == 0
    output = capsys.readouterr().out
    assert "cluster: of which Auto Mode fee" in output and "node-hours fargate 0.25 vCPU 0.5 GB" in output
    runs = {path.stem.removeprefix("chapter_"): json.loads(path.read_text())["summary"]
            for path in tmp_path.glob("chapter_*.json")}
    assert len(runs) == 4
    assert all(summary["workloads"]["php-apache"]["capacity_reached"] for summary in runs.values())
