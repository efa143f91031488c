"""The shared cluster model: the clock, nodes and pods, the ReplicaSet's scaling and kube-scheduler.

Pods are bound to Ready nodes by their requests, the node's pod limit (VPC CNI) and DaemonSet overhead.
Node autoscalers reserve room for pending pods on nodes they launch (Karpenter's nominations, Cluster
Autoscaler's upcoming nodes); a node that turns Ready frees that room and the scheduler binds pods.

Everything is incremental, so a step costs the same whatever the number of pods: pending pods are kept
per workload (the pods of one workload are identical), and a workload whose pods did not fit is not
tried again until a node in one of its groups gains room.
"""

from __future__ import annotations

import heapq
import itertools
import math
import random

from eks_scaling.instance_types import InstanceType
from planner.engine import assumptions as A
from planner.engine.decisions import DecisionLog
from planner.engine.nodes import GROUPS, Node, Pod, Shape, WorkloadState
from planner.engine.workloads import Workload


class Cluster:
    """Nodes and pods at the current time `now`, which the simulation loop advances."""

    def __init__(self, types: dict[str, InstanceType], prices: dict[str, float], workloads: list[Workload],
                 rng: random.Random, latencies: dict[str, float], daemonsets: tuple[float, float, int]) -> None:
        self.types, self.prices, self.rng, self.latencies = types, prices, rng, latencies
        self.daemonsets = daemonsets  # (cores, GiB, pods) on every node
        self.shapes = {name: Shape.of(spec, daemonsets) for name, spec in types.items()}
        self.now = 0.0
        self.nodes: list[Node] = []
        self.groups: dict[str, list[Node]] = {group: [] for group in GROUPS}
        self.in_flight: dict[Node, None] = {}
        # The scheduling queue's order: higher priority first (kube-scheduler's PrioritySort).
        self.states = {spec.name: WorkloadState(spec)
                       for spec in sorted(workloads, key=lambda spec: -spec.priority)}
        self.preemptions = 0  # pods preempted for higher-priority ones
        self.disrupted = 0  # workload pods evicted from nodes being removed (consolidation, scale-down)
        self.log: DecisionLog | None = None  # set by a plan that explains itself (--explain)
        self.pending_total = 0
        self.ready_events: list[tuple[float, int, Pod, Node]] = []  # (ready at, tie-break, pod, its node)
        self.launches: list[tuple[float, int, Node]] = []  # (ready at, tie-break, node)
        self.counter = itertools.count()
        self.nodes_by_kind: dict[str, int] = {}
        self.room_version = dict.fromkeys(GROUPS, 0)  # bumped when a Ready node in the group gains room
        self.blocked: dict[str, tuple[int, ...]] = {}  # workload -> room versions when its pods last did not fit
        self.nodes_removed = 0  # NodePool limits and node-group sizes free up only when this moves
        self.node_seconds: dict[str, float] = {}  # by instance type, of nodes already removed
        self.changes = 0  # any pod bound, unbound or Ready, or node added, Ready or removed
        self.autoscaled_by_kind: dict[str, int] = {}  # nodes by type, the system group's left out
        self.billed = [0.0, 0.0, 0.0, 0.0]  # (USD, node-seconds) accrued until `at`, then USD/s and nodes since
        self.billed_at = 0.0

    def note(self, actor: str, workloads, text: str) -> None:
        """A decision for the log, when there is one (the text is built only then: pass a callable)."""
        if self.log is not None:
            self.log.add(self.now, actor, frozenset(workloads), text() if callable(text) else text)

    def node_hours(self, end: float) -> dict[str, float]:
        """Instance-hours by type from launch to removal (or `end`): what EC2 bills."""
        seconds = dict(self.node_seconds)
        for node in self.nodes:
            seconds[node.billed_as] = seconds.get(node.billed_as, 0.0) + end - node.launched
        return {kind: value / 3600 for kind, value in sorted(seconds.items())}

    def bill(self) -> tuple[float, float]:
        """(USD, node-hours) of every node from launch to removal or now: what EC2 has billed so far."""
        usd, seconds, rate, count = self.billed
        elapsed = self.now - self.billed_at
        self.billed, self.billed_at = [usd + rate * elapsed, seconds + count * elapsed, rate, count], self.now
        return self.billed[0], self.billed[1] / 3600

    def _billing(self, node: Node, sign: int) -> None:
        self.bill()
        self.billed[2] += sign * node.price / 3600
        self.billed[3] += sign

    def jitter(self, seconds: float) -> float:
        return seconds * self.rng.uniform(1 - A.LATENCY_JITTER, 1 + A.LATENCY_JITTER)

    # ---- nodes ----

    def new_node(self, kind: str, group: str, ready_at: float, spot: bool = False) -> Node:
        node = Node(kind, group, self.shapes[kind], self.prices[kind], self.now, ready_at,
                    last_pod_event=ready_at, spot=spot)
        node.price = self.prices[node.billed_as]
        self.changes += 1
        self.nodes.append(node)
        self.groups[group].append(node)
        self.nodes_by_kind[kind] = self.nodes_by_kind.get(kind, 0) + 1
        if group != "system":
            self.autoscaled_by_kind[kind] = self.autoscaled_by_kind.get(kind, 0) + 1
        self._billing(node, 1)
        if ready_at > self.now:
            self.in_flight[node] = None
            heapq.heappush(self.launches, (ready_at, next(self.counter), node))
        else:
            self.room_version[group] += 1
        return node

    def remove_node(self, node: Node) -> None:
        """The instance is gone: its pods are evicted first, its reservations dropped."""
        self.evict_all(node)
        self._unreserve(node)
        node.removed = True
        self.nodes.remove(node)
        self.groups[node.group].remove(node)
        self.in_flight.pop(node, None)
        self.nodes_by_kind[node.kind] -= 1
        if node.group != "system":
            self.autoscaled_by_kind[node.kind] -= 1
        self._billing(node, -1)
        self.node_seconds[node.billed_as] = self.node_seconds.get(node.billed_as, 0.0) + self.now - node.launched
        self.nodes_removed += 1
        self.changes += 1

    def evict_all(self, node: Node) -> None:
        """Evict the node's pods: each one's ReplicaSet replacement goes Pending."""
        for pod in list(node.residents):
            self.evict(pod)

    def evict(self, pod: Pod) -> None:
        if pod.workload.priority >= 0:  # a workload's pod, not a headroom placeholder
            self.disrupted += 1
        self._requeue(pod)

    def _requeue(self, pod: Pod) -> None:
        """An evicted pod: its ReplicaSet's replacement (the same Pod object, reset) goes Pending."""
        self._unbind(pod)
        pod.started = pod.ready_at = None
        pod.created = self.now
        self.states[pod.workload.name].pending[pod] = None
        self.pending_total += 1

    def next_event(self) -> float:
        """The next node to turn Ready or pod to pass its readiness probe."""
        return min(self.launches[0][0] if self.launches else math.inf,
                   self.ready_events[0][0] if self.ready_events else math.inf)

    def settle(self, since: float) -> None:
        """The nodes launching now have been Ready `since` then: a plan starts from a settled cluster."""
        for node in self.in_flight:
            node.ready_at = node.last_pod_event = since
        self.launches = [(since, tie, node) for _, tie, node in self.launches]
        heapq.heapify(self.launches)
        self.advance()

    def advance(self) -> None:
        """Nodes that turned Ready and pods that passed their readiness probe by now."""
        while self.launches and self.launches[0][0] <= self.now:
            _, _, node = heapq.heappop(self.launches)
            if not node.removed:
                self._unreserve(node)
                del self.in_flight[node]
                self.room_version[node.group] += 1
                self.changes += 1
        while self.ready_events and self.ready_events[0][0] <= self.now:
            _, _, pod, node = heapq.heappop(self.ready_events)
            if pod.node is node:  # still bound where it started
                self.states[pod.workload.name].ready_count += 1
                self.changes += 1

    # ---- reservations by node autoscalers ----

    def unreserved(self, state: WorkloadState) -> int:
        """Pending pods of the workload that no launching node has room reserved for."""
        return len(state.pending) - state.reserved

    def reserve(self, node: Node, state: WorkloadState, count: int) -> None:
        spec = state.spec
        node.take(spec.cpu_request, spec.memory_request, count)
        node.reserved[spec.name] = node.reserved.get(spec.name, 0) + count
        state.reserved += count

    def reserve_on_launching(self, group: str, waiting: list[WorkloadState]) -> dict[str, int]:
        """Reserve room for unreserved pending pods (in this order) on the group's launching nodes; the
        pods by workload still without room."""
        need = {state.spec.name: self.unreserved(state) for state in waiting}
        for node in self.in_flight:
            if node.group == group:
                for state in waiting:
                    count = min(need[state.spec.name], node.room(state.spec.cpu_request, state.spec.memory_request))
                    if count:
                        self.reserve(node, state, count)
                        need[state.spec.name] -= count
        return need

    def _unreserve(self, node: Node, name: str | None = None, count: int | None = None) -> None:
        for workload in [name] if name else list(node.reserved):
            state = self.states[workload]
            taken = min(count, node.reserved[workload]) if count is not None else node.reserved[workload]
            node.release(state.spec.cpu_request, state.spec.memory_request, taken)
            state.reserved -= taken
            node.reserved[workload] -= taken
            if not node.reserved[workload]:
                del node.reserved[workload]

    def _trim_reservations(self, state: WorkloadState) -> None:
        """Fewer pending pods than reservations (pods deleted, or bound elsewhere): drop the newest."""
        excess = state.reserved - len(state.pending)
        for node in reversed(list(self.in_flight)):
            if excess <= 0:
                return
            if node.reserved.get(state.spec.name):
                taken = min(excess, node.reserved[state.spec.name])
                self._unreserve(node, state.spec.name, taken)
                excess -= taken

    # ---- pods ----

    def scale_to(self, state: WorkloadState, replicas: int) -> None:
        state.desired = replicas
        state.peak = max(state.peak, replicas)
        for _ in range(replicas - len(state.pods)):
            pod = Pod(state.spec, self.now)
            state.pods.append(pod)
            state.pending[pod] = None
            self.pending_total += 1
        if len(state.pods) > replicas:
            # The ReplicaSet's order (kubernetes/kubernetes pkg/controller/replicaset getPodsToDelete,
            # controller_utils.go ActivePodsWithRanks): unscheduled pods first, then not-ready ones, then
            # those sharing a node with more of the workload's pods, then the newest.
            excess = len(state.pods) - replicas
            victims = list(reversed(state.pending))[:excess]
            if len(victims) < excess:
                name = state.spec.name
                bound = sorted((pod for pod in state.pods if pod.node is not None),
                               key=lambda pod: (pod.ready(self.now), -pod.node.counts[name], -pod.created))
                victims += bound[: excess - len(victims)]
            gone = set(victims)
            for pod in victims:
                if pod.node is not None:
                    self._unbind(pod)
                else:
                    del state.pending[pod]
                    self.pending_total -= 1
                    state.never_placed += pod.first_bound is None
            state.pods = [pod for pod in state.pods if pod not in gone]
            self._trim_reservations(state)

    def _bind(self, pod: Pod, node: Node) -> None:
        spec = pod.workload
        state = self.states[spec.name]
        node.take(spec.cpu_request, spec.memory_request)
        node.residents[pod] = None
        node.counts[spec.name] = node.counts.get(spec.name, 0) + 1
        node.last_pod_event = self.now
        self.changes += 1
        pod.node, pod.started = node, self.now
        if pod.first_bound is None:
            pod.first_bound = self.now
        # A headroom placeholder has no latency of its own: nothing waits for it to be Ready.
        pod.ready_at = self.now + self.jitter(self.latencies.get(f"{spec.name}-pod-ready", 0.0))
        del state.pending[pod]
        self.pending_total -= 1
        heapq.heappush(self.ready_events, (pod.ready_at, next(self.counter), pod, node))

    def _unbind(self, pod: Pod) -> None:
        node = pod.node
        if pod.ready(self.now):
            self.states[pod.workload.name].ready_count -= 1
        node.release(pod.workload.cpu_request, pod.workload.memory_request)
        del node.residents[pod]
        node.counts[pod.workload.name] -= 1
        if not node.counts[pod.workload.name]:
            del node.counts[pod.workload.name]
        node.last_pod_event = self.now
        self.changes += 1
        pod.node = None
        if node.ready_at <= self.now:
            self.room_version[node.group] += 1

    def schedule(self) -> None:
        """kube-scheduler: each pending pod, oldest first, to the least-allocated Ready node that takes it."""
        for name, state in self.states.items():
            if not state.pending:
                continue
            groups = state.spec.groups
            version = tuple(self.room_version[group] for group in GROUPS if group in groups)
            if self.blocked.get(name) == version:
                continue  # nothing gained room since its pods last did not fit
            self._place(state)
            if state.pending:
                self._preempt(state)
            if state.pending:
                self.blocked[name] = version
            self._trim_reservations(state)

    def _place(self, state: WorkloadState) -> None:
        cpu, memory = state.spec.cpu_request, state.spec.memory_request
        now = self.now

        def score(node: Node) -> tuple[float, int, int]:
            return node.used_cpu / node.cpu + node.used_memory / node.memory, node.pods, next(self.counter)

        candidates = [(*score(node), node) for group in GROUPS if group in state.spec.groups
                      for node in self.groups[group]
                      if node.ready_at <= now and not node.cordoned and node.fits(cpu, memory)]
        heapq.heapify(candidates)
        while state.pending and candidates:
            *_, node = heapq.heappop(candidates)
            self._bind(next(iter(state.pending)), node)
            if node.fits(cpu, memory):
                heapq.heappush(candidates, (*score(node), node))


    def _preempt(self, state: WorkloadState) -> None:
        """kube-scheduler's preemption (pkg/scheduler/framework/plugins/defaultpreemption): a pending pod
        that fits nowhere takes a Ready node where evicting lower-priority pods makes room, the fewest
        victims first. The victims' controller recreates them Pending (headroom's placeholders), and a
        grace period of 0 makes the eviction immediate."""
        cpu, memory = state.spec.cpu_request, state.spec.memory_request
        lower = [other for other in self.states.values() if other.spec.priority < state.spec.priority]
        if not lower:
            return
        for node in [node for group in GROUPS if group in state.spec.groups for node in self.groups[group]
                     if node.ready_at <= self.now and not node.cordoned]:
            while state.pending:
                victims = _victims(node, lower, cpu, memory)
                if victims is None:
                    break
                for victim in victims:
                    self._requeue(victim)
                    self.preemptions += 1
                if victims:
                    self.note("scheduler", {state.spec.name, *(victim.workload.name for victim in victims)},
                              f"preempts {len(victims)} {victims[0].workload.name} pod(s) on a {node.kind} for a "
                              f"{state.spec.name} pod that fits no node (priority {victims[0].workload.priority} "
                              f"< {state.spec.priority}); they go Pending")
                self._bind(next(iter(state.pending)), node)
            if not state.pending:
                return


def _victims(node: Node, lower: list[WorkloadState], cpu: float, memory: float) -> list[Pod] | None:
    """The fewest lower-priority pods on the node whose eviction lets a pod of (cpu, memory) fit; None if
    evicting all of them would not."""
    if node.fits(cpu, memory):
        return []
    names = {state.spec.name for state in lower}
    candidates = [pod for pod in node.residents if pod.workload.name in names]
    chosen: list[Pod] = []
    free_cpu, free_memory = node.cpu - node.used_cpu, node.memory - node.used_memory
    for pod in candidates:
        chosen.append(pod)
        free_cpu += pod.workload.cpu_request
        free_memory += pod.workload.memory_request
        if free_cpu + 1e-9 >= cpu and free_memory + 1e-9 >= memory and node.pods - len(chosen) < node.max_pods:
            return chosen
    return None
