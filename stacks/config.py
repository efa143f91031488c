"""App settings: parsed once from CDK context into frozen dataclasses.

Every setting's default lives in DEFAULTS below; cdk.json ships them as its context, for the user to
change. `-c key=value` overrides arrive as strings, so each parser also accepts the string form. A bad value raises ConfigError with one line naming the key,
the value and what is allowed. This module must not import aws-cdk-lib.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Callable, Mapping

from stacks import setting_bounds as bounds
from stacks.instance_types import instance_type
from stacks.quantities import CPU, MEMORY, cpu_millicores, memory_mib
from stacks.setting_parsers import (
    ACCOUNT_ID,
    ConfigError,
    ENDPOINT_ACCESS,
    EXPANDERS,
    NODE_AUTOSCALERS,
    OPEN_TO_ALL,
    REGION_NAME,
    WORKLOAD_IDENTITIES,
    AMI_ALIAS,
    CONSOLIDATION_POLICIES,
    HEADROOM_MECHANISMS,
    KEDA_FALLBACK_BEHAVIORS,
    availability_zones,
    boolean,
    capacity_types,
    choice,
    blocks_all_disruption,
    cidrs,
    cluster_name,
    disruption_budgets,
    has_tolerance,
    hpa_behavior,
    instance_types,
    kubernetes_version,
    log_types,
    node_group_instance_types,
    json_object,
    optional,
    matching,
    principal_arns,
    warning_ids,
)
from stacks.versions import (
    BUSYBOX_IMAGE,
    DEFAULT_KUBERNETES_VERSION,
    NGINX_IMAGE,
    PAUSE_IMAGE,
    PHP_APACHE_IMAGE,
    PODINFO_IMAGE,
    Image,
    VersionRow,
)

CDK_JSON = Path(__file__).resolve().parent.parent / "cdk.json"


@dataclass(frozen=True)
class NodeGroupConfig:
    instance_types: tuple[str, ...]
    min_size: int
    desired_size: int
    max_size: int

    @property
    def arm(self) -> bool:
        return instance_type(self.instance_types[0]).architecture == "arm64"


@dataclass(frozen=True)
class ClusterConfig:
    name: str
    kubernetes_version: str
    endpoint_access: str
    public_access_cidrs: tuple[str, ...]
    admin_principal_arns: tuple[str, ...]
    logging: tuple[str, ...]


@dataclass(frozen=True)
class NetworkConfig:
    nat_gateways: int
    availability_zones: tuple[str, ...]  # required with a region; empty: env-agnostic, two AZs
    flow_logs: bool


@dataclass(frozen=True)
class KarpenterConfig:
    instance_types: tuple[str, ...]
    capacity_types: tuple[str, ...]
    ami_alias: str
    cpu_limit: int
    memory_limit: str
    consolidate_after: str
    controller_cpu: str
    controller_memory: str
    consolidation_policy: str
    disruption_budgets: tuple[dict[str, Any], ...]  # empty: the NodePool's default (10 % of nodes)
    expire_after: str
    termination_grace_period: str | None  # None: wait for pods indefinitely (Karpenter's default)
    spot_node_pool_weight: int
    spot_to_spot_consolidation: bool

    @property
    def spot_node_pool(self) -> bool:
        """Spot and on-demand both allowed: a Spot NodePool (weighted) in front of an on-demand fallback."""
        return set(self.capacity_types) == {"spot", "on-demand"}


@dataclass(frozen=True)
class ClusterAutoscalerConfig:
    nodes: NodeGroupConfig  # the managed node group it scales (desired starts at min)
    expander: str
    scale_down_unneeded_time: str
    scale_down_utilization_percent: int


@dataclass(frozen=True)
class HeadroomConfig:
    """Spare capacity kept free for bursts: `slots` pods' worth of `cpu` and `memory` each."""

    slots: int
    cpu: str
    memory: str
    mechanism: str  # placeholder-pods or capacity-buffer


@dataclass(frozen=True)
class ScalingBehaviorConfig:
    """The demos' HPA behaviours ({}: none, the chapter's manifests) and the ScaledObject's KEDA settings."""

    php_apache: dict[str, Any]
    podinfo: dict[str, Any]
    keda: dict[str, Any]
    keda_fallback_behavior: str
    keda_initial_cooldown_period: int
    keda_activation_threshold: int
    keda_min_replicas: int


