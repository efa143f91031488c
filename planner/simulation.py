"""The discrete-time model of the deployed system: load -> metrics -> autoscalers -> pods -> nodes.

One step is `step` seconds (1 s by default). Controllers act on their own periods: the HPA every 15 s,
KEDA every pollingInterval, Cluster Autoscaler every 10 s, Karpenter after its batch window. Pods are
bound to Ready nodes by their requests, the node's pod limit (VPC CNI) and DaemonSet overhead.
"""

from __future__ import annotations

import heapq
import itertools
import math
import random
import sys
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable

from planner import assumptions as A
from planner.hpa import SYNC_PERIOD, Behavior, PodSample, replicas_for_external, replicas_for_pods
from planner.model import Workload, quantity, system_pods, workloads
from planner.scenario import RATE_WORKLOADS, Scenario
from stacks.config import AppConfig

PROBE_RATE = 0.2  # readiness and liveness probes every 10 s each hit podinfo's http port
DISRUPTION_INTERVAL = 10.0  # Karpenter's disruption controller looks for empty nodes on this period


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
    behavior: Behavior | None = None
    load: float = 0.0
    cpu_sample: tuple[float, float] = (0.0, 0.0)  # metrics-server: (time, cores per ready pod)
    scrapes: list[tuple[float, float, float]] = field(default_factory=list)  # (time, per-pod rate, total rate)
    keda_failures: int = 0
    keda_last_active: float = 0.0
    reported: float | None = None
    pending_seconds: float = 0.0
    peak: int = 0
    ready_count: int = 0


@dataclass
class Result:
    label: str
    series: dict[str, list[float]]
    summary: dict


