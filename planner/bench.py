"""The planner's speed budget: 24 h of simulated time at 1 s resolution, with about 1,000 pods on
about 100 nodes, in under 10 s. Usage: make plan-bench (python -m planner.bench)."""

from __future__ import annotations

import sys
import time

from planner import scenario as S
from planner.simulation import Simulation
from stacks.config import DEFAULTS, parse_config

BUDGET_SECONDS = 10.0
SETTINGS = {"nodeAutoscaler": "both", "karpenterInstanceTypes": "m5.large", "caNodeMaxSize": "15"}


def bench_scenario() -> S.Scenario:
    """The diurnal day, plus 700 inflate pods on Karpenter and 300 tester pods on Cluster Autoscaler."""
    day = S.diurnal()
    day.name = "bench"
    day.steps["inflate"] = [(0.0, 0.0), (3600.0, 700.0), (8 * 3600.0, 300.0), (14 * 3600.0, 700.0),
                            (22 * 3600.0, 0.0)]
    day.steps["tester"] = [(0.0, 0.0), (3600.0, 300.0), (20 * 3600.0, 0.0)]
    return day


def main() -> int:
    config = parse_config({**DEFAULTS, **SETTINGS})  # fixed settings, whatever cdk.json holds
    started = time.perf_counter()
    result = Simulation(config, bench_scenario(), step=1.0, record_every=60.0).run()
    seconds = time.perf_counter() - started
    pods = max(sum(values) for values in zip(*(result.series[k] for k in result.series if k.endswith(":replicas"))))
    print(f"24 h at 1 s: {seconds:.2f} s (budget {BUDGET_SECONDS:g} s), peak {pods:g} pods on "
          f"{result.summary['cluster']['peak_nodes']} nodes")
    return 0 if seconds <= BUDGET_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