@dataclass(frozen=True)
class AlertThresholds:
    """The alert rules' thresholds (manifests/prometheus-rules.yaml), each a setting with its reason."""

    pending_pods_for: str
    at_max_for: str
    metric_unavailable_for: str
    node_pool_limit_percent: int


@dataclass(frozen=True)
class PrometheusConfig:
    retention: str
    server_volume_size: str
    alertmanager_volume_size: str
    alerts: AlertThresholds


@dataclass(frozen=True)
class AppConfig:
    account: str | None
    region: str | None
    cluster: ClusterConfig
    network: NetworkConfig
    system_nodes: NodeGroupConfig
    workload_identity: str
    enable_metrics_server: bool
    node_autoscaler: str
    karpenter: KarpenterConfig
    cluster_autoscaler: ClusterAutoscalerConfig
    inflate_replicas: int
    tester_replicas: int
    headroom: HeadroomConfig
    scaling_behavior: ScalingBehaviorConfig
    enable_prometheus: bool
    enable_keda: bool
    prometheus: PrometheusConfig
    load_generators: bool
    log_retention_days: int
    acknowledged_warnings: tuple[str, ...]

    @property
    def enable_karpenter(self) -> bool:
        return self.node_autoscaler in ("karpenter", "both")

    @property
    def enable_cluster_autoscaler(self) -> bool:
        return self.node_autoscaler in ("cluster-autoscaler", "both")

    @property
    def dedicated_system_nodes(self) -> bool:
        """System nodes are tainted for controllers when an autoscaler adds nodes for everything else; with
        nodeAutoscaler=none they are the cluster's only nodes, so they stay open to the demos (and to
        anything a user runs)."""
        return self.node_autoscaler != "none"

    @property
    def enabled_components(self) -> frozenset[str]:
        """The components deployed, named as version caveats name them."""
        flags = {
            "metrics-server": self.enable_metrics_server,
            "karpenter": self.enable_karpenter,
            "cluster-autoscaler": self.enable_cluster_autoscaler,
            "prometheus": self.enable_prometheus,
            "keda": self.enable_keda,
        }
        return frozenset({"eks"} | {name for name, on in flags.items() if on})

    def version_warnings(self, row: VersionRow, today: date | None = None) -> tuple[tuple[str, str], ...]:
        """(id, message) of each caveat of a deployed component that is not acknowledged."""
        found = []
        for caveat in row.caveats_for(self.enabled_components, today):
            warning_id = f"eks-scaling:{caveat.component}"
            if warning_id not in self.acknowledged_warnings:
                found.append((warning_id, f"{caveat.message}; to acknowledge it, add \"{warning_id}\" to the "
                                          "acknowledgedWarnings setting (cdk.json or -c)"))
        return tuple(found)


