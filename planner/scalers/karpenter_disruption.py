"""Karpenter v1.14.1's disruption of its nodes, the part of planner/scalers/karpenter.py's Karpenter that
removes them: emptiness, then multi-node and single-node consolidation as the NodePool's
consolidationPolicy allows, within its disruption budgets, each command validated after 15 s; the
termination controller's drain, as the pods' PodDisruptionBudgets allow.

Upstream: kubernetes-sigs/karpenter at the commit aws/karpenter-provider-aws v1.14.1 pins (6e7eab7a0f48):
pkg/controllers/disruption (controller.go, emptiness.go, multinodeconsolidation.go, singlenodeconsolidation.go,
consolidation.go, validation.go, balanced.go, types.go, helpers.go BuildDisruptionBudgetMapping),
pkg/controllers/node/termination (the drain) and pkg/controllers/nodeclaim/disruption/consolidation.go
(Consolidatable: no pod event for consolidateAfter).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from planner.engine.nodes import Node, disruptions_allowed, holds
from planner.scalers.budget_schedule import is_active

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


class Consolidation:
    """The disruption half of Karpenter (a mixin: the attributes are set by Karpenter.__init__)."""

    def _disrupt(self, now: float) -> None:
        self._finish_replacements(now)
        self._drain()
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
        candidates = ordered(node for node in candidates if node.residents)
        if self.disruption.policy == "Balanced":
            candidates = [node for node in candidates if self._approved([node], None)]
        command = self._multi_node(candidates[:min(budget, MULTI_NODE_MAX_CANDIDATES)], now) \
            or self._single_node(candidates if budget else [], now)
        if command is None:
            self.consolidated = state
        self.validating = command

    def _candidates(self, now: float) -> list[Node]:
        """Ready Karpenter nodes not being disrupted and Consolidatable (no pod event for consolidateAfter),
        with no pod that is do-not-disrupt or whose PodDisruptionBudget allows no eviction now
        (disruption/types.go NewCandidate, pdb.go CanEvictPods)."""
        after = self.disruption.consolidate_after
        busy = {node for command in self.replacing.values() for node in command.candidates}
        return [node for node in self.cluster.groups["karpenter"]
                if node.ready_at <= now and not node.cordoned and node not in busy
                and now - node.last_pod_event >= after and self._evictable(node)]

    def _evictable(self, node: Node) -> bool:
        states = self.cluster.states
        return not any(states[name].spec.eviction.do_not_disrupt or disruptions_allowed(states[name]) < 1
                       for name in node.counts)

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
            replacement = self._replacement(nodes, left)
            if replacement is None:
                return None
        if self.disruption.policy == "Balanced" and not self._approved(nodes, replacement):
            return None
        return Command("Underutilized", nodes, replacement, now)

    def _replacement(self, nodes: list[Node], left: dict[str, int]) -> str | None:
        """The cheapest allowed type cheaper than the candidates together that holds their left-over pods.
        Several candidates: never a type at or above the price of a candidate's own type among the options
        (multinodeconsolidation.go filterOutSameInstanceType: deleting the others alone disrupts less)."""
        prices, waiting = self.cluster.prices, [self.cluster.states[name] for name in left]
        options = [name for name in self.allowed if prices[name] < sum(node.price for node in nodes)
                   and holds(self.cluster.shapes[name], waiting, left)]
        if len(nodes) > 1:
            ceiling = min((prices[name] for name in options if name in {node.kind for node in nodes}), default=math.inf)
            options = [name for name in options if prices[name] < ceiling]
        return options[0] if options else None

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
                                                   or not self._still_holds(command, valid)):
            return  # pod churn: the command no longer holds, so it is abandoned
        if not valid:
            return
        self.cluster.note("Karpenter", {name for node in valid for name in node.counts}, lambda: (
            f"consolidation ({command.reason}, {self.disruption.policy}, budgets "
            + ", ".join(nodes for nodes, *_ in self.disruption.budgets) + "): "
            + (f"deletes {len(valid)} node(s)" if command.replacement is None
               else f"replaces {len(valid)} node(s) with one {command.replacement}")
            + f" after {VALIDATION_DELAY:g} s of validation; evicts "
            + (", ".join(f"{count} {name}" for node in valid for name, count in node.counts.items()) or "no pod")))
        for node in valid:
            node.cordoned = True  # karpenter.sh/disrupted:NoSchedule
        if command.replacement is None:
            self.draining.update(dict.fromkeys(valid))
            self._drain()
            return
        latency = self.cluster.jitter(self.cluster.latencies["karpenter-node-ready"])
        self.replacing[self.cluster.new_node(command.replacement, "karpenter", now + latency)] = command

    def _finish_replacements(self, now: float) -> None:
        """A replacement is Ready: the candidates are drained (their pods go Pending) and deleted."""
        for node, command in list(self.replacing.items()):
            if node.ready_at <= now:
                del self.replacing[node]
                self.draining.update(dict.fromkeys(old for old in command.candidates if not old.removed))
                self._drain()

    def _still_holds(self, command: Command, valid: list[Node]) -> bool:
        """validation.go validateCommand: the pods re-scheduled now must need no new node for a deletion,
        and exactly one that the command's replacement type holds for a replacement."""
        left = self._left_over(valid)
        if left is None:
            return False
        if command.replacement is None:
            return not any(left.values())
        waiting = [self.cluster.states[name] for name in left]
        return any(left.values()) and holds(self.cluster.shapes[command.replacement], waiting, left)

    def _drain(self) -> None:
        """The termination controller: evict each deleted node's pods as their PodDisruptionBudgets allow
        (the app's php-apache PDB lets one go at a time, the next once its replacement is Ready), and
        terminate the node once it is empty (it is billed until then)."""
        for node in list(self.draining):
            for pod in list(node.residents):
                state = self.cluster.states[pod.workload.name]
                if disruptions_allowed(state) >= 1 or not pod.ready(self.cluster.now):
                    self.cluster.evict(pod)
            if not node.residents:
                del self.draining[node]
                if not node.removed:
                    self.cluster.remove_node(node)


def ordered(candidates) -> list[Node]:
    """The most savings per unit of disruption first (consolidation.go sortCandidates, SavingsRatio: the
    price over the reschedule disruption cost, 1 per node and 1 per pod with default eviction costs)."""
    return sorted(candidates, key=lambda node: -node.price / (1 + len(node.residents)))


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
