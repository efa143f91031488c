"""Cluster Autoscaler 1.35.2 on its managed node group: every scan it grows the group for pending pods
(counting upcoming nodes, up to the group's maximum) and finds unneeded nodes; a node unneeded for
scale-down-unneeded-time is deleted, empty ones several at a time, non-empty ones one at a time.

Upstream: kubernetes/autoscaler cluster-autoscaler at cluster-autoscaler-1.35.2: config/flags/flags.go
(defaults), core/static_autoscaler.go (unneeded nodes are tracked every loop, deleted only outside the
scale-down cooldown; no loop while every pending pod is under 2 s old), core/scaledown/planner (a node
that fails the removal simulation is not rechecked for 5 minutes), unneeded (longer than the unneeded
time, strictly), processors/nodes (no candidates from a group at its minimum) and budgets (empty nodes first, within
max-scale-down-parallelism; nodes to drain within max-drain-parallelism), simulator (a node is removable
when its pods fit on other nodes that are not removed with it, and none blocks its drain).
"""

from __future__ import annotations

import math

from eks_scaling.settings import AppConfig
from planner.engine import assumptions as A
from planner.engine.cluster import Cluster
from planner.engine.nodes import Node, WorkloadState, disruptions_allowed, fill, next_multiple
from planner.engine.workloads import duration_seconds

MAX_SCALE_DOWN_PARALLELISM = 10  # --max-scale-down-parallelism: nodes deleted at once, empty or drained
MAX_DRAIN_PARALLELISM = 1  # --max-drain-parallelism: of those, nodes that need draining
UNREMOVABLE_RECHECK = 300.0  # --unremovable-node-recheck-timeout: a node that failed the simulation waits
NEW_POD_BUFFER = 2.0  # static_autoscaler.go unschedulablePodTimeBuffer: pods this young wait one loop