# Every setting: key -> parser. DEFAULTS, the settings table of docs/settings.md and cdk.json list exactly these keys.
SETTINGS: dict[str, Callable[[str, Any], Any]] = {
    "account": optional(ACCOUNT_ID, "expected a 12-digit AWS account id, or empty"),
    "region": optional(REGION_NAME, "expected an AWS region such as eu-west-1, or empty"),
    "clusterName": cluster_name,
    "kubernetesVersion": kubernetes_version,
    "endpointAccess": lambda key, raw: choice(key, raw, ENDPOINT_ACCESS),
    "publicAccessCidrs": cidrs,
    "adminPrincipalArns": principal_arns,
    "controlPlaneLogging": log_types,
    "natGateways": bounds.NAT_GATEWAYS,  # narrowed to the zones used, in parse_config
    "vpcFlowLogs": boolean,
    "logRetentionDays": bounds.LOG_RETENTION_DAYS,
    "availabilityZones": availability_zones,
    "systemNodeInstanceTypes": node_group_instance_types,
    "systemNodeMinSize": bounds.SYSTEM_NODES,
    "systemNodeDesiredSize": bounds.SYSTEM_NODES,
    "systemNodeMaxSize": bounds.SYSTEM_NODES,
    "workloadIdentity": lambda key, raw: choice(key, raw, WORKLOAD_IDENTITIES),
    "enableMetricsServer": boolean,
    "nodeAutoscaler": lambda key, raw: choice(key, raw, NODE_AUTOSCALERS),
    "karpenterInstanceTypes": instance_types,
    "karpenterCapacityTypes": capacity_types,
    "karpenterAmiAlias": matching(AMI_ALIAS, "expected al2023@latest or a pinned al2023@vYYYYMMDD"),
    "karpenterCpuLimit": bounds.KARPENTER_CPU_LIMIT,
    "karpenterMemoryLimit": bounds.KARPENTER_MEMORY_LIMIT,
    "karpenterConsolidateAfter": bounds.KARPENTER_CONSOLIDATE_AFTER,
    "karpenterControllerCpu": bounds.KARPENTER_CONTROLLER_CPU,
    "karpenterControllerMemory": bounds.KARPENTER_CONTROLLER_MEMORY,
    "karpenterConsolidationPolicy": lambda key, raw: choice(key, raw, CONSOLIDATION_POLICIES),
    "karpenterDisruptionBudgets": disruption_budgets,
    "karpenterExpireAfter": bounds.KARPENTER_EXPIRE_AFTER,
    "karpenterTerminationGracePeriod": lambda key, raw: (
        bounds.KARPENTER_TERMINATION_GRACE_PERIOD(key, raw) if str(raw).strip() else None),
    "karpenterSpotNodePoolWeight": bounds.KARPENTER_NODE_POOL_WEIGHT,
    "karpenterSpotToSpotConsolidation": boolean,
    "caNodeInstanceTypes": node_group_instance_types,
    "caNodeMinSize": bounds.CA_NODES_MIN,
    "caNodeMaxSize": bounds.CA_NODES_MAX,
    "clusterAutoscalerExpander": lambda key, raw: choice(key, raw, EXPANDERS),
    "clusterAutoscalerScaleDownUnneededTime": bounds.CA_SCALE_DOWN_UNNEEDED_TIME,
    "clusterAutoscalerScaleDownUtilizationPercent": bounds.CA_SCALE_DOWN_UTILIZATION_PERCENT,
    "headroom": bounds.HEADROOM_SLOTS,
    "headroomCpu": bounds.HEADROOM_CPU,
    "headroomMemory": bounds.HEADROOM_MEMORY,
    "headroomMechanism": lambda key, raw: choice(key, raw, HEADROOM_MECHANISMS),
    "phpApacheHpaBehavior": hpa_behavior,
    "podinfoHpaBehavior": hpa_behavior,
    "kedaHpaBehavior": hpa_behavior,
    "kedaFallbackBehavior": lambda key, raw: choice(key, raw, KEDA_FALLBACK_BEHAVIORS),
    "kedaInitialCooldownPeriod": bounds.KEDA_INITIAL_COOLDOWN,
    "kedaActivationThreshold": bounds.KEDA_ACTIVATION_THRESHOLD,
    "kedaMinReplicas": bounds.KEDA_MIN_REPLICAS,
    "inflateReplicas": bounds.DEMO_REPLICAS,
    "testerReplicas": bounds.DEMO_REPLICAS,
    "enablePrometheus": boolean,
    "enableKeda": boolean,
    "prometheusRetention": bounds.PROMETHEUS_RETENTION,
    "prometheusVolumeSize": bounds.EBS_GP3_VOLUME,
    "alertmanagerVolumeSize": bounds.EBS_GP3_VOLUME,
    "alertPendingPodsFor": bounds.ALERT_FOR,
    "alertAtMaxFor": bounds.ALERT_FOR,
    "alertMetricUnavailableFor": bounds.ALERT_FOR,
    "alertNodePoolLimitPercent": bounds.ALERT_LIMIT_PERCENT,
    "loadGenerators": boolean,
    "acknowledgedWarnings": warning_ids,
    # Parsed in full by stacks/pipeline_config.py; {} means no pipeline.
    "pipeline": json_object,
}

