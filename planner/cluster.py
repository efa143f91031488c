"""The shared cluster model: the clock, nodes, pods, the ReplicaSet's scaling and kube-scheduler.

Pods are bound to Ready nodes by their requests, the node's pod limit (VPC CNI) and DaemonSet overhead.
Node autoscalers nominate pending pods onto nodes they launch; a node that turns Ready hands its
nominated pods back to the scheduler.
"""

from __future__ import annotations

import heapq
import itertools
import random
from dataclasses import dataclass, field

from planner import assumptions as A
from planner.model import Workload


class PlanError(ValueError):
    pass


@dataclass(eq=False)
class Node:
    kind: str
    group: str  # system, karpenter or ca
    cpu: float  # schedulable after DaemonSets
    memory: float
    max_pods: int
    price: float
    launched: float
    ready_at: float
    used_cpu: float = 0.0
    used_memory: float = 0.0
    pods: int = 0
    empty_since: float | None = None
    unneeded_since: float | None = None

    def fits(self, cpu: float, memory: float, pods: int = 1) -> bool:
        return (self.used_cpu + cpu <= self.cpu + 1e-9 and self.used_memory + memory <= self.memory + 1e-9
                and self.pods + pods <= self.max_pods)

    def take(self, cpu: float, memory: float) -> None:
        """Account one pod's requests on this node (bound or nominated)."""
        self.used_cpu += cpu
        self.used_memory += memory
        self.pods += 1

    def release(self, cpu: float, memory: float) -> None:
        self.used_cpu -= cpu
        self.used_memory -= memory
        self.pods -= 1


@dataclass(eq=False)
class Pod:
    workload: Workload
    created: float
    node: Node | None = None
    started: float | None = None
    ready_at: float | None = None
    nominated: Node | None = None

    def ready(self, now: float) -> bool:
        return self.ready_at is not None and self.ready_at <= now


@dataclass(eq=False)
class WorkloadState:
    spec: Workload
    pods: list[Pod] = field(default_factory=list)
    desired: int = 0
    load: float = 0.0
    reported: float | None = None  # the metric its autoscaler last reported
    pending_seconds: float = 0.0
    peak: int = 0
    ready_count: int = 0