class ClusterAutoscaler:
    def __init__(self, cluster: Cluster, config: AppConfig, step: float) -> None:
        self.cluster, self.step = cluster, step
        settings = config.cluster_autoscaler
        self.kind = settings.nodes.instance_types[0]
        self.min_size, self.max_size = settings.nodes.min_size, settings.nodes.max_size
        self.unneeded_after = duration_seconds(settings.scale_down_unneeded_time)
        self.utilization_threshold = settings.scale_down_utilization_percent / 100  # the app's extraArgs
        self.karpenter_too = config.enable_karpenter
        self.last_scale_up = -math.inf
        self.unneeded: dict[Node, float] = {}  # node -> unneeded since
        self.simulated: tuple | None = None  # (cluster.changes, recent unremovable) of the last simulation
        self.unremovable: dict[Node, float] = {}  # node that failed the removal simulation -> recheck at
        self.evictions: dict[str, int] = {}  # pods evicted by scale-downs, by workload

    def reconcile(self, now: float) -> None:
        if now % A.CA_SCAN_INTERVAL >= self.step:
            return
        # Every pod to help younger than 2 s: more may come, so no scale-up and no scale-down this loop
        # (static_autoscaler.go RunOnce, allPodsAreNew and DisableScaleDownForLoop).
        waiting = self._waiting()
        young = bool(waiting) and min(next(iter(state.pending)).created for state in waiting) + NEW_POD_BUFFER > now
        if not young:
            self._scale_up(now)
        self._update_unneeded(now)
        if not young and now - self.last_scale_up >= A.CA_SCALE_DOWN_DELAY_AFTER_ADD:
            self._scale_down(now)

    def next_event(self, now: float) -> float:
        """The next scan that can act: every scan while pods wait or the cluster changed since the last
        simulation; otherwise the first scan at which an unneeded node is due (and the delay after a
        scale-up has passed) or an unremovable node's recheck comes. Quiet scans change nothing."""
        scan = next_multiple(now, A.CA_SCAN_INTERVAL)
        if self._waiting() or self.simulated != (self.cluster.changes, tuple(self.unremovable)):
            return scan
        due = [max(since + self.unneeded_after, self.last_scale_up + A.CA_SCALE_DOWN_DELAY_AFTER_ADD - 1e-6)
               for since in self.unneeded.values()]
        rechecks = [until - 1e-6 for until in self.unremovable.values()]
        wake = min(due + rechecks, default=math.inf)
        return max(scan, next_multiple(wake, A.CA_SCAN_INTERVAL)) if wake < math.inf else math.inf

    def _waiting(self) -> list[WorkloadState]:
        """Pending pods it can help: pods for its group that Karpenter does not provision for."""
        return sorted((state for state in self.cluster.states.values()
                       if "ca" in state.spec.groups and not ("karpenter" in state.spec.groups and self.karpenter_too)
                       and self.cluster.unreserved(state) > 0),
                      key=lambda s: (s.spec.cpu_request, s.spec.memory_request), reverse=True)

    def provision_now(self, now: float) -> None:
        """Grow the group for the pending pods before the plan starts (its settled start): long enough
        ago that the scale-down delay after this scale-up has passed."""
        self._scale_up(now)
        self.last_scale_up = -math.inf

    def _scale_up(self, now: float) -> None:
        cluster = self.cluster
        waiting = self._waiting()
        if not waiting:
            return
        need = cluster.reserve_on_launching("ca", waiting)  # upcoming nodes take what fits first
        size = len(cluster.groups["ca"])
        while any(need.values()) and size < self.max_size:
            counts = fill(cluster.shapes[self.kind], waiting, need)
            if not counts:
                return  # not one pending pod fits this instance type
            node = cluster.new_node(self.kind, "ca", now + cluster.jitter(cluster.latencies["ca-node-ready"]))
            cluster.note("Cluster Autoscaler", counts, lambda: (
                f"scale-up: one more {self.kind} (group at {size + 1} of {self.max_size}) for "
                + ", ".join(f"{count} {name}" for name, count in counts.items()) + " unschedulable pods"))
            for state in waiting:
                if counts.get(state.spec.name):
                    cluster.reserve(node, state, counts[state.spec.name])
                    need[state.spec.name] -= counts[state.spec.name]
            size += 1
            self.last_scale_up = now

    def _update_unneeded(self, now: float) -> None:
        """One pass of the removal simulation over the group's Ready nodes: a node is unneeded while
        its utilization is under the threshold and its pods can go elsewhere; destinations of pods from
        nodes found removable in this pass are not removable themselves."""
        cluster = self.cluster
        # Unremovable nodes wait out their recheck timeout (core/scaledown/unremovable/nodes.go Update,
        # planner/planner.go categorizeNodes AddTimeout; eligibility.go skips them as RecentlyUnremovable).
        self.unremovable = {node: until for node, until in self.unremovable.items() if until > now and not node.removed}
        if (cluster.changes, tuple(self.unremovable)) == self.simulated:
            return
        self.simulated = (cluster.changes, tuple(self.unremovable))
        if len(cluster.groups["ca"]) <= self.min_size:
            # No scale-down candidates from a group at its minimum (processors/nodes/pre_filtering_processor.go
            # GetScaleDownCandidates): nothing is unneeded, and no unneeded time accrues.
            self.unneeded = {}
            return
        ready = [node for node in cluster.groups["ca"]
                 if node.ready_at <= now and not node.cordoned and node not in self.unremovable]
        removable: set[Node] = set()
        destinations: set[Node] = set()
        planned: dict[Node, list[float]] = {}  # room taken on destinations by this pass
        for node in ready:
            # Over the threshold, a node is needed; at or below it, removable (core/scaledown/eligibility/
            # eligibility.go isNodeAtOrBelowUtilizationThreshold, cluster-autoscaler-1.35.2).
            if node in destinations or _utilization(node, cluster.daemonsets) > self.utilization_threshold:
                continue
            moves = self._moves(node, removable | {node}, planned)
            if moves is None:
                self.unremovable[node] = now + UNREMOVABLE_RECHECK
                continue
            removable.add(node)
            for destination, taken in moves.items():
                destinations.add(destination)
                used = planned.setdefault(destination, [0.0, 0.0, 0])
                used[0], used[1], used[2] = used[0] + taken[0], used[1] + taken[1], used[2] + taken[2]
        self.unneeded = {node: self.unneeded.get(node, now) for node in ready if node in removable}

    def _moves(self, node: Node, gone: set[Node], planned: dict[Node, list[float]]) -> dict[Node, list] | None:
        """Where the node's pods would go (first fit on the other nodes their groups allow); None if
        one has nowhere to go or may not be evicted."""
        moves: dict[Node, list] = {}
        for name, count in node.counts.items():
            state = self.cluster.states[name]
            spec = state.spec
            if spec.eviction.blocker or count > disruptions_allowed(state):
                return None
            for group in spec.groups:
                for other in self.cluster.groups[group]:
                    if not count:
                        break
                    if other in gone or other.cordoned or other.ready_at > self.cluster.now:
                        continue
                    extra = planned.get(other, [0.0, 0.0, 0])
                    taken = moves.get(other, [0.0, 0.0, 0])
                    room = other.shape.room(spec.cpu_request, spec.memory_request,
                                            other.pods + int(extra[2]) + int(taken[2]),
                                            other.used_cpu + extra[0] + taken[0],
                                            other.used_memory + extra[1] + taken[1])
                    fits = min(count, room)
                    if fits:
                        moves[other] = [taken[0] + fits * spec.cpu_request, taken[1] + fits * spec.memory_request,
                                        taken[2] + fits]
                        count -= fits
            if count:
                return None
        return moves

    def _scale_down(self, now: float) -> None:
        """Delete nodes unneeded long enough, empty ones first, keeping the group at its minimum."""
        cluster = self.cluster
        # Unneeded longer than the threshold, strictly (unneeded/nodes.go unremovableReason:
        # !since.Add(threshold).Before(ts) is NotUnneededLongEnough).
        due = [node for node, since in self.unneeded.items() if now - since > self.unneeded_after]
        room = len(cluster.groups["ca"]) - self.min_size
        empty = [node for node in due if not node.residents]
        drain = [node for node in due if node.residents]
        chosen = empty[:min(MAX_SCALE_DOWN_PARALLELISM, room)]
        chosen += drain[:max(0, min(MAX_DRAIN_PARALLELISM, MAX_SCALE_DOWN_PARALLELISM - len(chosen),
                                    room - len(chosen)))]
        for node in chosen:
            cluster.note("Cluster Autoscaler", set(node.counts), lambda: (
                f"scale-down: deletes a {node.kind} unneeded for {now - self.unneeded[node]:.0f} s "
                f"(utilization {_utilization(node, cluster.daemonsets):.0%} <= {self.utilization_threshold:.0%}, "
                "its pods fit elsewhere within their PodDisruptionBudgets); evicts "
                + (", ".join(f"{count} {name}" for name, count in node.counts.items()) or "no pod")))
            for name, count in node.counts.items():
                self.evictions[name] = self.evictions.get(name, 0) + count
            cluster.remove_node(node)
            del self.unneeded[node]


def _utilization(node: Node, daemonsets: tuple[float, float, int]) -> float:
    """Requests over allocatable, the larger of CPU and memory, DaemonSets included
    (--ignore-daemonsets-utilization=false; simulator/utilization)."""
    cpu, memory, _ = daemonsets
    return max((node.used_cpu + cpu) / (node.cpu + cpu), (node.used_memory + memory) / (node.memory + memory))