# Every setting's default, as JSON values. cdk.json ships exactly these (a user then edits it); tests
# start from these, never from the user's cdk.json.
DEFAULTS: dict[str, Any] = {
    "account": "",
    "region": "",
    "clusterName": "eks-scaling",
    "kubernetesVersion": DEFAULT_KUBERNETES_VERSION,
    "endpointAccess": "public-and-private",
    "publicAccessCidrs": ["0.0.0.0/0"],
    "adminPrincipalArns": [],
    "controlPlaneLogging": ["api", "audit", "authenticator", "controllerManager", "scheduler"],
    "natGateways": 1,
    "vpcFlowLogs": True,
    "logRetentionDays": 90,
    "availabilityZones": [],
    "systemNodeInstanceTypes": ["m5.large"],
    "systemNodeMinSize": 2,
    "systemNodeDesiredSize": 2,
    "systemNodeMaxSize": 5,
    "workloadIdentity": "pod-identity",
    "enableMetricsServer": True,
    "nodeAutoscaler": "karpenter",
    "karpenterInstanceTypes": ["c5.large", "m5.large", "m5.xlarge"],
    "karpenterCapacityTypes": ["on-demand"],
    "karpenterAmiAlias": "al2023@latest",
    "karpenterCpuLimit": 1000,
    "karpenterMemoryLimit": "1000Gi",
    "karpenterConsolidateAfter": "30s",
    "karpenterControllerCpu": "1",
    "karpenterControllerMemory": "1Gi",
    # The chapter's ttlSecondsAfterEmpty: only empty nodes go.
    "karpenterConsolidationPolicy": "WhenEmpty",
    "karpenterDisruptionBudgets": [],
    # The NodePool CRD's default (v1.14.1).
    "karpenterExpireAfter": "720h",
    "karpenterTerminationGracePeriod": "",
    "karpenterSpotNodePoolWeight": 50,
    "karpenterSpotToSpotConsolidation": False,
    "caNodeInstanceTypes": ["m5.large"],
    "caNodeMinSize": 1,
    "caNodeMaxSize": 5,
    "clusterAutoscalerExpander": "least-waste",
    "clusterAutoscalerScaleDownUnneededTime": "10m",
    # Cluster Autoscaler's own default, 0.5 (cluster-autoscaler/config/const.go, 1.35.2).
    "clusterAutoscalerScaleDownUtilizationPercent": 50,
    "headroom": 0,
    "headroomCpu": "1",
    "headroomMemory": "1Gi",
    "headroomMechanism": "placeholder-pods",
    "phpApacheHpaBehavior": {},
    "podinfoHpaBehavior": {},
    "kedaHpaBehavior": {},
    # KEDA's defaults (ScaledObject CRD 2.20.2): static fallback, no initial cooldown, activation at 0.
    "kedaFallbackBehavior": "static",
    "kedaInitialCooldownPeriod": 0,
    "kedaActivationThreshold": 0,
    # The chapter's minReplicaCount.
    "kedaMinReplicas": 2,
    "inflateReplicas": 0,
    "testerReplicas": 0,
    "enablePrometheus": True,
    "enableKeda": True,
    "prometheusRetention": "15d",
    "prometheusVolumeSize": "8Gi",
    "alertmanagerVolumeSize": "2Gi",
    # A pod waits for a node: ~1 min with Karpenter, 2-3 min with CA (planner/assumptions.py), so 10 min
    # Pending means capacity did not come.
    "alertPendingPodsFor": "10m",
    # An HPA or node group at its maximum through a spike is expected; a quarter of an hour is a ceiling.
    "alertAtMaxFor": "15m",
    # Longer than the 2-minute rate() window plus a few scrapes: a gap in the metric, not a blip.
    "alertMetricUnavailableFor": "5m",
    # One more node could cross a NodePool limit from here (the default limit is 1000 CPUs).
    "alertNodePoolLimitPercent": 90,
    "loadGenerators": False,
    "acknowledgedWarnings": [],
    "pipeline": {},
}


def is_framework_key(key: str) -> bool:
    """CDK's own context: feature flags (@aws-cdk/...), CLI keys (aws:cdk:...), lookups (x:account=...)."""
    return key.startswith("@") or ":" in key


def parse_config(context: Mapping[str, Any]) -> AppConfig:
    """Build the AppConfig from the full context: cdk.json's settings merged with -c overrides."""
    unknown = sorted(key for key in context if key not in SETTINGS and not is_framework_key(key))
    if unknown:
        hint = difflib.get_close_matches(unknown[0], SETTINGS, n=1)
        did_you_mean = f" (did you mean {hint[0]}?)" if hint else ""
        raise ConfigError(f"unknown setting {unknown[0]}{did_you_mean}; known settings: " + ", ".join(SETTINGS))
    missing = [key for key in SETTINGS if context.get(key) is None]
    if missing:
        raise _missing(missing[0], context)
    values = {key: parse(key, context[key]) for key, parse in SETTINGS.items() if key not in _NARROWED}
    for key, narrow in _NARROWED.items():
        values[key] = narrow(values)(key, context[key])
    return _build(values)


