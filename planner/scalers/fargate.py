"""Fargate: every pod of a Fargate workload gets its own capacity, sized as Fargate sizes it, after Fargate's
start-up latency, billed per vCPU-hour and GB-hour; it ends with the pod.

The sizing is eks_scaling/fargate.py's (the EKS user guide's table); the latency and the prices are in
planner/engine/assumptions.py with their sources. Each pending pod gets a micro-VM reserved for it at once
(the Fargate scheduler places every pod that matches a profile; there is no batching and no limit the app
sets), the pod binds when it is Ready, and a micro-VM whose pod is gone (scaled down, or deleted before it
started) is released in the same step.
"""

from __future__ import annotations

from eks_scaling.fargate import KUBERNETES_MEMORY_MIB, fargate_size
from planner.engine import assumptions as A
from planner.engine.cluster import Cluster
from planner.engine.nodes import PlanError, Shape
from planner.engine.workloads import Workload

GROUP = "fargate"


def fargate_kind(millicores: int, mib: int) -> str:
    """A Fargate configuration's line on the bill, e.g. "fargate 0.25 vCPU 0.5 GB"."""
    return f"{GROUP} {millicores / 1000:g} vCPU {mib / 1024:g} GB"


def fargate_price(millicores: int, mib: int, prices: A.FargatePrices = A.FARGATE_PRICES) -> float:
    """USD per hour of one pod of this configuration."""
    return millicores / 1000 * prices.vcpu_hour + mib / 1024 * prices.gb_hour


class Fargate:
    def __init__(self, cluster: Cluster, prices: A.FargatePrices = A.FARGATE_PRICES) -> None:
        self.cluster = cluster
        self.states = [state for state in cluster.states.values() if GROUP in state.spec.groups]
        self.kinds = {state.spec.name: self._register(state.spec, prices) for state in self.states}

    def _register(self, spec: Workload, prices: A.FargatePrices) -> str:
        size = fargate_size(round(spec.cpu_request * 1000), round(spec.memory_request * 1024))
        if size is None:
            raise PlanError(f"{spec.name} requests more than Fargate's largest pod (16 vCPU, 120 GB)")
        millicores, mib = size
        kind = fargate_kind(millicores, mib)
        # What the pod may use: the configuration less the memory Fargate keeps for Kubernetes; one pod.
        self.cluster.shapes[kind] = Shape(millicores / 1000, (mib - KUBERNETES_MEMORY_MIB) / 1024, 1,
                                          millicores / 1000, mib / 1024)
        self.cluster.prices[kind] = fargate_price(millicores, mib, prices)
        return kind

    def start(self) -> None:
        """The plan's starting pods run already: a Ready micro-VM for each, which the scheduler binds it to."""
        for state in self.states:
            for _ in state.pending:
                self.cluster.new_node(self.kinds[state.spec.name], GROUP, self.cluster.now)

    def reconcile(self, now: float) -> None:
        cluster = self.cluster
        for node in [node for node in cluster.groups[GROUP] if not node.residents and not node.reserved]:
            cluster.remove_node(node)
        for state in self.states:
            for _ in range(cluster.unreserved(state)):
                node = cluster.new_node(self.kinds[state.spec.name], GROUP,
                                        now + cluster.jitter(cluster.latencies["fargate-pod-start"]))
                cluster.reserve(node, state, 1)
            if state.pending:
                cluster.note("fargate", {state.spec.name}, lambda: (
                    f"starts {len(state.pending)} {self.kinds[state.spec.name]} pod(s) for {state.spec.name}"))
