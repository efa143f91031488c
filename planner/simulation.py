"""The discrete-time loop over the model of the deployed system: load -> metrics -> autoscalers -> pods
-> nodes, and the result it records.

One step is `step` seconds (1 s by default). Controllers act on their own periods: the HPA every 15 s,
KEDA every pollingInterval, Cluster Autoscaler every 10 s, Karpenter after its batch window. The
cluster (planner/engine/cluster.py) holds nodes and pods; each scaler has its own module.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Callable, Mapping

from eks_scaling.instance_types import DEFAULT_PRICE_REGION, InstanceType, UnknownInstanceType, instance_type
from eks_scaling.settings import AppConfig
from planner.engine import assumptions as A
from planner.engine.cluster import Cluster
from planner.engine.decisions import DecisionLog
from planner.engine.nodes import PlanError, WorkloadState
from planner.engine.scenario import RATE_WORKLOADS, Scenario
from planner.engine.workloads import Workload, daemonset_overhead, system_pods, workloads
from planner.scalers import auto_mode
from planner.scalers.cluster_autoscaler import ClusterAutoscaler
from planner.scalers.fargate import Fargate
from planner.scalers.hpa import Release
from planner.scalers.karpenter import Karpenter
from planner.scalers.keda import Keda
from planner.scalers.metrics_pipeline import MetricsPipeline
from planner.scalers.pod_autoscaling import PodAutoscaling

__all__ = ["PlanError", "Result", "Simulation"]

STARTED_LONG_AGO = -3600.0  # the starting pods: up and Ready well before every metric window


@dataclass
class Result:
    label: str
    series: dict[str, list[float]]
    summary: dict


class Simulation:
    def __init__(self, config: AppConfig, scenario: Scenario, *, seed: int = 1, step: float = 1.0,
                 record_every: float = 10.0, prices: dict[str, float] | None = None, label: str = "",
                 progress: Callable[[float], None] | None = None,
                 latencies: Mapping[str, float] | None = None,
                 workload_specs: list[Workload] | None = None, explain: bool = False,
                 spot: A.SpotAssumptions = A.SPOT, fargate: A.FargatePrices = A.FARGATE_PRICES) -> None:
        """workload_specs: the workloads to plan (default: those the configuration deploys); a comparison
        passes every run the same ones. explain: keep the decision log (planner/engine/decisions.py). spot: Spot's
        price and interruptions (planner/engine/assumptions.py), when the NodePools allow Spot. fargate: Fargate's
        prices, when a workload runs there."""
        self.record_every, self.label, self.progress = record_every, label or config.node_autoscaler, progress
        self.auto_mode = config.enable_auto_mode
        if self.auto_mode:
            config = auto_mode.as_karpenter(config)
        self.config, self.scenario, self.step = config, scenario, step
        self.types = _instance_types(config)
        self.prices = _prices(self.types, config.region or DEFAULT_PRICE_REGION, prices or {})
        if config.enable_karpenter and "spot" in config.karpenter.capacity_types:
            self.prices |= {f"{kind} spot": self.prices[kind] * spot.price_factor
                            for kind in config.karpenter.instance_types}
        specs = workloads(config) if workload_specs is None else workload_specs
        self.cluster = Cluster(self.types, self.prices, specs, random.Random(seed), _latencies(latencies or {}),
                               daemonset_overhead(config))
        self.states = self.cluster.states
        if explain:
            self.cluster.log = DecisionLog()
        self.cursors = {name: scenario.cursor(name) for name in self.states}
        self.metrics = MetricsPipeline(scenario, step)
        self.pod_autoscaling = PodAutoscaling(self.cluster, self.metrics, Keda(self.cluster, self.metrics, step), step,
                                              Release.of(config.cluster.kubernetes_version))
        self.karpenter = Karpenter(self.cluster, config, step, spot, seed) if config.enable_karpenter else None
        self.cluster_autoscaler = ClusterAutoscaler(self.cluster, config, step) \
            if config.enable_cluster_autoscaler else None
        self.fargate = Fargate(self.cluster, fargate) \
            if any("fargate" in spec.groups for spec in specs) else None
        self.series: dict[str, list[float]] = {"time": [], "pending": [], "nodes": []}
        # Each rise of a workload's load: (start, end, seconds until it had capacity or None), in time order.
        self.rises = {name: [[start, end, None] for start, end in scenario.load_steps(name)] for name in self.states}
        self.rise_index = dict.fromkeys(self.states, 0)

    def _setup(self) -> None:
        config, cluster = self.config, self.cluster
        # Managed node groups launch their first instance type.
        for _ in range(config.system_nodes.desired_size):
            cluster.new_node(config.system_nodes.instance_types[0], "system", 0.0)
        if config.enable_cluster_autoscaler:
            nodes = config.cluster_autoscaler.nodes
            for _ in range(nodes.desired_size):
                cluster.new_node(nodes.instance_types[0], "ca", 0.0)
        placed: dict[str, set] = {}
        for pod in system_pods(config):
            taken = placed.setdefault(pod.name, set())
            node = min((n for n in cluster.groups["system"] if n.fits(pod.cpu, pod.memory)
                        and not (pod.one_per_node and n in taken)), key=lambda n: n.used_cpu / n.cpu, default=None)
            if node is None:
                raise PlanError(f"the system node group cannot hold the controller {pod.name} ({pod.cpu:g} cores, "
                                f"{pod.memory:g} GiB): raise systemNodeDesiredSize or its instance types")
            node.take(pod.cpu, pod.memory)
            taken.add(node)
        for state in self.states.values():
            if state.spec.autoscaling:
                replicas = self.pod_autoscaling.start(state)
            elif state.spec.replicas is not None:
                replicas = state.spec.replicas
            else:
                replicas = int(self.cursors[state.spec.name].at(0.0))
            cluster.scale_to(state, replicas)
        if self.fargate:
            self.fargate.start()
        cluster.schedule()
        self._settle()
        for state in self.states.values():  # the starting pods are up when the plan starts
            for pod in state.pods:
                if pod.node is not None:
                    pod.started = pod.ready_at = STARTED_LONG_AGO
            state.ready_count = sum(1 for pod in state.pods if pod.node is not None)
            if state.spec.autoscaling:
                state.load = self.cursors[state.spec.name].at(0.0)
                self.metrics.prime(state, STARTED_LONG_AGO)
        cluster.ready_events.clear()
        cluster.changes = 0

    def _settle(self) -> None:
        """Start from a settled cluster: the node autoscalers have launched nodes for the starting pods
        long before the plan starts, so start-up is not counted as a response to load (pending
        pod-seconds, time to capacity). Those nodes are billed from the plan's start, as the others."""
        if self.karpenter:
            self.karpenter.provision_now(0.0)
        if self.cluster_autoscaler:
            self.cluster_autoscaler.provision_now(0.0)
        settled = len(self.cluster.in_flight)
        self.cluster.settle(STARTED_LONG_AGO)
        self.cluster.schedule()
        if settled:
            self.cluster.note("start", set(self.states), f"a settled cluster: the {settled} node(s) launched for "
                                                         "the starting pods are Ready before the plan starts")

    def run(self) -> Result:
        """Step from event to event: a tick only where some controller acts, a node or pod turns Ready,
        a load changes or a sample is recorded; what accrues between ticks (pending pod-seconds, node
        hours) is added for the whole gap, so the cost follows the events, not the simulated seconds."""
        self._setup()
        steps = int(self.scenario.duration / self.step)
        next_record, reported, index = 0.0, -1, 0
        while True:
            now = self.cluster.now = index * self.step
            self._tick(now)
            if now >= next_record:
                self._record()
                next_record += self.record_every
            if self.progress and index * 50 // max(steps, 1) > reported:
                reported = index * 50 // max(steps, 1)
                self.progress(index / max(steps, 1))
            if index >= steps:
                break
            upcoming = min(steps, max(index + 1, math.ceil(self._next_event(now, next_record) / self.step - 1e-9)))
            self._accrue((upcoming - index) * self.step)
            index = upcoming
        if self.progress:
            self.progress(1.0)
        return Result(self.label, self.series, self._summary())

    def _next_event(self, now: float, next_record: float) -> float:
        times = [next_record, self.cluster.next_event(), self.metrics.next_event(now),
                 *(cursor.next_change() for cursor in self.cursors.values())]
        if any(state.spec.autoscaling for state in self.states.values()):
            times.append(self.pod_autoscaling.next_event(now))
        if self.karpenter:
            times.append(self.karpenter.next_event(now))
        if self.cluster_autoscaler:
            times.append(self.cluster_autoscaler.next_event(now))
        return min(times)

    def _accrue(self, seconds: float) -> None:
        for state in self.states.values():
            if state.pending:
                state.pending_seconds += len(state.pending) * seconds

    def _tick(self, now: float) -> None:
        cluster = self.cluster
        for name, state in self.states.items():
            if self.cursors[name].next_change() <= now:
                value = self.cursors[name].at(now)
                if name in RATE_WORKLOADS:
                    state.load = value
                elif int(value) != state.desired:
                    cluster.scale_to(state, int(value))
        cluster.advance()
        cluster.schedule()
        for state in self.states.values():
            if state.spec.autoscaling:
                self.metrics.observe(state, now)
                self.pod_autoscaling.reconcile(state, now)
        cluster.schedule()
        if self.karpenter:
            self.karpenter.reconcile(now)
        if self.cluster_autoscaler:
            self.cluster_autoscaler.reconcile(now)
        if self.fargate:
            self.fargate.reconcile(now)
        for state in self.states.values():
            self._track_capacity(state, now)

    def _track_capacity(self, state: WorkloadState, now: float) -> None:
        """Time to capacity of the current rise of the load, found once as the loop passes it."""
        rises, index = self.rises[state.spec.name], self.rise_index[state.spec.name]
        while index < len(rises) and rises[index][1] <= now:
            index += 1
        self.rise_index[state.spec.name] = index
        if index < len(rises) and rises[index][0] <= now and rises[index][2] is None and self._has_capacity(state):
            rises[index][2] = now - rises[index][0]

    def _has_capacity(self, state: WorkloadState) -> bool:
        """Enough Ready pods, and (for an autoscaled workload) the true load per pod, as the HPA would
        read it, within the HPA's scale-up tolerance of its target (so it would not scale up), or at
        maxReplicas. The true load, not the metric the HPA last saw,
        which lags it by the metric pipeline."""
        if state.ready_count < state.desired:
            return False
        scaling = state.spec.autoscaling
        if not scaling or state.desired >= scaling.max_replicas:
            return True
        value = self.metrics.true_value(state)
        if scaling.kind == "cpu":  # the HPA's utilization is a whole percentage (replica_calculator.go)
            value = math.floor(value + 1e-9)
        tolerance = self.pod_autoscaling.hpas[state.spec.name].tolerances().scale_up
        return value <= scaling.target * (1 + tolerance) + 1e-9

    def _record(self) -> None:
        series, nodes = self.series, self.cluster.nodes
        series["time"].append(self.cluster.now)
        series["pending"].append(self.cluster.pending_total)
        series["nodes"].append(len(nodes))
        for group, members in self.cluster.groups.items():
            series.setdefault(f"nodes:{group}", []).append(len(members))
        for kind in self.types:
            for prefix, counts in (("nodes:type:", self.cluster.nodes_by_kind),
                                   ("nodes:autoscaled:", self.cluster.autoscaled_by_kind)):
                if counts.get(kind) or f"{prefix}{kind}" in series:
                    column = series.setdefault(f"{prefix}{kind}", [0.0] * (len(series["time"]) - 1))
                    column.append(counts.get(kind, 0))
        usd, node_hours = self.cluster.bill()
        series.setdefault("cost_usd", []).append(usd)
        series.setdefault("node_hours", []).append(node_hours)
        for name, state in self.states.items():
            series.setdefault(f"{name}:load", []).append(state.load if name in RATE_WORKLOADS else state.desired)
            series.setdefault(f"{name}:replicas", []).append(state.desired)
            series.setdefault(f"{name}:ready", []).append(state.ready_count)
            fallback = bool(state.spec.autoscaling and state.spec.autoscaling.kind == "keda"
                            and self.pod_autoscaling.keda.in_fallback(state, self.cluster.now))
            # Absent while the HPA cannot read the metric (or reads KEDA's fallback instead of it).
            series.setdefault(f"{name}:metric", []).append(
                math.nan if state.reported is None or fallback else state.reported)
            if state.spec.autoscaling and state.spec.autoscaling.kind == "keda":
                series.setdefault(f"{name}:fallback", []).append(int(fallback))

    def _summary(self) -> dict:
        workloads_summary = {}
        for name, state in self.states.items():
            # A rise still waiting when the window ends is cut off, not failed: the window ended first.
            cut_off = [end for start, end, wait in self.rises[name] if wait is None and end >= self.scenario.duration]
            waits = [wait for _, end, wait in self.rises[name] if wait is not None or end < self.scenario.duration]
            workloads_summary[name] = {
                "peak_replicas": state.peak,
                # From each rise of its load (or replica count) to enough Ready pods; the slowest rise.
                "time_to_capacity_s": max(waits) if waits and None not in waits else None,
                "capacity_reached": None if not waits else None not in waits,
                "last_rise_cut_off_s": self.scenario.duration - self.rises[name][-1][0] if cut_off else None,
                "pending_pod_seconds": round(state.pending_seconds, 1),
                "pods_never_placed": state.never_placed + sum(1 for pod in state.pending if pod.first_bound is None),
                "final_metric": state.reported,
            }
        end = self.cluster.now
        node_hours = self.cluster.node_hours(end)
        hours = {kind: round(value, 3) for kind, value in node_hours.items()}
        cost = sum(value * self.prices[kind] for kind, value in node_hours.items())
        fee = auto_mode.management_fee(node_hours, self._system_hours(end), self.prices) if self.auto_mode else 0.0
        return {
            "workloads": workloads_summary,
            "cluster": {
                "peak_nodes": int(max(self.series["nodes"], default=0)),
                "node_hours": hours,
                "cost_usd": round(cost + fee, 2),
                **({"auto_mode_fee_usd": round(fee, 2)} if self.auto_mode else {}),
                # The workloads' pods only: a Pending headroom placeholder is headroom being rebuilt.
                "pending_pod_seconds": round(sum(s.pending_seconds for s in self.states.values()
                                                 if s.spec.priority >= 0), 1),
                "pods_never_placed": sum(summary["pods_never_placed"] for name, summary in workloads_summary.items()
                                         if self.states[name].spec.priority >= 0),
                "placeholders_preempted": self.cluster.preemptions,
                "pods_disrupted": self.cluster.disrupted,
                **(self.karpenter.spot_summary() if self.karpenter else {}),
            },
        }

    def _system_hours(self, end: float) -> dict[str, float]:
        """Hours of the system node group, which the planner never scales: its nodes live the whole plan."""
        nodes = self.config.system_nodes
        return {nodes.instance_types[0]: nodes.desired_size * end / 3600}