def _missing(key: str, context: Mapping[str, Any]) -> ConfigError:
    # CDK drops null context values before the app sees them, so a null in cdk.json arrives as missing.
    if key in context or cdk_json_context().get(key, ...) is None:
        return ConfigError(f"invalid setting {key}=null: null is not a value; give one "
                           "(docs/settings.md lists what is allowed)")
    return ConfigError(f"setting {key} is missing; cdk.json lists every setting "
                       f"(its default: {json.dumps(DEFAULTS[key])})")


def _zones_in_use(values: dict[str, Any]) -> int:
    """Env-agnostic stacks spread over two zones; env-specific ones over the configured zones."""
    return len(values["availabilityZones"]) or 2


# Settings whose range depends on other settings: parsed after them, with the narrowed range.
_NARROWED: dict[str, Callable[[dict[str, Any]], bounds.Bounded]] = {
    "natGateways": lambda values: bounds.NAT_GATEWAYS.within(
        _zones_in_use(values), f"one per availability zone, and {_zones_in_use(values)} zones are used"),
}


def _build(v: dict[str, Any]) -> AppConfig:
    if bool(v["account"]) != bool(v["region"]):
        raise ConfigError("settings account and region go together: give both (env-specific stack) "
                          "or neither (env-agnostic)")
    zones = v["availabilityZones"]
    if zones and not v["region"]:
        raise ConfigError(f"invalid setting availabilityZones={json.dumps(list(zones))}: "
                          "availability zones need the account and region settings")
    if v["region"] and not zones:
        raise ConfigError(f"setting availabilityZones is empty: with region={v['region']}, list two or more of "
                          "its zones that your account has and EKS supports (aws ec2 describe-availability-zones "
                          f"--region {v['region']}), e.g. [\"{v['region']}a\",\"{v['region']}b\"]")
    if v["region"] and any(not zone.startswith(v["region"]) for zone in zones):
        raise ConfigError(f"invalid setting availabilityZones={json.dumps(list(zones))}: "
                          f"every zone must be in region {v['region']}")
    _check_karpenter_limits(v)
    _check_disruption(v)
    _check_headroom(v)
    _check_scaling_behavior(v)
    if v["endpointAccess"] != "public-and-private" and v["publicAccessCidrs"] != OPEN_TO_ALL:
        raise ConfigError(f"invalid setting publicAccessCidrs={json.dumps(list(v['publicAccessCidrs']))}: "
                          "CIDRs can be restricted only with endpointAccess=public-and-private "
                          f"(with {v['endpointAccess']}, nodes or users would be locked out)")
    low, desired, high = v["systemNodeMinSize"], v["systemNodeDesiredSize"], v["systemNodeMaxSize"]
    if not low <= desired <= high:
        raise ConfigError(f"invalid system node group sizes min={low} desired={desired} max={high}: "
                          "need systemNodeMinSize <= systemNodeDesiredSize <= systemNodeMaxSize")
    if v["caNodeMinSize"] > v["caNodeMaxSize"]:
        raise ConfigError(f"invalid Cluster Autoscaler node group sizes min={v['caNodeMinSize']} "
                          f"max={v['caNodeMaxSize']}: need caNodeMinSize <= caNodeMaxSize")
    karpenter_on = v["nodeAutoscaler"] in ("karpenter", "both")
    autoscaler_on = v["nodeAutoscaler"] in ("cluster-autoscaler", "both")
    if v["inflateReplicas"] and not karpenter_on:
        raise ConfigError(f"invalid setting inflateReplicas={v['inflateReplicas']}: the inflate demo runs on "
                          f"Karpenter's nodes, and nodeAutoscaler={v['nodeAutoscaler']} has no Karpenter")
    if v["testerReplicas"] and not autoscaler_on:
        raise ConfigError(f"invalid setting testerReplicas={v['testerReplicas']}: the tester demo runs on the "
                          f"Cluster Autoscaler's nodes, and nodeAutoscaler={v['nodeAutoscaler']} has none")
    if v["enableKeda"] and not v["enablePrometheus"]:
        raise ConfigError("invalid settings enableKeda=true with enablePrometheus=false: "
                          "KEDA's trigger queries the Prometheus server")
    if v["loadGenerators"] and not (v["enableMetricsServer"] or v["enablePrometheus"]):
        raise ConfigError("invalid setting loadGenerators=true: there is no demo to load; "
                          "enable enableMetricsServer, enablePrometheus or enableKeda")
    _check_demo_homes(v, karpenter_on, autoscaler_on)
    return AppConfig(
        account=v["account"],
        region=v["region"],
        cluster=ClusterConfig(
            name=v["clusterName"],
            kubernetes_version=v["kubernetesVersion"],
            endpoint_access=v["endpointAccess"],
            public_access_cidrs=v["publicAccessCidrs"],
            admin_principal_arns=v["adminPrincipalArns"],
            logging=v["controlPlaneLogging"],
        ),
        network=NetworkConfig(nat_gateways=v["natGateways"], availability_zones=zones, flow_logs=v["vpcFlowLogs"]),
        system_nodes=NodeGroupConfig(
            instance_types=v["systemNodeInstanceTypes"], min_size=low, desired_size=desired, max_size=high,
        ),
        workload_identity=v["workloadIdentity"],
        enable_metrics_server=v["enableMetricsServer"],
        node_autoscaler=v["nodeAutoscaler"],
        karpenter=KarpenterConfig(
            instance_types=v["karpenterInstanceTypes"],
            capacity_types=v["karpenterCapacityTypes"],
            ami_alias=v["karpenterAmiAlias"],
            cpu_limit=v["karpenterCpuLimit"],
            memory_limit=v["karpenterMemoryLimit"],
            consolidate_after=v["karpenterConsolidateAfter"],
            controller_cpu=v["karpenterControllerCpu"],
            controller_memory=v["karpenterControllerMemory"],
            consolidation_policy=v["karpenterConsolidationPolicy"],
            disruption_budgets=v["karpenterDisruptionBudgets"],
            expire_after=v["karpenterExpireAfter"],
            termination_grace_period=v["karpenterTerminationGracePeriod"],
            spot_node_pool_weight=v["karpenterSpotNodePoolWeight"],
            spot_to_spot_consolidation=v["karpenterSpotToSpotConsolidation"],
        ),
        cluster_autoscaler=ClusterAutoscalerConfig(
            nodes=NodeGroupConfig(
                instance_types=v["caNodeInstanceTypes"], min_size=v["caNodeMinSize"],
                desired_size=v["caNodeMinSize"], max_size=v["caNodeMaxSize"],
            ),
            expander=v["clusterAutoscalerExpander"],
            scale_down_unneeded_time=v["clusterAutoscalerScaleDownUnneededTime"],
            scale_down_utilization_percent=v["clusterAutoscalerScaleDownUtilizationPercent"],
        ),
        inflate_replicas=v["inflateReplicas"],
        tester_replicas=v["testerReplicas"],
        headroom=HeadroomConfig(slots=v["headroom"], cpu=v["headroomCpu"], memory=v["headroomMemory"],
                                mechanism=v["headroomMechanism"]),
        scaling_behavior=ScalingBehaviorConfig(
            php_apache=v["phpApacheHpaBehavior"],
            podinfo=v["podinfoHpaBehavior"],
            keda=v["kedaHpaBehavior"],
            keda_fallback_behavior=v["kedaFallbackBehavior"],
            keda_initial_cooldown_period=v["kedaInitialCooldownPeriod"],
            keda_activation_threshold=v["kedaActivationThreshold"],
            keda_min_replicas=v["kedaMinReplicas"],
        ),
        enable_prometheus=v["enablePrometheus"],
        enable_keda=v["enableKeda"],
        prometheus=PrometheusConfig(
            retention=v["prometheusRetention"],
            server_volume_size=v["prometheusVolumeSize"],
            alertmanager_volume_size=v["alertmanagerVolumeSize"],
            alerts=AlertThresholds(
                pending_pods_for=v["alertPendingPodsFor"],
                at_max_for=v["alertAtMaxFor"],
                metric_unavailable_for=v["alertMetricUnavailableFor"],
                node_pool_limit_percent=v["alertNodePoolLimitPercent"],
            ),
        ),
        load_generators=v["loadGenerators"],
        log_retention_days=v["logRetentionDays"],
        acknowledged_warnings=v["acknowledgedWarnings"],
    )


