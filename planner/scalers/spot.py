"""Spot capacity as the app deploys it for Karpenter: the NodePools tried in descending weight (the Spot
one first when karpenterCapacityTypes has both), Spot's price, its interruptions and launch failures.

Upstream: kubernetes-sigs/karpenter at 6e7eab7a0f48 (the commit aws/karpenter-provider-aws v1.14.1's
go.mod pins) pkg/controllers/provisioning/provisioner.go (nodepoolutils.OrderByWeight: NodePools by
weight); aws/karpenter-provider-aws v1.14.1 pkg/controllers/interruption (utils.go handleNodeClaim: a
spot_interrupted message marks the offering unavailable and deletes the NodeClaim, which cordons and
drains the node, so its pods go Pending and the provisioner launches new capacity) and pkg/cache/cache.go
(UnavailableOfferingsTTL). The numbers Spot depends on are assumptions: planner/engine/assumptions.py SPOT.
"""

from __future__ import annotations

import heapq
import itertools
import math
import random
from dataclasses import dataclass

from eks_scaling.autoscaling_objects import node_pools
from eks_scaling.settings import AppConfig
from planner.engine import assumptions as A

SPOT, ON_DEMAND = "spot", "on-demand"
MONTH = 30 * 86400.0


@dataclass(frozen=True)
class Pool:
    name: str
    capacity_type: str  # spot or on-demand: each NodePool the app deploys allows one
    weight: int


def pools(config: AppConfig) -> list[Pool]:
    """The NodePools the app deploys (eks_scaling/autoscaling_objects.py), highest weight first."""
    found = []
    for pool in node_pools(config.karpenter, name="default", labels={}, taints=[]):
        (types,) = [r["values"] for r in pool["spec"]["template"]["spec"]["requirements"]
                    if r["key"] == "karpenter.sh/capacity-type"]
        found.append(Pool(pool["metadata"]["name"], SPOT if SPOT in types else ON_DEMAND,
                          int(pool["spec"].get("weight", 0))))
    return sorted(found, key=lambda pool: -pool.weight)


class SpotMarket:
    """Spot offerings that are unavailable for a while, and each Spot node's interruption, drawn from
    its own generator (seeded from the plan's seed) so the latency jitter stays as without Spot."""

    def __init__(self, assumptions: A.SpotAssumptions, seed: int) -> None:
        self.assumptions = assumptions
        self.rng = random.Random(f"spot-{seed}")
        # A constant hazard that interrupts this share of instances within 30 days.
        share = assumptions.interruptions_per_month
        self.hazard = -math.log(1 - share) / MONTH if share < 1 else math.inf
        self.unavailable: dict[str, float] = {}  # instance type -> until
        self.notices: list[tuple[float, int, object]] = []  # (notice time, tie-break, node)
        self.counter = itertools.count()
        self.interruptions = 0
        self.launch_failures = 0

    def available(self, kind: str, now: float) -> bool:
        return self.unavailable.get(kind, -math.inf) <= now

    def mark_unavailable(self, kind: str, now: float) -> None:
        self.unavailable[kind] = now + A.SPOT_UNAVAILABLE_TTL

    def launch_fails(self, kind: str, now: float) -> bool:
        """An InsufficientInstanceCapacity for this launch: the offering is skipped for the TTL."""
        if self.assumptions.launch_failure and self.rng.random() < self.assumptions.launch_failure:
            self.launch_failures += 1
            self.mark_unavailable(kind, now)
            return True
        return False

    def launched(self, node, now: float) -> None:
        """Draw when EC2 will send this Spot node its interruption notice."""
        if self.hazard > 0:
            heapq.heappush(self.notices, (now + self.rng.expovariate(self.hazard), next(self.counter), node))

    def next_notice(self) -> float:
        return self.notices[0][0] if self.notices else math.inf

    def due(self, now: float) -> list:
        """The nodes whose notice has come, still running."""
        found = []
        while self.notices and self.notices[0][0] <= now:
            node = heapq.heappop(self.notices)[2]
            if not node.removed:
                found.append(node)
        return found
