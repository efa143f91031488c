"""Spot as the app deploys it: the weighted spot NodePool first, Spot's price, interruptions at a rate
and on-demand fallback (planner/scalers/spot.py)."""

from __future__ import annotations

import math

from eks_scaling.parse_settings import parse_config
from planner.engine import assumptions as A
from planner.engine import scenario as S
from planner.simulation import Simulation
from tests.context import with_defaults
from tests.test_planner_karpenter import ONLY_INFLATE

BOTH = {"karpenterCapacityTypes": ["spot", "on-demand"]}


def run(steps, seconds, spot=A.SPOT, **settings):
    config = parse_config(with_defaults({**ONLY_INFLATE, **settings}))
    return Simulation(config, S.Scenario("inflate", seconds, {"inflate": steps}), record_every=60.0, spot=spot)


def test_the_spot_pool_goes_first_and_costs_less():
    on_demand, spot = run([(0, 10)], 3600.0).run(), run([(0, 10)], 3600.0, **BOTH).run()
    system = set(run([], 1.0).config.system_nodes.instance_types)
    launched = set(spot.summary["cluster"]["node_hours"]) - system
    assert launched and all(kind.endswith(" spot") for kind in launched)
    assert spot.summary["cluster"]["cost_usd"] < on_demand.summary["cluster"]["cost_usd"]
    assert "spot_interruptions" not in on_demand.summary["cluster"]


def test_launch_failures_fall_back_to_on_demand():
    result = run([(0, 10)], 3600.0, A.SpotAssumptions(launch_failure=1.0), **BOTH).run()
    assert result.summary["cluster"]["spot_launch_failures"] >= 1
    system = set(run([], 1.0).config.system_nodes.instance_types)
    assert set(result.summary["cluster"]["node_hours"]) - system  # on-demand nodes from the default NodePool
    assert not any(kind.endswith(" spot") for kind in result.summary["cluster"]["node_hours"])
    assert result.summary["workloads"]["inflate"]["capacity_reached"]


def test_interruptions_at_a_rate_and_pods_recover():
    hazard, hours = 1 / 3600, 24  # one interruption per Spot node-hour, so a day sees dozens
    simulation = run([(0, 10)], hours * 3600.0, **BOTH)
    simulation.karpenter.market.hazard = hazard
    result = simulation.run()
    cluster = result.summary["cluster"]
    spot_hours = sum(value for kind, value in cluster["node_hours"].items() if kind.endswith(" spot"))
    expected = spot_hours * 3600 * hazard
    got = cluster["spot_interruptions"]
    assert expected > 10 and abs(got - expected) <= 4 * math.sqrt(expected), (got, expected)
    assert cluster["pods_disrupted"] >= got  # each interrupted node had inflate pods, re-pended
    assert result.series["inflate:ready"][-1] == 10  # and they ran again


def test_the_monthly_share_is_a_constant_hazard():
    from planner.scalers.spot import MONTH, SpotMarket
    market = SpotMarket(A.SpotAssumptions(interruptions_per_month=0.05), seed=1)
    assert math.isclose(1 - math.exp(-market.hazard * MONTH), 0.05)


def test_explain_logs_spot_launches_interruptions_and_fallbacks():
    config = parse_config(with_defaults({**ONLY_INFLATE, **BOTH}))
    simulation = Simulation(config, S.Scenario("inflate", 7200.0, {"inflate": [(0, 10)]}), record_every=60.0,
                            spot=A.SpotAssumptions(launch_failure=0.5), explain=True, seed=3)
    simulation.karpenter.market.hazard = 1 / 1800
    simulation.run()
    text = simulation.cluster.log.text("inflate")
    assert "Spot interruption notice" in text and "Spot (Ready in" in text and "has no capacity" in text