def _check_karpenter_limits(v: dict[str, Any]) -> None:
    """A NodePool limit below the smallest allowed instance type lets Karpenter launch nothing."""
    types = [instance_type(name) for name in v["karpenterInstanceTypes"]]
    fewest_cpus = min(types, key=lambda row: row.vcpus)
    least_memory = min(types, key=lambda row: row.memory_mib)
    if v["karpenterCpuLimit"] < fewest_cpus.vcpus:
        raise ConfigError(f"invalid setting karpenterCpuLimit={v['karpenterCpuLimit']}: expected at least "
                          f"{fewest_cpus.vcpus}, the vCPUs of {fewest_cpus.name}, the smallest of "
                          "karpenterInstanceTypes (below it Karpenter can launch no node)")
    if memory_mib(v["karpenterMemoryLimit"]) < least_memory.memory_mib:
        raise ConfigError(f"invalid setting karpenterMemoryLimit={json.dumps(v['karpenterMemoryLimit'])}: expected "
                          f"at least {MEMORY.to_text(least_memory.memory_mib)}, the memory of {least_memory.name}, the smallest "
                          "of karpenterInstanceTypes (below it Karpenter can launch no node)")


def _architectures(instance_types: tuple[str, ...]) -> frozenset[str]:
    """Kubernetes' names (kubernetes.io/arch) of the instance types' architectures."""
    return frozenset("amd64" if instance_type(name).architecture == "x86_64" else "arm64" for name in instance_types)


