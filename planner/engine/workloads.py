"""What the planner simulates, read from the app itself: settings (eks_scaling/parse_settings.py) and the manifests
the app deploys (requests, limits, HPA and ScaledObject specs)."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from eks_scaling.autoscaling_objects import PLACEHOLDER_PRIORITY, hpa, node_pools, scaled_object
from eks_scaling.controller_footprints import daemonsets, system_controllers
from eks_scaling.manifests import load_manifest
from eks_scaling.prometheus_queries import REQUESTS_PER_SECOND_RULE
from eks_scaling.settings import AppConfig
from planner.engine.hpa_spec import Behavior, Policy, ScalingRules


@dataclass(frozen=True)
class Autoscaling:
    kind: str  # "cpu" (a Resource metric), "pods" (a Pods metric), "keda" (KEDA's External metric)
    target: float
    min_replicas: int
    max_replicas: int
    target_type: str  # Utilization, AverageValue or Value
    behavior: Behavior | None  # the HPA's spec.behavior; None: not set
    polling_interval: float = 0.0
    cooldown: float = 0.0
    fallback_threshold: int = 0
    fallback_replicas: int = 0
    activation: float = 0.0
    rate_window: float = 0.0  # seconds of the rate(...[window]) its metric comes from (Prometheus metrics)
    fallback_behavior: str = "static"  # KEDA spec.fallback.behavior
    initial_cooldown: float = 0.0  # KEDA spec.initialCooldownPeriod


@dataclass(frozen=True)
class Eviction:
    """What Cluster Autoscaler's drain simulation checks on a workload's pods (cluster-autoscaler
    simulator/drain and utils/drain at 1.35.2)."""

    blocker: str | None = None  # why its pods block a scale-down: safe-to-evict "false", local storage
    min_available: int | str | None = None  # its PodDisruptionBudget, as minAvailable
    max_unavailable: int | str | None = None  # or as maxUnavailable
    do_not_disrupt: bool = False  # karpenter.sh/do-not-disrupt: "true" on its pods: Karpenter never drains them


@dataclass(frozen=True)
class Workload:
    name: str
    cpu_request: float
    memory_request: float  # GiB
    cpu_limit: float | None
    groups: frozenset[str]  # node groups its pods may run on: system, karpenter, ca, fargate
    autoscaling: Autoscaling | None  # None: replicas come from the scenario (or `replicas`)
    eviction: Eviction = Eviction()
    priority: int = 0  # the pod priority; the scheduler preempts lower-priority pods for it
    replicas: int | None = None  # a fixed replica count (headroom's placeholders), not the scenario's


def quantity(value: str | int | float | None, *, memory: bool) -> float:
    if value is None:
        return 0.0
    text = str(value)
    if memory:
        units = {"Ki": 1 / 1024 ** 2, "Mi": 1 / 1024, "Gi": 1.0, "Ti": 1024.0}
        for suffix, factor in units.items():
            if text.endswith(suffix):
                return float(text[:-2]) * factor
        return float(text) / 1024 ** 3
    return float(text[:-1]) / 1000 if text.endswith("m") else float(text)


# Placement is the workloads() sets below; the manifests are read for their resources only.
_ANYWHERE = {"nodeSelector": {}, "tolerations": []}


def _container_resources(manifest: str, **values) -> tuple[float, float, float | None]:
    deployment = next(obj for obj in load_manifest(manifest, **values) if obj["kind"] == "Deployment")
    resources = deployment["spec"]["template"]["spec"]["containers"][0].get("resources", {})
    requests, limits = resources.get("requests", {}), resources.get("limits", {})
    limit = limits.get("cpu")
    return (quantity(requests.get("cpu"), memory=False), quantity(requests.get("memory"), memory=True),
            quantity(limit, memory=False) if limit else None)


SAFE_TO_EVICT = "cluster-autoscaler.kubernetes.io/safe-to-evict"
DO_NOT_DISRUPT = "karpenter.sh/do-not-disrupt"


def _eviction(manifest: str, **values) -> Eviction:
    objects = load_manifest(manifest, **values)
    template = next(obj for obj in objects if obj["kind"] == "Deployment")["spec"]["template"]
    safe = str(template.get("metadata", {}).get("annotations", {}).get(SAFE_TO_EVICT, "")).lower()
    local = any("emptyDir" in volume or "hostPath" in volume for volume in template["spec"].get("volumes", []))
    blocker = (f"{SAFE_TO_EVICT}: \"false\"" if safe == "false"
               else "local storage (--skip-nodes-with-local-storage)" if local and safe != "true" else None)
    budget = next((obj["spec"] for obj in objects if obj["kind"] == "PodDisruptionBudget"), {})
    pinned = str(template.get("metadata", {}).get("annotations", {}).get(DO_NOT_DISRUPT, "")).lower() == "true"
    return Eviction(blocker, budget.get("minAvailable"), budget.get("maxUnavailable"), pinned)


def _hpa(manifest: str, configured: dict, **values) -> tuple[int, int, dict, Behavior | None]:
    spec = hpa(manifest, configured, **values)["spec"]
    return spec["minReplicas"], spec["maxReplicas"], spec["metrics"][0], behavior(spec.get("behavior"))


def behavior(spec: dict | None) -> Behavior | None:
    """An autoscaling/v2 spec.behavior (or a ScaledObject's advanced.horizontalPodAutoscalerConfig.behavior)."""
    if spec is None:
        return None

    def rules(direction: dict | None) -> ScalingRules | None:
        if direction is None:
            return None
        policies = direction.get("policies")
        tolerance = direction.get("tolerance")
        return ScalingRules(
            None if policies is None else tuple(Policy(p["type"], int(p["value"]), int(p["periodSeconds"]))
                                                for p in policies),
            direction.get("stabilizationWindowSeconds"), direction.get("selectPolicy"),
            None if tolerance is None else quantity(tolerance, memory=False))

    return Behavior(rules(spec.get("scaleUp")), rules(spec.get("scaleDown")))


def _rate_window(query: str) -> float:
    """The [window] of the one rate() in a PromQL query, in seconds."""
    (window,) = re.findall(r"rate\(.*\[(\w+)\]\)", query, re.ASCII)
    return duration_seconds(window)


def workloads(config: AppConfig) -> list[Workload]:
    """The demo workloads the configuration deploys."""
    # Where the deploy places the pod demos (stacks/eks_scaling_stack.py, _demos): never on tainted system nodes.
    # Auto Mode's nodes are planned as Karpenter's (planner/scalers/auto_mode.py).
    karpenter = config.enable_karpenter or config.enable_auto_mode
    general = ({"karpenter"} if karpenter else {"ca"} if config.enable_cluster_autoscaler else {"system"})
    found = []
    if config.enable_metrics_server:
        values = {"namespace": "php-apache", "image": "x", **_ANYWHERE}
        cpu, memory, limit = _container_resources("php-apache", **values)
        low, high, metric, rules = _hpa("php-apache-hpa", config.scaling_behavior.php_apache, namespace="php-apache")
        target = metric["resource"]["target"]
        found.append(Workload("php-apache", cpu, memory, limit, frozenset(general),
                              Autoscaling("cpu", float(target["averageUtilization"]), low, high, target["type"],
                                          rules), _eviction("php-apache", **values)))
    if config.enable_prometheus:
        values = {"name": "podinfo", "namespace": "podinfo", "image": "x", **_ANYWHERE}
        cpu, memory, limit = _container_resources("podinfo", **values)
        low, high, metric, rules = _hpa("podinfo-hpa", config.scaling_behavior.podinfo, name="podinfo",
                                        namespace="podinfo")
        target = metric["pods"]["target"]
        found.append(Workload("podinfo", cpu, memory, limit, frozenset(general),
                              Autoscaling("pods", quantity(target["averageValue"], memory=False), low, high,
                                          target["type"], rules,
                                          rate_window=_rate_window(REQUESTS_PER_SECOND_RULE["metricsQuery"])),
                              _eviction("podinfo", **values)))
    if config.enable_keda:
        values = {"name": "podinfo-keda", "namespace": "podinfo-keda", "image": "x", **_ANYWHERE}
        cpu, memory, limit = _container_resources("podinfo", **values)
        scaled = scaled_object(config.scaling_behavior, name="podinfo-keda", namespace="podinfo-keda",
                               prometheusUrl="x")
        spec = scaled["spec"]
        trigger = spec["triggers"][0]["metadata"]
        # KEDA's HPA: the trigger's metricType (default AverageValue), and advanced.horizontalPodAutoscalerConfig.
        hpa_config = spec.get("advanced", {}).get("horizontalPodAutoscalerConfig", {})
        found.append(Workload("podinfo-keda", cpu, memory, limit, frozenset(general),
                              Autoscaling("keda", float(trigger["threshold"]), spec["minReplicaCount"],
                                          spec["maxReplicaCount"],
                                          spec["triggers"][0].get("metricType", "AverageValue"),
                                          behavior(hpa_config.get("behavior")), float(spec["pollingInterval"]),
                                          float(spec["cooldownPeriod"]), spec["fallback"]["failureThreshold"],
                                          spec["fallback"]["replicas"],
                                          float(trigger.get("activationThreshold", 0)),
                                          _rate_window(trigger["query"]),
                                          spec["fallback"].get("behavior", "static"),
                                          float(spec.get("initialCooldownPeriod", 0))),
                              _eviction("podinfo", **values)))
    # The demos fargateWorkloads names run on Fargate (planner/scalers/fargate.py), as the deploy places them.
    found = [replace(spec, groups=frozenset({"fargate"})) if spec.name in config.fargate_workloads else spec
             for spec in found]
    if config.headroom.slots and config.node_autoscaler != "none":
        found.append(headroom(config, general))
    if karpenter:
        found.append(node_demo("inflate"))
    if config.enable_cluster_autoscaler:
        found.append(node_demo("tester"))
    return found


HEADROOM = "headroom"


def headroom(config: AppConfig, groups: set[str]) -> Workload:
    """The headroom slots, where the pod demos run. Placeholder pods and a CapacityBuffer plan alike: the
    placeholders are preempted the moment a workload needs their room (their grace period is 0) and go
    Pending, so the node autoscaler provisions them again; a CapacityBuffer's virtual pods are capacity
    Karpenter keeps free in the same way, with no pod to preempt."""
    (template,) = load_manifest("headroom-pod", image="x", cpu=config.headroom.cpu, memory=config.headroom.memory,
                                nodeSelector={}, tolerations=[])
    requests = template["spec"]["containers"][0]["resources"]["requests"]
    return Workload(HEADROOM, quantity(requests["cpu"], memory=False), quantity(requests["memory"], memory=True),
                    None, frozenset(groups), None, priority=PLACEHOLDER_PRIORITY, replicas=config.headroom.slots)


# The node demos and the node group each is pinned to (inflate.yaml: type=karpenter; tester: ca-workers).
NODE_DEMO_GROUPS = {"inflate": "karpenter", "tester": "ca"}


def node_demo(name: str, group: str | None = None) -> Workload:
    """A node demo's pods, on its own node group or, as a stand-in in a comparison, on `group`."""
    values = {"replicas": 0, "image": "x", **_ANYWHERE}
    cpu, memory, limit = _container_resources(name, **values)
    return Workload(name, cpu, memory, limit, frozenset({group or NODE_DEMO_GROUPS[name]}), None,
                    _eviction(name, **values))


@dataclass(frozen=True)
class Disruption:
    """The NodePool's spec.disruption as the app deploys it (eks_scaling/autoscaling_objects.py)."""

    policy: str  # WhenEmpty, WhenEmptyOrUnderutilized or Balanced
    consolidate_after: float | None  # seconds; None: Never
    # (nodes: "10%" or "3", reasons (empty: all), and for a scheduled budget its cron schedule and duration in
    # seconds (planner/scalers/budget_schedule.py)); a budget without a schedule is always active
    budgets: tuple[tuple, ...]


# kubernetes-sigs/karpenter pkg/apis/v1/nodepool.go (at the commit Karpenter v1.14.1 uses): the CRD
# defaults consolidationPolicy to WhenEmptyOrUnderutilized and budgets to [{nodes: "10%"}].
DEFAULT_POLICY = "WhenEmptyOrUnderutilized"
DEFAULT_BUDGETS = (("10%", frozenset()),)


def node_pool_disruption(config: AppConfig) -> Disruption:
    # Every NodePool of the app (the Spot one too) has the same spec.disruption.
    disruption = node_pools(config.karpenter, name="x", labels={}, taints=[])[-1]["spec"].get("disruption", {})
    after = str(disruption.get("consolidateAfter", "0s"))
    budgets = tuple((str(budget["nodes"]), frozenset(budget.get("reasons", ())), budget.get("schedule"),
                     duration_seconds(budget["duration"]) if "duration" in budget else None)
                    for budget in disruption.get("budgets", ())) or DEFAULT_BUDGETS
    return Disruption(disruption.get("consolidationPolicy", DEFAULT_POLICY),
                      None if after == "Never" else duration_seconds(after), budgets)


@dataclass(frozen=True)
class SystemPod:
    name: str
    cpu: float  # cores
    memory: float  # GiB
    one_per_node: bool


def system_pods(config: AppConfig) -> list[SystemPod]:
    """Every controller replica pinned to the system nodes (eks_scaling/controller_footprints.py)."""
    return [SystemPod(f.name, f.cpu_millicores / 1000, f.memory_mib / 1024, f.one_per_node)
            for f in system_controllers(config) for _ in range(f.replicas)]


def daemonset_overhead(config: AppConfig) -> tuple[float, float, int]:
    """(cores, GiB, pods) the DaemonSets take on every node (eks_scaling/controller_footprints.py)."""
    found = daemonsets(config)
    return (sum(f.cpu_millicores * f.replicas for f in found) / 1000,
            sum(f.memory_mib * f.replicas for f in found) / 1024, sum(f.replicas for f in found))


def duration_seconds(duration: str) -> float:
    """A Kubernetes-style duration (30s, 10m, 1h30m) in seconds."""
    total, number = 0.0, ""
    for char in duration:
        if char.isdigit():
            number += char
        else:
            total += int(number) * {"s": 1, "m": 60, "h": 3600}[char]
            number = ""
    return total
