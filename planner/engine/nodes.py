"""Nodes and pods of the cluster model: what a node of an instance type offers, and the fit arithmetic.

A node's room comes from eks_scaling.instance_types.allocatable (the system-fit check uses the same one),
less the DaemonSets' requests.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from eks_scaling.instance_types import InstanceType, allocatable
from planner.engine.workloads import Workload

GROUPS = ("system", "karpenter", "ca", "fargate")  # fargate: one micro-VM per pod


class PlanError(ValueError):
    pass


def next_multiple(now: float, period: float) -> float:
    """The first multiple of the period after now: when a periodic controller next acts."""
    return (math.floor(now / period + 1e-9) + 1) * period


@dataclass(frozen=True)
class Shape:
    """What a node of one instance type offers pods (allocatable), minus the DaemonSets' requests
    (eks_scaling/controller_footprints.py)."""

    cpu: float  # cores
    memory: float  # GiB
    max_pods: int
    capacity_cpu: float  # what NodePool limits count: vCPUs
    capacity_memory: float  # GiB after the VM overhead

    @classmethod
    def of(cls, spec: InstanceType, daemonsets: tuple[float, float, int]) -> "Shape":
        room = allocatable(spec)
        ds_cpu, ds_memory, ds_pods = daemonsets
        return cls(room.cpu_millicores / 1000 - ds_cpu, room.memory_mib / 1024 - ds_memory, room.pods - ds_pods,
                   float(spec.vcpus), room.capacity_memory_mib / 1024)

    def room(self, cpu: float, memory: float, pods: int = 0, used_cpu: float = 0.0, used_memory: float = 0.0) -> int:
        """How many more pods of these requests fit next to what is used."""
        count = self.max_pods - pods
        if cpu > 0:
            count = min(count, math.floor((self.cpu - used_cpu) / cpu + 1e-9))
        if memory > 0:
            count = min(count, math.floor((self.memory - used_memory) / memory + 1e-9))
        return max(count, 0)


@dataclass(eq=False)
class Node:
    kind: str
    group: str  # system, karpenter, ca or fargate
    shape: Shape
    price: float
    launched: float
    ready_at: float
    used_cpu: float = 0.0  # bound pods, controllers and reservations
    used_memory: float = 0.0
    pods: int = 0
    residents: dict["Pod", None] = field(default_factory=dict)  # bound pods
    counts: dict[str, int] = field(default_factory=dict)  # bound pods by workload
    reserved: dict[str, int] = field(default_factory=dict)  # workload -> pods nominated here until Ready
    last_pod_event: float = 0.0  # a pod bound or removed; or when the node turned Ready
    unneeded_since: float | None = None
    cordoned: bool = False  # tainted NoSchedule by a node autoscaler that is removing it
    removed: bool = False
    spot: bool = False  # a Spot instance (Karpenter's spot NodePool)

    @property
    def billed_as(self) -> str:
        """Its line on the bill: the instance type, and whether it is Spot."""
        return f"{self.kind} spot" if self.spot else self.kind

    @property
    def cpu(self) -> float:
        return self.shape.cpu

    @property
    def memory(self) -> float:
        return self.shape.memory

    @property
    def max_pods(self) -> int:
        return self.shape.max_pods

    def room(self, cpu: float, memory: float) -> int:
        return self.shape.room(cpu, memory, self.pods, self.used_cpu, self.used_memory)

    def fits(self, cpu: float, memory: float, pods: int = 1) -> bool:
        return self.room(cpu, memory) >= pods

    def take(self, cpu: float, memory: float, count: int = 1) -> None:
        """Account pods' requests on this node (bound, reserved or a controller)."""
        self.used_cpu += cpu * count
        self.used_memory += memory * count
        self.pods += count

    def release(self, cpu: float, memory: float, count: int = 1) -> None:
        self.used_cpu -= cpu * count
        self.used_memory -= memory * count
        self.pods -= count

    def utilization(self) -> float:
        return max(self.used_cpu / self.cpu, self.used_memory / self.memory)


@dataclass(eq=False)
class Pod:
    workload: Workload
    created: float
    node: Node | None = None
    started: float | None = None
    ready_at: float | None = None
    first_bound: float | None = None  # when it was first bound to a node; None: never placed

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
    pending: dict[Pod, None] = field(default_factory=dict)  # insertion-ordered: the scheduler's FIFO
    reserved: int = 0  # pending pods with room reserved on a launching node
    never_placed: int = 0  # pods deleted while still waiting for their first node


def disruptions_allowed(state: WorkloadState) -> float:
    """What the workload's PodDisruptionBudget lets go now: Ready pods less those it must keep (the
    disruption controller's disruptionsAllowed, int-or-percent against the desired replicas, rounded up)."""
    eviction = state.spec.eviction
    if eviction.min_available is None and eviction.max_unavailable is None:
        return math.inf
    if eviction.min_available is not None:
        keep = _scaled(eviction.min_available, state.desired)
    else:
        keep = state.desired - _scaled(eviction.max_unavailable, state.desired)
    return max(state.ready_count - keep, 0)


def _scaled(value: int | str, total: int) -> int:
    if isinstance(value, str) and value.endswith("%"):
        return math.ceil(int(value[:-1]) * total / 100)
    return int(value)


def fill(shape: Shape, waiting: list[WorkloadState], need: dict[str, int]) -> dict[str, int]:
    """How many of each workload's pods a fresh node of this shape takes, in order (first fit)."""
    counts, cpu, memory, pods = {}, 0.0, 0.0, 0
    for state in waiting:
        spec = state.spec
        count = min(need[spec.name], shape.room(spec.cpu_request, spec.memory_request, pods, cpu, memory))
        if count:
            counts[spec.name] = count
            cpu, memory, pods = cpu + count * spec.cpu_request, memory + count * spec.memory_request, pods + count
    return counts


def holds(shape: Shape, waiting: list[WorkloadState], counts: dict[str, int]) -> bool:
    """Whether one fresh node of this shape takes all these pods."""
    by_name = {state.spec.name: state.spec for state in waiting}
    cpu = sum(by_name[name].cpu_request * count for name, count in counts.items())
    memory = sum(by_name[name].memory_request * count for name, count in counts.items())
    return (cpu <= shape.cpu + 1e-9 and memory <= shape.memory + 1e-9
            and sum(counts.values()) <= shape.max_pods)