def _check_demo_homes(v: dict[str, Any], karpenter_on: bool, autoscaler_on: bool) -> None:
    """Every demo runs on nodes of an architecture its image is published for. Pod demos run on
    Karpenter's nodes if it runs, else on Cluster Autoscaler's group, else (nodeAutoscaler=none) on the
    system nodes, then the cluster's only nodes (see AppConfig.dedicated_system_nodes)."""
    pod_demos: list[tuple[str, Image]] = [("php-apache", PHP_APACHE_IMAGE)] if v["enableMetricsServer"] else []
    pod_demos += [("podinfo", PODINFO_IMAGE)] if v["enablePrometheus"] else []
    pod_demos += [("the load generators", BUSYBOX_IMAGE)] if v["loadGenerators"] else []
    ca_home = ("caNodeInstanceTypes", v["caNodeInstanceTypes"])
    karpenter_home = ("karpenterInstanceTypes", v["karpenterInstanceTypes"])
    pod_home = (karpenter_home if karpenter_on else ca_home if autoscaler_on
                else ("systemNodeInstanceTypes", v["systemNodeInstanceTypes"]))
    homes = [(name, image, pod_home) for name, image in pod_demos]
    homes += [("inflate", PAUSE_IMAGE, karpenter_home)] if karpenter_on else []
    homes += [("tester", NGINX_IMAGE, ca_home)] if autoscaler_on else []
    for name, image, (key, instance_types) in homes:
        if not image.architectures & _architectures(instance_types):
            raise ConfigError(f"invalid setting {key}={json.dumps(list(instance_types))}: {name} runs there, and "
                              f"its image {image.repository} is published for "
                              f"{', '.join(sorted(image.architectures))} only")


def cdk_json_context(path: Path = CDK_JSON) -> dict[str, Any]:
    """The context block of cdk.json: the user's settings plus the feature flags."""
    return dict(json.loads(path.read_text())["context"])


def _check_disruption(v: dict[str, Any]) -> None:
    """NodePool and Cluster Autoscaler settings that would fight each other."""
    blocking = [budget for budget in v["karpenterDisruptionBudgets"] if blocks_all_disruption(budget)]
    if blocking and v["karpenterExpireAfter"] != "Never":
        raise ConfigError(f"invalid settings karpenterDisruptionBudgets={json.dumps(list(v['karpenterDisruptionBudgets']))} "
                          f"with karpenterExpireAfter={v['karpenterExpireAfter']}: a budget of 0 nodes does not stop "
                          "expiry (Karpenter v1 expires nodes regardless of budgets); set karpenterExpireAfter=Never, "
                          "or allow some disruption")
    spot = "spot" in v["karpenterCapacityTypes"]
    if v["karpenterSpotToSpotConsolidation"] and not spot:
        raise ConfigError("invalid setting karpenterSpotToSpotConsolidation=true: karpenterCapacityTypes has no spot, "
                          "so there is no Spot node to replace")
    if v["karpenterSpotToSpotConsolidation"] and v["karpenterConsolidationPolicy"] == "WhenEmpty":
        raise ConfigError("invalid setting karpenterSpotToSpotConsolidation=true with karpenterConsolidationPolicy="
                          "WhenEmpty: spot-to-spot consolidation replaces underutilized nodes, which WhenEmpty never "
                          "consolidates; use WhenEmptyOrUnderutilized or Balanced")