class Cluster:
    """Nodes and pods at the current time `now`, which the simulation loop advances."""

    def __init__(self, types: dict[str, A.InstanceType], workloads: list[Workload], rng: random.Random,
                 latencies: dict[str, float]) -> None:
        self.types, self.rng, self.latencies = types, rng, latencies
        self.now = 0.0
        self.nodes: list[Node] = []
        self.states = {spec.name: WorkloadState(spec) for spec in workloads}
        self.dirty = True
        self.pending: dict[Pod, None] = {}  # insertion-ordered: the scheduler's FIFO
        self.ready_events: list[tuple[float, int, Pod, Node]] = []  # (ready at, tie-break, pod, its node)
        self.launches: list[tuple[float, int, Node]] = []  # (ready at, tie-break, node)
        self.counter = itertools.count()
        self.nodes_by_kind: dict[str, int] = {}

    def jitter(self, seconds: float) -> float:
        return seconds * self.rng.uniform(1 - A.LATENCY_JITTER, 1 + A.LATENCY_JITTER)

    # ---- nodes ----

    def shape(self, kind: str, group: str, ready_at: float) -> Node:
        """A node of this type with what pods can use once DaemonSets run, not yet in the cluster."""
        spec = self.types[kind]
        cpu, memory = A.allocatable(spec)
        return Node(kind, group, cpu - A.DAEMONSET_CPU, memory - A.DAEMONSET_MEMORY_GIB,
                    spec.max_pods - A.DAEMONSET_PODS, spec.price, self.now, ready_at)

    def new_node(self, kind: str, group: str, ready_at: float) -> Node:
        node = self.shape(kind, group, ready_at)
        self.nodes.append(node)
        self.nodes_by_kind[kind] = self.nodes_by_kind.get(kind, 0) + 1
        if ready_at > self.now:
            heapq.heappush(self.launches, (ready_at, next(self.counter), node))
        return node

    def remove_node(self, node: Node) -> None:
        self.nodes.remove(node)
        self.nodes_by_kind[node.kind] -= 1

    def evict_all(self, node: Node) -> None:
        """Evict the node's pods: each one's ReplicaSet replacement goes Pending."""
        for state in self.states.values():
            for pod in state.pods:
                if pod.node is node:
                    self.unbind(pod)
                    pod.started = pod.ready_at = None
                    pod.created = self.now
                    self.pending[pod] = None
        self.dirty = True

    # ---- pods ----

    def scale_to(self, state: WorkloadState, replicas: int) -> None:
        state.desired = replicas
        state.peak = max(state.peak, replicas)
        while len(state.pods) < replicas:
            pod = Pod(state.spec, self.now)
            state.pods.append(pod)
            self.pending[pod] = None
            self.dirty = True
        if len(state.pods) > replicas:
            # The ReplicaSet deletes unscheduled pods first, then not-ready ones, then the newest.
            state.pods.sort(key=lambda pod: (pod.node is not None, pod.ready(self.now), -pod.created))
            for pod in state.pods[: len(state.pods) - replicas]:
                self.unbind(pod)
                self.pending.pop(pod, None)
                if pod.nominated is not None:
                    self.unnominate(pod)
            state.pods = state.pods[len(state.pods) - replicas:]
            self.dirty = True

    def unbind(self, pod: Pod) -> None:
        if pod.node is not None:
            if pod.ready(self.now):
                self.states[pod.workload.name].ready_count -= 1
            pod.node.release(pod.workload.cpu_request, pod.workload.memory_request)
            pod.node = None

    def unnominate(self, pod: Pod) -> None:
        node, pod.nominated = pod.nominated, None
        node.release(pod.workload.cpu_request, pod.workload.memory_request)

    def pending_pods(self) -> list[Pod]:
        return list(self.pending)

    def schedule(self) -> None:
        """kube-scheduler: each pending pod to the least-allocated Ready node that takes it."""
        if not self.dirty:
            return
        self.dirty = False
        ready = [node for node in self.nodes if node.ready_at <= self.now]
        unplaceable: set[str] = set()  # identical pods: once one does not fit, the rest do not either
        for pod in self.pending_pods():
            spec = pod.workload
            if spec.name in unplaceable:
                continue
            candidates = [node for node in ready if node.group in spec.groups
                          and node.fits(spec.cpu_request, spec.memory_request)]
            if not candidates:
                unplaceable.add(spec.name)
                continue
            node = min(candidates, key=lambda n: (n.used_cpu / n.cpu + n.used_memory / n.memory, n.pods))
            if pod.nominated is not None:
                self.unnominate(pod)
            node.take(spec.cpu_request, spec.memory_request)
            pod.node, pod.started = node, self.now
            pod.ready_at = self.now + self.jitter(self.latencies[f"{spec.name}-pod-ready"])
            del self.pending[pod]
            heapq.heappush(self.ready_events, (pod.ready_at, next(self.counter), pod, node))

    def advance(self) -> None:
        """Nodes that turned Ready and pods that passed their readiness probe by now."""
        while self.launches and self.launches[0][0] <= self.now:
            _, _, node = heapq.heappop(self.launches)
            if node in self.nodes:
                self._release_nominations(node)
        while self.ready_events and self.ready_events[0][0] <= self.now:
            _, _, pod, node = heapq.heappop(self.ready_events)
            if pod.node is node:  # still bound where it started
                self.states[pod.workload.name].ready_count += 1

    # ---- nominations by node autoscalers ----

    def pack(self, pods: list[Pod], nodes: list[Node]) -> list[Pod]:
        """Nominate pods onto in-flight nodes with room (first fit); the pods left over."""
        left = []
        for pod in pods:
            spec = pod.workload
            node = next((n for n in nodes if n.fits(spec.cpu_request, spec.memory_request)), None)
            if node is None:
                left.append(pod)
                continue
            node.take(spec.cpu_request, spec.memory_request)
            pod.nominated = node
        return left

    def _release_nominations(self, node: Node) -> None:
        """A node turns Ready: its nominated pods go back to the scheduler, its room is free again."""
        for pod in self.pending_pods():
            if pod.nominated is node:
                self.unnominate(pod)
        self.dirty = True


def fill(node: Node, pods: list[Pod]) -> list[Pod]:
    """The pods, in order, that fit on an empty node of this shape (first fit)."""
    taken = []
    for pod in pods:
        if node.fits(pod.workload.cpu_request, pod.workload.memory_request):
            node.take(pod.workload.cpu_request, pod.workload.memory_request)
            taken.append(pod)
    return taken