def _instance_types(config: AppConfig) -> dict[str, InstanceType]:
    """The types the node groups and the NodePool may launch, from the app's table (eks_scaling/instance_types.py)."""
    wanted = set(config.system_nodes.instance_types)
    if config.enable_karpenter:
        wanted |= set(config.karpenter.instance_types)
    if config.enable_cluster_autoscaler:
        wanted |= set(config.cluster_autoscaler.nodes.instance_types)
    try:
        return {name: instance_type(name) for name in sorted(wanted)}
    except UnknownInstanceType as error:
        raise PlanError(str(error)) from None


def _prices(types: dict[str, InstanceType], region: str, overrides: Mapping[str, float]) -> dict[str, float]:
    """On-demand USD per hour of each type in the region: the table's, or --prices."""
    for name in overrides:
        try:
            instance_type(name)
        except UnknownInstanceType:
            raise PlanError(f"no specs for instance type {name!r} to price: {name!r} is not in "
                            "eks_scaling/data/ec2_instance_types.json") from None
    prices = {name: overrides.get(name, spec.on_demand_usd_per_hour.get(region)) for name, spec in types.items()}
    missing = sorted(name for name, price in prices.items() if price is None)
    if missing:
        raise PlanError(f"no on-demand price for {', '.join(missing)} in {region} in "
                        "eks_scaling/data/ec2_instance_types.json (its prices are for us-east-1 and the GovCloud "
                        "regions): pass --prices FILE with their USD/hour")
    return prices


def _latencies(overrides: Mapping[str, float]) -> dict[str, float]:
    """The typical latencies of planner/engine/assumptions.py with these overrides (seconds) by name."""
    chosen = A.latency_sets()["typical"]
    for name, seconds in overrides.items():
        if name not in chosen:
            raise PlanError(f"unknown latency {name!r}; known: {', '.join(chosen)}")
        if not (isinstance(seconds, (int, float)) and math.isfinite(seconds) and seconds >= 0):
            raise PlanError(f"latency {name} must be a non-negative number of seconds, got {seconds!r}")
        chosen[name] = float(seconds)
    return chosen