def _check_headroom(v: dict[str, Any]) -> None:
    """Headroom that no node can hold, or that no autoscaler would provision, is rejected."""
    slots, cpu, memory = v["headroom"], cpu_millicores(v["headroomCpu"]), memory_mib(v["headroomMemory"])
    karpenter = v["nodeAutoscaler"] in ("karpenter", "both")
    if v["headroomMechanism"] == "capacity-buffer" and not karpenter:
        raise ConfigError(f"invalid setting headroomMechanism=capacity-buffer with nodeAutoscaler={v['nodeAutoscaler']}: "
                          "the app enables the CapacityBuffer API on Karpenter only (Cluster Autoscaler's chart "
                          "9.59.0 grants no access to capacitybuffers); use placeholder-pods")
    if not slots:
        return
    if v["nodeAutoscaler"] == "none":
        raise ConfigError(f"invalid setting headroom={slots}: with nodeAutoscaler=none nothing provisions nodes "
                          "for headroom")
    types_key = "karpenterInstanceTypes" if karpenter else "caNodeInstanceTypes"
    largest = max((instance_type(name) for name in v[types_key]), key=lambda row: (row.vcpus, row.memory_mib))
    if cpu > largest.vcpus * 1000 or memory > largest.memory_mib:
        raise ConfigError(f"invalid settings headroomCpu={v['headroomCpu']} headroomMemory={v['headroomMemory']}: "
                          f"one slot must fit one node, and the largest of {types_key} is {largest.name} "
                          f"({largest.vcpus} vCPUs, {MEMORY.to_text(largest.memory_mib)})")
    if karpenter:
        limit_cpu, limit_memory, where = (v["karpenterCpuLimit"] * 1000, memory_mib(v["karpenterMemoryLimit"]),
                                          "the NodePool's limits (karpenterCpuLimit, karpenterMemoryLimit)")
    else:
        limit_cpu, limit_memory = (v["caNodeMaxSize"] * largest.vcpus * 1000, v["caNodeMaxSize"] * largest.memory_mib)
        where = f"caNodeMaxSize={v['caNodeMaxSize']} nodes of {largest.name}"
    if slots * cpu > limit_cpu or slots * memory > limit_memory:
        raise ConfigError(f"invalid setting headroom={slots}: {slots} slots of {v['headroomCpu']} CPU and "
                          f"{v['headroomMemory']} need {CPU.to_text(slots * cpu)} CPU and "
                          f"{MEMORY.to_text(slots * memory)}, more than {where} allow")


def _check_scaling_behavior(v: dict[str, Any]) -> None:
    """The configurable HPA tolerance is beta (on) from Kubernetes 1.35, alpha (off) in 1.33-1.34
    (kubernetes/kubernetes pkg/features/kube_features.go, HPAConfigurableTolerance)."""
    for key in ("phpApacheHpaBehavior", "podinfoHpaBehavior", "kedaHpaBehavior"):
        if has_tolerance(v[key]) and v["kubernetesVersion"] in ("1.33", "1.34"):
            raise ConfigError(f"invalid setting {key}={json.dumps(v[key])}: tolerance needs Kubernetes 1.35 or "
                              f"later (HPAConfigurableTolerance is alpha and off in {v['kubernetesVersion']})")
    if v["kedaActivationThreshold"] and v["kedaMinReplicas"]:
        raise ConfigError(f"invalid setting kedaActivationThreshold={v['kedaActivationThreshold']} with "
                          f"kedaMinReplicas={v['kedaMinReplicas']}: activation only decides scaling from and to "
                          "zero; set kedaMinReplicas=0 to use it")
