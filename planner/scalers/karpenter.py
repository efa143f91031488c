"""Karpenter v1.14.1: provisioning (batch pending pods, fill launching NodeClaims first, then new ones,
each keeping every type that still holds its pods and launched as the cheapest of them
(karpenter_scheduling.py), within the NodePool's limits) and disruption (emptiness,
then multi-node and single-node consolidation, as the NodePool's consolidationPolicy allows, within its
disruption budgets, each command validated after 15 s).

Upstream: kubernetes-sigs/karpenter at the commit aws/karpenter-provider-aws v1.14.1's go.mod pins
(6e7eab7a0f48): pkg/controllers/provisioning (batcher, scheduler), pkg/controllers/disruption
(controller.go, emptiness.go, multinodeconsolidation.go, singlenodeconsolidation.go, balanced.go,
helpers.go BuildDisruptionBudgetMapping, consolidation.go commandValidationDelay) and
pkg/controllers/nodeclaim/disruption/consolidation.go (Consolidatable: no pod event for consolidateAfter).
Spot (NodePools by weight, interruptions, launch failures): spot.py.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from planner.engine import assumptions as A
from planner.engine.cluster import Cluster
from planner.engine.nodes import Node, WorkloadState, holds
from planner.scalers.karpenter_scheduling import claim
from planner.engine.workloads import node_pool_disruption, quantity
from planner.scalers.budget_schedule import Schedule, is_active
from planner.scalers.spot import SPOT, SpotMarket, pools
from eks_scaling.settings import AppConfig

POLLING_PERIOD = 10.0  # disruption/controller.go pollingPeriod
VALIDATION_DELAY = 15.0  # disruption/consolidation.go commandValidationDelay
MULTI_NODE_MAX_CANDIDATES = 100  # multinodeconsolidation.go: at most 100 candidates per command
BALANCED_K = 2  # pkg/apis/v1/nodepool.go BalancedK: a move needs score >= 1/k
MAX_INT32 = 2**31 - 1  # what no active budget allows (nodepool.go GetAllowedDisruptionsByReason)


@dataclass
class Command:
    reason: str  # Empty or Underutilized
    candidates: list[Node]
    replacement: str | None  # instance type launched first, or None: delete only
    decided: float


class Karpenter:
    def __init__(self, cluster: Cluster, config: AppConfig, step: float,
                 spot: A.SpotAssumptions = A.SPOT, seed: int = 1) -> None:
        self.cluster, self.step = cluster, step
        self.pools = pools(config)  # highest weight first; each has the settings' limits
        self.market = SpotMarket(spot, seed) if any(pool.capacity_type == SPOT for pool in self.pools) else None
        settings = config.karpenter
        self.allowed = sorted(settings.instance_types, key=lambda name: cluster.prices[name])  # cheapest first
        self.cpu_limit = float(settings.cpu_limit)
        self.memory_limit = quantity(settings.memory_limit, memory=True)
        self.disruption = node_pool_disruption(config)
        # Each budget: (nodes, reasons, its Schedule or None: always active, duration in seconds).
        self.budgets = [(nodes, reasons, Schedule(rest[0]) if rest and rest[0] else None, rest[1] if rest else 0.0)
                        for nodes, reasons, *rest in self.disruption.budgets]
        self.batch: list[float] | None = None  # [first pending seen, last new pending, pods then]
        self.stuck: tuple[int, int] | None = None  # (pods left, nodes removed) when a launch placed no more
        self.next_poll = 0.0
        self.validating: Command | None = None
        self.replacing: dict[Node, Command] = {}  # replacement node -> the command it completes
        self.consolidated: tuple | None = None  # the cluster state in which consolidation found nothing
        # (cluster.changes, next node Consolidatable, which budgets were active) of a poll
        self.quiet: tuple[int, float, tuple] | None = None
        self.reclaims: list[tuple[float, Node]] = []  # (end of the notice, interrupted Spot node), in order

    def reconcile(self, now: float) -> None:
        if self.market:
            self._interrupt(now)
        self._provision(now)
        self._disrupt(now)

    def next_event(self, now: float) -> float:
        """The end of the batch window, the end of a validation, or the next disruption poll."""
        times = [max(self.next_poll, now + self.step)]
        if self.batch is not None:
            times.append(min(self.batch[1] + A.KARPENTER_BATCH_IDLE, self.batch[0] + A.KARPENTER_BATCH_MAX))
        if self.validating is not None:
            times.append(self.validating.decided + VALIDATION_DELAY)
        if self.market:
            times.append(max(min([self.market.next_notice(), *(end for end, _ in self.reclaims[:1])]),
                             now + self.step))
        return min(times)

    def spot_summary(self) -> dict:
        """The summary's Spot counts, when a NodePool allows Spot."""
        if self.market is None:
            return {}
        return {"spot_interruptions": self.market.interruptions, "spot_launch_failures": self.market.launch_failures}

    # ---- Spot interruptions ----

    def _interrupt(self, now: float) -> None:
        """A Spot interruption notice: the offering is marked unavailable and the NodeClaim deleted, so
        the node is cordoned and drained at once (its pods go Pending for the provisioner); EC2 reclaims
        the instance when the two-minute notice runs out."""
        for node in self.market.due(now):
            self.market.interruptions += 1
            self.market.mark_unavailable(node.kind, now)
            self.cluster.note("Karpenter", set(node.counts), lambda node=node: (
                f"Spot interruption notice for a {node.kind}: cordons and drains it ("
                + (", ".join(f"{count} {name}" for name, count in node.counts.items()) or "no pod")
                + f" go Pending); Spot {node.kind} unavailable for {A.SPOT_UNAVAILABLE_TTL:g} s, "
                  f"the instance is gone in {A.SPOT_NOTICE:g} s"))
            if node.ready_at > now:
                self.cluster.remove_node(node)  # not Ready yet: nothing to drain
                continue
            node.cordoned = True
            self.cluster.evict_all(node)
            self.reclaims.append((now + A.SPOT_NOTICE, node))
        while self.reclaims and self.reclaims[0][0] <= now:
            _, node = self.reclaims.pop(0)
            if not node.removed:
                self.cluster.remove_node(node)

    # ---- provisioning ----

    def _eligible(self) -> list[WorkloadState]:
        return [state for state in self.cluster.states.values()
                if "karpenter" in state.spec.groups and self.cluster.unreserved(state) > 0]

    def _provision(self, now: float) -> None:
        waiting = self._eligible()
        total = sum(self.cluster.unreserved(state) for state in waiting)
        if not total:
            self.batch = None
            return
        if (total, self.cluster.nodes_removed) == self.stuck:
            return  # no new pods and no room freed under the limits since the last launch placed none
        # Batching (settings batchIdleDuration / batchMaxDuration): new pods extend the batch.
        if self.batch is None:
            self.batch = [now, now, total]
        elif total > self.batch[2]:
            self.batch[1:] = [now, total]
        if now - self.batch[1] < A.KARPENTER_BATCH_IDLE and now - self.batch[0] < A.KARPENTER_BATCH_MAX:
            return
        self.batch = None
        self._launch(waiting, now)
        left = sum(self.cluster.unreserved(state) for state in waiting)
        self.stuck = (left, self.cluster.nodes_removed) if left else None

    def provision_now(self, now: float) -> None:
        """Launch for every pending pod at once, without a batch window (the plan's settled start)."""
        self._launch(self._eligible(), now)

    def _launch(self, waiting: list[WorkloadState], now: float) -> None:
        cluster = self.cluster
        # Largest pods first (the scheduler's byCPUAndMemoryDescending).
        waiting = sorted(waiting, key=lambda s: (s.spec.cpu_request, s.spec.memory_request), reverse=True)
        need = cluster.reserve_on_launching("karpenter", waiting)  # NodeClaims already launching first
        used = {pool.capacity_type: [0.0, 0.0] for pool in self.pools}  # each NodePool's own limits
        for node in cluster.groups["karpenter"]:
            used[SPOT if node.spot else "on-demand"][0] += node.shape.capacity_cpu
            used[SPOT if node.spot else "on-demand"][1] += node.shape.capacity_memory
        while any(need.values()):
            found = self._open_pool(used, now)
            if found is None:
                return
            pool, open_types = found
            counts, fitting = claim({name: cluster.shapes[name] for name in open_types}, waiting, need)
            if not counts:
                return  # no allowed type holds one more pending pod: those pods stay Pending
            kind = fitting[0]  # open_types run cheapest first
            spot = pool.capacity_type == SPOT
            if spot and self.market.launch_fails(kind, now):
                cluster.note("Karpenter", counts, f"Spot {kind} has no capacity (launch failed): unavailable for "
                                                  f"{A.SPOT_UNAVAILABLE_TTL:g} s, trying the next offering")
                continue
            shape = cluster.shapes[kind]
            used[pool.capacity_type][0] += shape.capacity_cpu
            used[pool.capacity_type][1] += shape.capacity_memory
            node = cluster.new_node(kind, "karpenter", now + cluster.jitter(cluster.latencies["karpenter-node-ready"]),
                                    spot=spot)
            if spot:
                self.market.launched(node, now)
            cluster.note("Karpenter", counts, lambda: (
                f"launches {kind}{' Spot' if spot else ''} (Ready in {node.ready_at - now:.0f} s) for "
                + ", ".join(f"{count} {name}" for name, count in counts.items())
                + f" of the batch's pending pods: the cheapest of the types under the NodePool limits that still "
                  f"hold them all ({', '.join(fitting)})"
                + (f", from NodePool {pool.name} (weight {pool.weight}, the first with room)"
                   if len(self.pools) > 1 else "")))
            for state in waiting:
                if counts.get(state.spec.name):
                    cluster.reserve(node, state, counts[state.spec.name])
                    need[state.spec.name] -= counts[state.spec.name]

    def _open_pool(self, used: dict[str, list[float]], now: float):
        """The first NodePool by weight with an instance type still under its limits (scheduler
        remainingResources) and, for Spot, an available offering; with those types."""
        shapes = self.cluster.shapes
        for pool in self.pools:
            cpu, memory = used[pool.capacity_type]
            open_types = [name for name in self.allowed
                          if cpu + shapes[name].capacity_cpu <= self.cpu_limit
                          and memory + shapes[name].capacity_memory <= self.memory_limit
                          and (pool.capacity_type != SPOT or self.market.available(name, now))]
            if open_types:
                return pool, open_types
        return None

    # ---- disruption ----

    def _disrupt(self, now: float) -> None:
        self._finish_replacements(now)
        if self.validating is not None:
            if now - self.validating.decided >= VALIDATION_DELAY:
                command, self.validating = self.validating, None
                self._execute(command, now)
                self.next_poll = now  # a command ran: the controller requeues immediately
            return
        if now < self.next_poll or self.disruption.consolidate_after is None:
            return
        self.next_poll = now + POLLING_PERIOD
        windows = self._windows(now)
        if self.quiet is not None and self.quiet[0] == self.cluster.changes and now < self.quiet[1] \
                and self.quiet[2] == windows:
            return  # the same cluster and no node has become Consolidatable: the same answer as last time
        candidates = self._candidates(now)
        empty = [node for node in candidates if not node.residents]
        budget = self._budget("Empty")
        if empty and budget:
            self.validating = Command("Empty", empty[:budget], None, now)
            return
        self.quiet = (self.cluster.changes, self._next_consolidatable(now), windows)
        if self.disruption.policy == "WhenEmpty":
            return
        state = (self.cluster.changes, len(candidates), windows)
        if state == self.consolidated:
            return  # nothing changed since consolidation last found no move
        budget = self._budget("Underutilized")
        candidates = sorted((node for node in candidates if node.residents), key=lambda node: len(node.residents))
        if self.disruption.policy == "Balanced":
            candidates = [node for node in candidates if self._approved([node], None)]
        command = self._multi_node(candidates[:min(budget, MULTI_NODE_MAX_CANDIDATES)], now) \
            or self._single_node(candidates if budget else [], now)
        if command is None:
            self.consolidated = state
        self.validating = command

    def _candidates(self, now: float) -> list[Node]:
        """Ready Karpenter nodes not being disrupted and Consolidatable: no pod event for consolidateAfter."""
        after = self.disruption.consolidate_after
        busy = {node for command in self.replacing.values() for node in command.candidates}
        return [node for node in self.cluster.groups["karpenter"]
                if node.ready_at <= now and not node.cordoned and node not in busy
                and now - node.last_pod_event >= after]

    def _next_consolidatable(self, now: float) -> float:
        after = self.disruption.consolidate_after
        return min((node.last_pod_event + after for node in self.cluster.groups["karpenter"]
                    if node.ready_at <= now and now - node.last_pod_event < after), default=math.inf)

    def _windows(self, now: float) -> tuple[bool, ...]:
        """Which scheduled budgets are active: a window opening or closing changes the answer."""
        return tuple(is_active(schedule, duration, now) for _, _, schedule, duration in self.budgets if schedule)

    def _budget(self, reason: str) -> int:
        """Nodes this reason may disrupt now: the most restrictive budget for it, rounded up from a
        percentage of the NodePool's Ready nodes, less the nodes already disrupting (helpers.go)."""
        pool = self.cluster.groups["karpenter"]
        ready = [node for node in pool if node.ready_at <= self.cluster.now]
        disrupting = sum(1 for node in ready if node.cordoned)
        # An inactive scheduled budget allows any number (nodepool.go GetAllowedDisruptions: MaxInt32).
        allowed = min((_scaled(nodes, len(ready)) for nodes, reasons, schedule, duration in self.budgets
                       if (not reasons or reason in reasons)
                       and (schedule is None or is_active(schedule, duration, self.cluster.now))),
                      default=MAX_INT32)
        return max(allowed - disrupting, 0)

    def _multi_node(self, candidates: list[Node], now: float) -> Command | None:
        """The longest prefix of the candidates (fewest pods first) whose pods fit on the other nodes,
        or on them plus one cheaper new node: a binary search, as firstNConsolidationOption does."""
        low, high, best = 1, len(candidates), None
        while low <= high:
            middle = (low + high) // 2
            command = self._consolidation(candidates[:middle], now)
            if command is not None:
                best, low = command, middle + 1
            else:
                high = middle - 1
        return best

    def _single_node(self, candidates: list[Node], now: float) -> Command | None:
        return next((command for node in candidates if (command := self._consolidation([node], now))), None)

    def _consolidation(self, nodes: list[Node], now: float) -> Command | None:
        left = self._left_over(nodes)
        if left is None:
            return None
        replacement = None
        if any(left.values()):
            price = sum(node.price for node in nodes)
            waiting = [self.cluster.states[name] for name in left]
            replacement = next((name for name in self.allowed if self.cluster.prices[name] < price
                                and holds(self.cluster.shapes[name], waiting, left)), None)
            if replacement is None:
                return None
        if self.disruption.policy == "Balanced" and not self._approved(nodes, replacement):
            return None
        return Command("Underutilized", nodes, replacement, now)

    def _left_over(self, nodes: list[Node]) -> dict[str, int] | None:
        """The candidates' pods by workload that the other nodes cannot take (first fit); None if a
        workload's pods may not run on Karpenter nodes at all (nothing could replace them)."""
        moving: dict[str, int] = {}
        for node in nodes:
            for name, count in node.counts.items():
                moving[name] = moving.get(name, 0) + count
        gone = set(nodes)
        room: dict[Node, list[float]] = {}
        for name in sorted(moving, key=lambda n: (self.cluster.states[n].spec.cpu_request,
                                                  self.cluster.states[n].spec.memory_request), reverse=True):
            spec = self.cluster.states[name].spec
            for group in spec.groups:
                for other in self.cluster.groups[group]:
                    if other in gone or other.cordoned or not moving[name]:
                        continue
                    used = room.setdefault(other, [other.used_cpu, other.used_memory, other.pods])
                    count = min(moving[name], other.shape.room(spec.cpu_request, spec.memory_request, int(used[2]),
                                                               used[0], used[1]))
                    used[0] += count * spec.cpu_request
                    used[1] += count * spec.memory_request
                    used[2] += count
                    moving[name] -= count
        if any(count and "karpenter" not in self.cluster.states[name].spec.groups for name, count in moving.items()):
            return None
        return moving

    def _approved(self, nodes: list[Node], replacement: str | None) -> bool:
        """Balanced: the move's score must reach 1/k; disruption cost is 1 per node plus 1 per pod
        (types.go computeRescheduleDisruptionCost with default eviction costs)."""
        pool = self.cluster.groups["karpenter"]
        savings = sum(node.price for node in nodes) - (self.cluster.prices[replacement] if replacement else 0.0)
        score = balanced_score(savings, sum(1 + len(node.residents) for node in nodes),
                               sum(node.price for node in pool), sum(1 + len(node.residents) for node in pool))
        return score >= 1 / BALANCED_K

    def _execute(self, command: Command, now: float) -> None:
        """After the validation delay: drop candidates that are no longer valid, then act."""
        after = self.disruption.consolidate_after
        valid = [node for node in command.candidates if not node.removed and now - node.last_pod_event >= after
                 and (command.reason != "Empty" or not node.residents)]
        if command.reason == "Underutilized" and (len(valid) < len(command.candidates)
                                                   or self._consolidation(valid, now) is None):
            return  # pod churn: the command no longer holds, so it is abandoned
        if not valid:
            return
        self.cluster.note("Karpenter", {name for node in valid for name in node.counts}, lambda: (
            f"consolidation ({command.reason}, {self.disruption.policy}, budgets "
            + ", ".join(nodes for nodes, *_ in self.disruption.budgets) + f"): "
            + (f"deletes {len(valid)} node(s)" if command.replacement is None
               else f"replaces {len(valid)} node(s) with one {command.replacement}")
            + f" after {VALIDATION_DELAY:g} s of validation; evicts "
            + (", ".join(f"{count} {name}" for node in valid for name, count in node.counts.items()) or "no pod")))
        for node in valid:
            node.cordoned = True  # karpenter.sh/disrupted:NoSchedule
        if command.replacement is None:
            for node in valid:
                self.cluster.remove_node(node)
            return
        latency = self.cluster.jitter(self.cluster.latencies["karpenter-node-ready"])
        self.replacing[self.cluster.new_node(command.replacement, "karpenter", now + latency)] = command

    def _finish_replacements(self, now: float) -> None:
        """A replacement is Ready: the candidates are drained (their pods go Pending) and deleted."""
        for node, command in list(self.replacing.items()):
            if node.ready_at <= now:
                del self.replacing[node]
                for old in command.candidates:
                    if not old.removed:
                        self.cluster.remove_node(old)


def balanced_score(savings: float, disruption: float, pool_cost: float, pool_disruption: float) -> float:
    """The move's share of the NodePool's cost saved over its share of the pool's disruption cost
    (balanced.go ScoreMove, types.go ScoreResult.Score): 0 without savings, infinite without disruption."""
    if pool_cost <= 0 or pool_disruption <= 0 or savings <= 0:
        return 0.0
    if disruption == 0:
        return math.inf
    return (savings / pool_cost) / (disruption / pool_disruption)


def _scaled(nodes: str, total: int) -> int:
    """A budget's nodes as a count: a percentage of the total rounded up, or a number."""
    if nodes.endswith("%"):
        return math.ceil(int(nodes[:-1]) * total / 100)
    return int(nodes)
