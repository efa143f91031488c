"""Karpenter: batches pending pods, launches the cheapest allowed instance type that holds each bin
within the NodePool's limits, and removes nodes that stayed empty for consolidateAfter."""

from __future__ import annotations

from planner import assumptions as A
from planner.cluster import Cluster, fill
from planner.model import duration_seconds, quantity
from stacks.config import AppConfig

DISRUPTION_INTERVAL = 10.0  # Karpenter's disruption controller looks for empty nodes on this period


class Karpenter:
    def __init__(self, cluster: Cluster, config: AppConfig, step: float) -> None:
        self.cluster, self.settings, self.step = cluster, config.karpenter, step
        self.batch: tuple[float, float] | None = None  # (first pending seen, last new pending)
        self.batch_size = 0

    def reconcile(self, now: float) -> None:
        if self.cluster.pending:
            self._provision(now)
        if now % DISRUPTION_INTERVAL < self.step:
            self._consolidate(now)

    def _provision(self, now: float) -> None:
        cluster, settings = self.cluster, self.settings
        types = cluster.types
        pending = [pod for pod in cluster.pending_pods() if "karpenter" in pod.workload.groups and pod.nominated is None]
        in_flight = [n for n in cluster.nodes if n.group == "karpenter" and n.ready_at > now]
        pending = cluster.pack(pending, in_flight)
        if not pending:
            self.batch = None
            return
        first, last = self.batch or (now, now)
        if self.batch and len(pending) > self.batch_size:
            last = now
        self.batch, self.batch_size = (first, last), len(pending)
        if now - last < A.KARPENTER_BATCH_IDLE and now - first < A.KARPENTER_BATCH_MAX:
            return
        self.batch = None
        allowed = sorted(settings.instance_types, key=lambda name: types[name].price)
        cpu_used = sum(types[n.kind].vcpu for n in cluster.nodes if n.group == "karpenter")
        memory_used = sum(types[n.kind].memory_gib for n in cluster.nodes if n.group == "karpenter")
        memory_limit = quantity(settings.memory_limit, memory=True)
        pending.sort(key=lambda pod: (pod.workload.cpu_request, pod.workload.memory_request), reverse=True)
        while pending:
            largest = max(allowed, key=lambda name: (types[name].vcpu, types[name].memory_gib))
            bin_pods = fill(cluster.shape(largest, "probe", 0.0), pending)
            if not bin_pods:
                return  # nothing pending fits any allowed type
            kind = next(name for name in allowed
                        if len(fill(cluster.shape(name, "probe", 0.0), bin_pods)) == len(bin_pods))
            spec = types[kind]
            if cpu_used + spec.vcpu > settings.cpu_limit or memory_used + spec.memory_gib > memory_limit:
                return  # NodePool limits reached: the rest stays Pending
            cpu_used, memory_used = cpu_used + spec.vcpu, memory_used + spec.memory_gib
            node = cluster.new_node(kind, "karpenter", now + cluster.jitter(cluster.latencies["karpenter-node-ready"]))
            cluster.pack(bin_pods, [node])
            pending = [pod for pod in pending if pod not in bin_pods]

    def _consolidate(self, now: float) -> None:
        after = duration_seconds(self.settings.consolidate_after)
        for node in [n for n in self.cluster.nodes if n.group == "karpenter" and n.ready_at <= now]:
            if node.pods > 0:
                node.empty_since = None
            elif node.empty_since is None:
                node.empty_since = now
            elif now - node.empty_since >= after:
                self.cluster.remove_node(node)