class Simulation:
    def __init__(self, config: AppConfig, scenario: Scenario, *, seed: int = 1, step: float = 1.0,
                 record_every: float = 10.0, prices: dict[str, float] | None = None, label: str = "",
                 progress: Callable[[float], None] | None = None) -> None:
        self.config, self.scenario, self.step = config, scenario, step
        self.record_every, self.label, self.progress = record_every, label or config.node_autoscaler, progress
        self.rng = random.Random(seed)
        self.types = {name: A.INSTANCE_TYPES[name] for name in A.INSTANCE_TYPES}
        for name, price in (prices or {}).items():
            if name not in self.types:
                raise PlanError(f"no specs for instance type {name!r} to price; known: {', '.join(self.types)}")
            self.types[name] = A.InstanceType(self.types[name].vcpu, self.types[name].memory_gib,
                                              self.types[name].max_pods, price)
        self._check_types()
        self.now = 0.0
        self.nodes: list[Node] = []
        self.states = {spec.name: WorkloadState(spec) for spec in workloads(config)}
        self.cursors = {name: scenario.cursor(name) for name in self.states}
        self.cost = 0.0
        self.node_seconds: dict[str, float] = {}
        self.karpenter_batch: tuple[float, float] | None = None  # (first pending seen, last new pending)
        self._batch_size = 0
        self.ca_last_scale_up = -math.inf
        self.dirty = True
        self.pending: dict[Pod, None] = {}  # insertion-ordered: the scheduler's FIFO
        self.ready_events: list[tuple[float, int, Pod, Node]] = []  # (ready at, tie-break, pod, its node)
        self.launches: list[tuple[float, int, Node]] = []  # (ready at, tie-break, node)
        self.counter = itertools.count()
        self.nodes_by_kind: dict[str, int] = {}
        self.series: dict[str, list[float]] = {"time": [], "pending": [], "nodes": []}
        self.capacity_times: dict[str, list[float]] = {name: [] for name in self.states}

    # ---- setup ----

    def _check_types(self) -> None:
        config = self.config
        wanted = set(config.system_nodes.instance_types)
        if config.enable_karpenter:
            wanted |= set(config.karpenter.instance_types)
        if config.enable_cluster_autoscaler:
            wanted |= set(config.cluster_autoscaler.nodes.instance_types)
        unknown = sorted(wanted - set(self.types))
        if unknown:
            raise PlanError(f"the planner has no specs for instance type {unknown[0]}; known: "
                            + ", ".join(self.types))

    def _jitter(self, seconds: float) -> float:
        return seconds * self.rng.uniform(1 - A.LATENCY_JITTER, 1 + A.LATENCY_JITTER)

    def _shape(self, kind: str, group: str, ready_at: float) -> Node:
        """A node of this type with what pods can use once DaemonSets run, not yet in the cluster."""
        spec = self.types[kind]
        cpu, memory = A.allocatable(spec)
        return Node(kind, group, cpu - A.DAEMONSET_CPU, memory - A.DAEMONSET_MEMORY_GIB,
                    spec.max_pods - A.DAEMONSET_PODS, spec.price, self.now, ready_at)

    def _new_node(self, kind: str, group: str, ready_at: float) -> Node:
        node = self._shape(kind, group, ready_at)
        self.nodes.append(node)
        self.nodes_by_kind[kind] = self.nodes_by_kind.get(kind, 0) + 1
        if ready_at > self.now:
            heapq.heappush(self.launches, (ready_at, next(self.counter), node))
        return node

    def _remove_node(self, node: Node) -> None:
        self.nodes.remove(node)
        self.nodes_by_kind[node.kind] -= 1

    def _setup(self) -> None:
        config = self.config
        # Managed node groups launch their first instance type.
        for _ in range(config.system_nodes.desired_size):
            self._new_node(config.system_nodes.instance_types[0], "system", 0.0)
        if config.enable_cluster_autoscaler:
            nodes = config.cluster_autoscaler.nodes
            for _ in range(nodes.desired_size):
                self._new_node(nodes.instance_types[0], "ca", 0.0)
        for name, cpu, memory in system_pods(config):
            node = min((n for n in self.nodes if n.group == "system" and n.fits(cpu, memory)),
                       key=lambda n: n.used_cpu / n.cpu, default=None)
            if node is None:
                raise PlanError(f"the system node group cannot hold the controller {name} "
                                f"({cpu:g} cores, {memory:g} GiB): raise systemNodeDesiredSize or its instance types")
            node.take(cpu, memory)
        for state in self.states.values():
            scaling = state.spec.autoscaling
            if scaling:
                low = max(1, scaling.min_replicas)
                state.behavior = Behavior(low, scaling.max_replicas)
                state.desired = low
            else:
                state.desired = int(self.cursors[state.spec.name].at(0.0))
            self._scale_to(state, state.desired)
        self._schedule()
        for state in self.states.values():  # the starting pods are up when the plan starts
            for pod in state.pods:
                if pod.node is not None:
                    pod.started = pod.ready_at = -A.RATE_WINDOW * 3
            state.ready_count = sum(1 for pod in state.pods if pod.node is not None)
        self.ready_events.clear()

    # ---- pods ----

    def _scale_to(self, state: WorkloadState, replicas: int) -> None:
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
                self._unbind(pod)
                self.pending.pop(pod, None)
                if pod.nominated is not None:
                    self._unnominate(pod)
            state.pods = state.pods[len(state.pods) - replicas:]
            self.dirty = True

    def _unbind(self, pod: Pod) -> None:
        if pod.node is not None:
            if pod.ready(self.now):
                self.states[pod.workload.name].ready_count -= 1
            pod.node.release(pod.workload.cpu_request, pod.workload.memory_request)
            pod.node = None

    def _unnominate(self, pod: Pod) -> None:
        node, pod.nominated = pod.nominated, None
        node.release(pod.workload.cpu_request, pod.workload.memory_request)

    def _pending(self) -> list[Pod]:
        return list(self.pending)

    def _schedule(self) -> None:
        """kube-scheduler: each pending pod to the least-allocated Ready node that takes it."""
        if not self.dirty:
            return
        self.dirty = False
        ready = [node for node in self.nodes if node.ready_at <= self.now]
        unplaceable: set[str] = set()  # identical pods: once one does not fit, the rest do not either
        for pod in self._pending():
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
                self._unnominate(pod)
            node.take(spec.cpu_request, spec.memory_request)
            pod.node, pod.started = node, self.now
            pod.ready_at = self.now + self._jitter(spec.start_seconds)
            del self.pending[pod]
            heapq.heappush(self.ready_events, (pod.ready_at, next(self.counter), pod, node))

    # ---- metrics ----

    def _observe(self, state: WorkloadState) -> None:
        ready = state.ready_count
        name = state.spec.name
        if name == "php-apache" and self.now % A.METRICS_SERVER_RESOLUTION < self.step:
            demand = state.load * A.PHP_APACHE_CPU_PER_REQUEST
            per_pod = demand / ready if ready else 0.0
            if state.spec.cpu_limit:
                per_pod = min(per_pod, state.spec.cpu_limit)
            state.cpu_sample = (self.now, per_pod)
        if name in ("podinfo", "podinfo-keda") and self.now % A.PROMETHEUS_SCRAPE_INTERVAL < self.step \
                and self.scenario.prometheus_up(self.now):
            # A pod serves at most a core's worth of requests (podinfo has no CPU limit).
            served = min(state.load / ready, 1 / A.PODINFO_CPU_PER_REQUEST) if ready else 0.0
            per_pod = served + PROBE_RATE
            state.scrapes.append((self.now, per_pod, state.load + PROBE_RATE * len(state.pods)))
            state.scrapes = [s for s in state.scrapes if self.now - s[0] <= A.RATE_WINDOW]

    def _window(self, state: WorkloadState) -> tuple[float, float] | None:
        """rate(...[2m]) per pod and summed, from the scrapes in the window (two samples needed)."""
        samples = [s for s in state.scrapes if self.now - s[0] <= A.RATE_WINDOW]
        if len(samples) < 2:
            return None
        return (sum(s[1] for s in samples[1:]) / (len(samples) - 1),
                sum(s[2] for s in samples[1:]) / (len(samples) - 1))

    def _samples(self, state: WorkloadState) -> list[PodSample]:
        spec, now = state.spec, self.now
        sample_time, per_pod_cpu = state.cpu_sample
        window = self._window(state)
        samples = []
        for pod in state.pods:
            if pod.node is None:
                samples.append(PodSample(None, spec.cpu_request, False, "Pending", start_time=pod.created,
                                         ready_time=None))
                continue
            ready = pod.ready(now)
            if spec.autoscaling.kind == "cpu":
                seen = pod.started is not None and sample_time > pod.started
                value = (per_pod_cpu if ready else 0.001) if seen else None
                samples.append(PodSample(value, spec.cpu_request, ready, "Running", start_time=pod.started,
                                         ready_time=pod.ready_at if ready else None, sample_time=sample_time))
            else:
                scraped = window is not None and pod.started is not None and \
                    now - pod.started >= 2 * A.PROMETHEUS_SCRAPE_INTERVAL
                value = (window[0] if ready else PROBE_RATE) if scraped else None
                samples.append(PodSample(value, 0.0, ready, "Running", start_time=pod.started,
                                         ready_time=pod.ready_at if ready else None, sample_time=now))
        return samples

    # ---- pod autoscalers ----

    def _autoscale(self, state: WorkloadState) -> None:
        scaling, now = state.spec.autoscaling, self.now
        if scaling.kind == "keda":
            self._keda_poll(state)
        if now % SYNC_PERIOD >= self.step:
            return
        prometheus_up = self.scenario.prometheus_up(now)
        current = state.desired
        if scaling.kind == "keda":
            if current == 0:
                return  # KEDA has scaled to zero and paused its HPA
            if not prometheus_up:
                if state.keda_failures < scaling.fallback_threshold:
                    return
                total = scaling.fallback_replicas * scaling.target  # KEDA's fallback value
            else:
                window = self._window(state)
                if window is None:
                    return
                total = window[1]
            recommendation = replicas_for_external(total, target_average=scaling.target, current_replicas=current)
        else:
            if scaling.kind == "pods" and not prometheus_up:
                return  # the custom metrics API cannot answer: the HPA keeps its count
            recommendation = replicas_for_pods(self._samples(state), target=scaling.target,
                                               current_replicas=current, now=now, resource=scaling.kind == "cpu")
        state.reported = recommendation.reported
        desired = state.behavior.next_replicas(recommendation.replicas, current, now)
        if desired != current:
            self._scale_to(state, desired)

    def _keda_poll(self, state: WorkloadState) -> None:
        scaling = state.spec.autoscaling
        if self.now % scaling.polling_interval >= self.step:
            return
        if not self.scenario.prometheus_up(self.now):
            state.keda_failures += 1
            return
        state.keda_failures = 0
        window = self._window(state)
        if window and window[1] > scaling.activation:
            state.keda_last_active = self.now
            if state.desired == 0:
                self._scale_to(state, 1)
        elif scaling.min_replicas == 0 and state.desired > 0 and self.now - state.keda_last_active >= scaling.cooldown:
            self._scale_to(state, 0)

    # ---- node autoscalers ----

    def _pack(self, pods: list[Pod], nodes: list[Node]) -> list[Pod]:
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
        for pod in self._pending():
            if pod.nominated is node:
                self._unnominate(pod)
        self.dirty = True

    def _karpenter(self) -> None:
        settings = self.config.karpenter
        pending = [pod for pod in self._pending() if "karpenter" in pod.workload.groups and pod.nominated is None]
        in_flight = [n for n in self.nodes if n.group == "karpenter" and n.ready_at > self.now]
        pending = self._pack(pending, in_flight)
        if not pending:
            self.karpenter_batch = None
            return
        first, last = self.karpenter_batch or (self.now, self.now)
        if self.karpenter_batch and len(pending) > self._batch_size:
            last = self.now
        self.karpenter_batch, self._batch_size = (first, last), len(pending)
        if self.now - last < A.KARPENTER_BATCH_IDLE and self.now - first < A.KARPENTER_BATCH_MAX:
            return
        self.karpenter_batch = None
        allowed = sorted(settings.instance_types, key=lambda name: self.types[name].price)
        cpu_used = sum(self.types[n.kind].vcpu for n in self.nodes if n.group == "karpenter")
        memory_used = sum(self.types[n.kind].memory_gib for n in self.nodes if n.group == "karpenter")
        memory_limit = quantity(settings.memory_limit, memory=True)
        pending.sort(key=lambda pod: (pod.workload.cpu_request, pod.workload.memory_request), reverse=True)
        while pending:
            largest = max(allowed, key=lambda name: (self.types[name].vcpu, self.types[name].memory_gib))
            bin_pods = self._fill(self._shape(largest, "probe", 0.0), pending)
            if not bin_pods:
                return  # nothing pending fits any allowed type
            kind = next(name for name in allowed
                        if len(self._fill(self._shape(name, "probe", 0.0), bin_pods)) == len(bin_pods))
            spec = self.types[kind]
            if cpu_used + spec.vcpu > settings.cpu_limit or memory_used + spec.memory_gib > memory_limit:
                return  # NodePool limits reached: the rest stays Pending
            cpu_used, memory_used = cpu_used + spec.vcpu, memory_used + spec.memory_gib
            node = self._new_node(kind, "karpenter", self.now + self._jitter(A.KARPENTER_LAUNCH_TO_READY))
            self._pack(bin_pods, [node])
            pending = [pod for pod in pending if pod not in bin_pods]

    @staticmethod
    def _fill(node: Node, pods: list[Pod]) -> list[Pod]:
        """The pods, in order, that fit on an empty node of this shape (first fit)."""
        taken = []
        for pod in pods:
            if node.fits(pod.workload.cpu_request, pod.workload.memory_request):
                node.take(pod.workload.cpu_request, pod.workload.memory_request)
                taken.append(pod)
        return taken

    def _consolidate(self) -> None:
        after = _seconds(self.config.karpenter.consolidate_after)
        for node in [n for n in self.nodes if n.group == "karpenter" and n.ready_at <= self.now]:
            if node.pods > 0:
                node.empty_since = None
            elif node.empty_since is None:
                node.empty_since = self.now
            elif self.now - node.empty_since >= after:
                self._remove_node(node)

    def _cluster_autoscaler(self) -> None:
        if self.now % A.CA_SCAN_INTERVAL >= self.step:
            return
        settings = self.config.cluster_autoscaler
        group = [n for n in self.nodes if n.group == "ca"]
        pending = [pod for pod in self._pending() if "ca" in pod.workload.groups and pod.nominated is None
                   and not ("karpenter" in pod.workload.groups and self.config.enable_karpenter)]
        pending = self._pack(pending, [n for n in group if n.ready_at > self.now])
        kind = settings.nodes.instance_types[0]
        while pending and len(group) < settings.nodes.max_size:
            node = self._new_node(kind, "ca", self.now + self._jitter(A.CA_LAUNCH_TO_READY))
            group.append(node)
            left = self._pack(pending, [node])
            if len(left) == len(pending):
                self._remove_node(node)  # not even one pod fits this instance type
                group.pop()
                break
            pending = left
            self.ca_last_scale_up = self.now
        self._ca_scale_down([n for n in group if n.ready_at <= self.now], settings)

    def _ca_scale_down(self, ready: list[Node], settings) -> None:
        unneeded_after = _seconds(settings.scale_down_unneeded_time)
        if self.now - self.ca_last_scale_up < A.CA_SCALE_DOWN_DELAY_AFTER_ADD:
            return
        for node in ready:
            utilization = max(node.used_cpu / node.cpu, node.used_memory / node.memory)
            others = [n for n in ready if n is not node]
            movable = node.pods == 0 or (utilization < A.CA_SCALE_DOWN_UTILIZATION and sum(
                n.max_pods - n.pods for n in others) >= node.pods and sum(n.cpu - n.used_cpu for n in others)
                >= node.used_cpu and sum(n.memory - n.used_memory for n in others) >= node.used_memory)
            if not movable:
                node.unneeded_since = None
                continue
            node.unneeded_since = node.unneeded_since if node.unneeded_since is not None else self.now
            total = sum(1 for n in self.nodes if n.group == "ca")
            if self.now - node.unneeded_since >= unneeded_after and total > settings.nodes.min_size:
                for state in self.states.values():
                    for pod in state.pods:
                        if pod.node is node:
                            self._unbind(pod)  # evicted: the ReplicaSet's replacement goes Pending
                            pod.started = pod.ready_at = None
                            pod.created = self.now
                            self.pending[pod] = None
                self._remove_node(node)
                self.dirty = True
                return  # one node per scan

    # ---- the loop ----

    def run(self) -> Result:
        self._setup()
        steps = int(self.scenario.duration / self.step)
        next_record = 0.0
        for index in range(steps + 1):
            self.now = index * self.step
            self._tick()
            if self.now >= next_record:
                self._record()
                next_record += self.record_every
            if self.progress and index % max(1, steps // 50) == 0:
                self.progress(index / max(steps, 1))
        if self.progress:
            self.progress(1.0)
        return Result(self.label, self.series, self._summary())

    def _tick(self) -> None:
        for name, state in self.states.items():
            value = self.cursors[name].at(self.now)
            if name in RATE_WORKLOADS:
                state.load = value
            elif int(value) != state.desired:
                self._scale_to(state, int(value))
        while self.launches and self.launches[0][0] <= self.now:
            _, _, node = heapq.heappop(self.launches)
            if node in self.nodes:
                self._release_nominations(node)
        while self.ready_events and self.ready_events[0][0] <= self.now:
            _, _, pod, node = heapq.heappop(self.ready_events)
            if pod.node is node:  # still bound where it started
                self.states[pod.workload.name].ready_count += 1
        self._schedule()
        for state in self.states.values():
            if state.spec.autoscaling:
                self._observe(state)
                self._autoscale(state)
        self._schedule()
        if self.config.enable_karpenter:
            if self.pending:
                self._karpenter()
            if self.now % DISRUPTION_INTERVAL < self.step:
                self._consolidate()
        if self.config.enable_cluster_autoscaler:
            self._cluster_autoscaler()
        for kind, count in self.nodes_by_kind.items():
            self.node_seconds[kind] = self.node_seconds.get(kind, 0.0) + count * self.step
            self.cost += count * self.types[kind].price * self.step / 3600
        waiting = Counter(pod.workload.name for pod in self.pending)
        for name, state in self.states.items():
            state.pending_seconds += waiting[name] * self.step
            if self._has_capacity(state):
                self.capacity_times[state.spec.name].append(self.now)

    def _has_capacity(self, state: WorkloadState) -> bool:
        if state.ready_count < state.desired:
            return False
        scaling = state.spec.autoscaling
        if not scaling or state.reported is None or state.desired >= scaling.max_replicas:
            return True
        return state.reported <= scaling.target * 1.1

    def _record(self) -> None:
        series = self.series
        series["time"].append(self.now)
        series["pending"].append(len(self.pending))
        series["nodes"].append(len(self.nodes))
        for group in ("system", "karpenter", "ca"):
            series.setdefault(f"nodes:{group}", []).append(sum(1 for n in self.nodes if n.group == group))
        for kind in self.types:
            if kind in self.nodes_by_kind or f"nodes:type:{kind}" in series:
                column = series.setdefault(f"nodes:type:{kind}", [0.0] * (len(series["time"]) - 1))
                column.append(self.nodes_by_kind.get(kind, 0))
        for name, state in self.states.items():
            series.setdefault(f"{name}:load", []).append(state.load if name in RATE_WORKLOADS else state.desired)
            series.setdefault(f"{name}:replicas", []).append(state.desired)
            series.setdefault(f"{name}:ready", []).append(state.ready_count)
            series.setdefault(f"{name}:metric", []).append(state.reported if state.reported is not None else math.nan)

    def _summary(self) -> dict:
        workloads_summary = {}
        for name, state in self.states.items():
            waits = [next((t - start for t in self.capacity_times[name] if start <= t < end), None)
                     for start, end in self.scenario.load_steps(name)]
            workloads_summary[name] = {
                "peak_replicas": state.peak,
                # From each rise of its load (or replica count) to enough Ready pods; the slowest rise.
                "time_to_capacity_s": max(waits) if waits and None not in waits else None,
                "capacity_reached": None if not waits else None not in waits,
                "pending_pod_seconds": round(state.pending_seconds, 1),
                "final_metric": state.reported,
            }
        hours = {kind: round(seconds / 3600, 3) for kind, seconds in sorted(self.node_seconds.items())}
        return {
            "workloads": workloads_summary,
            "cluster": {
                "peak_nodes": int(max(self.series["nodes"], default=0)),
                "node_hours": hours,
                "cost_usd": round(self.cost, 2),
                "pending_pod_seconds": round(sum(s.pending_seconds for s in self.states.values()), 1),
            },
        }


def _seconds(duration: str) -> float:
    """A Kubernetes-style duration (30s, 10m, 1h30m) in seconds."""
    total, number = 0.0, ""
    for char in duration:
        if char.isdigit():
            number += char
        else:
            total += int(number) * {"s": 1, "m": 60, "h": 3600}[char]
            number = ""
    return total


def progress_bar(fraction: float) -> None:
    width = 40
    filled = int(width * fraction)
    sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {fraction:4.0%}")
    if fraction >= 1.0:
        sys.stderr.write("\n")
    sys.stderr.flush()
