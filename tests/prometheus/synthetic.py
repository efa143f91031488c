"""A synthetic cluster for the calibrate and replay tests: the planner itself, run with known latencies,
exported as the series the pinned exporters emit (names and labels as manifests/prometheus-rules.yaml
cites them), in OpenMetrics text for `promtool tsdb create-blocks-from openmetrics`.

Values are the planner's (nodes count from launch, as its series do); one series per pod, node and
Deployment as kube-state-metrics, Karpenter and Cluster Autoscaler export them. What the synthetic
cluster did (its mean latencies) is the truth calibrate must find.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from eks_scaling.parse_settings import parse_config
from eks_scaling.setting_table import DEFAULTS
from planner.engine import assumptions as A
from planner.engine.scenario import Scenario
from planner.simulation import Simulation

STEP = 15.0  # the app's scrape interval
DURATION = 2400.0
LEAD = 300.0
PRE_EXISTING = 3 * 86400.0  # pods Ready at the start began before any calibration window of the tests  # request counters start this long before the window, as a running cluster's do
SETTINGS = {**DEFAULTS, "nodeAutoscaler": "both"}
# Known latencies, away from the defaults (planner/engine/assumptions.py) so that calibration shows.
TRUE_LATENCIES = {"karpenter-node-ready": 48.0, "ca-node-ready": 110.0, "php-apache-pod-ready": 11.0,
                  "podinfo-pod-ready": 7.0, "podinfo-keda-pod-ready": 6.0, "inflate-pod-ready": 4.0,
                  "tester-pod-ready": 5.0}
# Karpenter's NodeClaim status histogram buckets: 0.5 s x 2^n, n = 0..14 (pkg/controllers/controllers.go).
BUCKETS = [0.5 * 2 ** n for n in range(15)]
NAMESPACES = {"php-apache": "php-apache", "podinfo": "podinfo", "podinfo-keda": "podinfo-keda",
              "inflate": "default", "tester": "default"}


def scenario() -> Scenario:
    """Karpenter's demo scales at 2 min, the pod autoscalers' load steps at 10 min, CA's demo at 20 min."""
    return Scenario("synthetic", DURATION, {
        "inflate": [(0.0, 0.0), (120.0, 40.0)],
        "php-apache": [(0.0, 10.0), (600.0, 60.0)],
        "podinfo": [(0.0, 5.0), (600.0, 50.0)],
        "podinfo-keda": [(0.0, 5.0), (600.0, 50.0)],
        "tester": [(0.0, 0.0), (1200.0, 60.0)],
    })


@dataclass
class Trace:
    """Every node and pod the synthetic cluster had, with the times the exporters report."""

    nodes: list[dict] = field(default_factory=list)
    pods: dict[int, dict] = field(default_factory=dict)


class _Traced(Simulation):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.trace = Trace()
        new_node, remove_node = self.cluster.new_node, self.cluster.remove_node

        def traced_new(kind, group, ready_at, **options):
            node = new_node(kind, group, ready_at, **options)
            self.trace.nodes.append({"node": node, "kind": kind, "group": group, "launched": self.cluster.now,
                                     "ready_at": ready_at, "removed": None})
            return node

        def traced_remove(node):
            remove_node(node)
            for entry in self.trace.nodes:
                if entry["node"] is node:
                    entry["removed"] = self.cluster.now

        self.cluster.new_node, self.cluster.remove_node = traced_new, traced_remove

    def _record(self) -> None:
        super()._record()
        for name, state in self.states.items():
            for pod in state.pods:
                self.trace.pods[id(pod)] = {"workload": name, "created": pod.created, "started": pod.started,
                                            "ready_at": pod.ready_at}


@dataclass
class Cluster:
    series: dict[str, list[float]]
    trace: Trace

    def truth(self, name: str) -> float:
        """The mean latency the synthetic cluster had, by latency name."""
        if name.endswith("-node-ready"):
            group = "karpenter" if name.startswith("karpenter") else "ca"
            waits = [n["ready_at"] - n["launched"] for n in self.trace.nodes
                     if n["group"] == group and n["ready_at"] > n["launched"] and n["ready_at"] <= DURATION]
        else:
            workload = name.removesuffix("-pod-ready")
            waits = [p["ready_at"] - p["started"] for p in self.trace.pods.values() if p["workload"] == workload
                     and p["ready_at"] is not None and p["started"] < p["ready_at"] <= DURATION]
        return sum(waits) / len(waits)


def run() -> Cluster:
    simulation = _Traced(parse_config(SETTINGS), scenario(), seed=7, step=1.0, record_every=STEP,
                         latencies=TRUE_LATENCIES)
    return Cluster(simulation.run().series, simulation.trace)


def _labels(**labels: str) -> str:
    return "{" + ",".join(f'{key}="{value}"' for key, value in labels.items()) + "}"


def _suffix(index: int) -> str:
    digits = "0123456789bcdfghjklmnpqrstvwxz"
    text = ""
    for _ in range(5):
        index, rest = divmod(index, len(digits))
        text += digits[rest]
    return text


def openmetrics(cluster: Cluster, start: float) -> str:
    """The synthetic cluster as exporters would have shown it, sampled every STEP from `start` (Unix s)."""
    lines: list[str] = []
    times = [index * STEP for index in range(int(DURATION // STEP) + 1)]

    def emit(name: str, labels: str, values) -> None:
        for time, value in values:
            lines.append(f"{name}{labels} {float(value)!r} {start + time:.3f}")

    series = cluster.series
    at = {round(t, 3): index for index, t in enumerate(series["time"])}
    for workload, namespace in NAMESPACES.items():
        labels = _labels(namespace=namespace, deployment=workload)
        emit("kube_deployment_spec_replicas", labels, ((t, series[f"{workload}:replicas"][at[t]]) for t in times))
        emit("kube_deployment_status_replicas_ready", labels, ((t, series[f"{workload}:ready"][at[t]]) for t in times))
    # Request counters of one podinfo pod each, and php-apache's CPU at the planner's cost per request.
    lead = [-LEAD + index * STEP for index in range(int(LEAD // STEP))]
    for workload, name, extra, per_request in (
            ("podinfo", "http_requests_total", {"status": "200"}, 1.0),
            ("podinfo-keda", "http_requests_total", {"status": "200"}, 1.0),
            ("php-apache", "container_cpu_usage_seconds_total", {"container": "php-apache"},
             A.PHP_APACHE_CPU_PER_REQUEST)):
        loads = [series[f"{workload}:load"][0]] * len(lead) + [series[f"{workload}:load"][at[t]] for t in times]
        total, values = 0.0, []
        for time, load in zip(lead + times, loads):
            values.append((time, total))
            total += load * per_request * STEP
        emit(name, _labels(namespace=NAMESPACES[workload], pod=f"{workload}-6b7f9d8c5-zzzzz", **extra), values)

    uid = itertools.count()
    for index, pod in enumerate(cluster.trace.pods.values()):
        labels = _labels(namespace=NAMESPACES[pod["workload"]], pod=f"{pod['workload']}-5d8f7c9b6-{_suffix(index)}",
                         uid=f"uid-{next(uid)}")
        created, started, ready = pod["created"], pod["started"], pod["ready_at"]
        if started is not None and started == ready:  # Ready when the window opens: it ran before
            created = started = ready = -PRE_EXISTING
        alive = [t for t in times if t >= created]
        emit("kube_pod_created", labels, ((t, start + created) for t in alive))
        phase = labels[:-1] + ',phase="Pending"}'
        emit("kube_pod_status_phase", phase, ((t, 1.0 if started is None or t < started else 0.0) for t in alive))
        if started is not None:
            emit("kube_pod_status_scheduled_time", labels, ((t, start + started) for t in alive if t >= started))
        if ready is not None:
            emit("kube_pod_status_ready_time", labels, ((t, start + ready) for t in alive if t >= ready))

    nodes = cluster.trace.nodes
    for index, node in enumerate(nodes):
        name = f"ip-10-0-{index // 200}-{index % 200}.ec2.internal"
        alive = [t for t in times if t >= node["launched"] and (node["removed"] is None or t < node["removed"])]
        emit("kube_node_info", _labels(node=name), ((t, 1.0) for t in alive))
        if node["group"] == "karpenter":
            emit("karpenter_nodes_allocatable", _labels(node_name=name, nodepool="default", resource_type="cpu",
                                                         instance_type=node["kind"]), ((t, 2.0) for t in alive))

    def launched(group: str) -> list[dict]:
        return [n for n in nodes if n["group"] == group and n["ready_at"] > n["launched"]]

    claim = dict(type="Initialized", status="Unknown", karpenter_sh_nodepool="default",
                 karpenter_k8s_aws_ec2nodeclass="default")
    histogram = "operator_nodeclaim_status_condition_transition_seconds"
    done = [[n["ready_at"] - n["launched"] for n in launched("karpenter") if n["ready_at"] <= t] for t in times]
    for bound in BUCKETS + [float("inf")]:
        le = "+Inf" if bound == float("inf") else f"{bound:g}"
        emit(f"{histogram}_bucket", _labels(**claim, le=le),
             ((t, sum(1 for wait in waits if wait <= bound)) for t, waits in zip(times, done)))
    emit(f"{histogram}_sum", _labels(**claim), ((t, sum(waits)) for t, waits in zip(times, done)))
    emit(f"{histogram}_count", _labels(**claim), ((t, len(waits)) for t, waits in zip(times, done)))

    def existing(group: str | None, t: float, ready: bool) -> int:
        return sum(1 for n in nodes if (group is None or n["group"] == group) and n["launched"] <= t
                   and (n["removed"] is None or t < n["removed"]) and (not ready or n["ready_at"] <= t))

    emit("cluster_autoscaler_scaled_up_nodes_total", "",
         ((t, sum(1 for n in launched("ca") if n["launched"] <= t)) for t in times))
    emit("cluster_autoscaler_nodes_count", _labels(state="ready"), ((t, existing(None, t, True)) for t in times))
    emit("cluster_autoscaler_node_group_target_count", _labels(node_group="eks-ca-nodes-0001"),
         ((t, existing("ca", t, False)) for t in times))
    return "\n".join(lines) + "\n# EOF\n"
