"""App settings: parsed once from CDK context into frozen dataclasses.

Every setting's default lives in cdk.json; `-c key=value` overrides arrive as strings, so each
parser also accepts the string form. A bad value raises ConfigError with one line naming the key,
the value and what is allowed. This module must not import aws-cdk-lib.
"""

from __future__ import annotations

import difflib
import ipaddress
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping

from stacks.versions import MATRIX, SUPPORTED_VERSIONS

CDK_JSON = Path(__file__).resolve().parent.parent / "cdk.json"

ENDPOINT_ACCESS = ("public-and-private", "public", "private")
LOG_TYPES = ("api", "audit", "authenticator", "controllerManager", "scheduler")
WORKLOAD_IDENTITIES = ("pod-identity", "irsa")
NODE_AUTOSCALERS = ("karpenter", "cluster-autoscaler", "both", "none")
# The retention periods CloudWatch Logs accepts.
LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557,
                      2922, 3288, 3653)
CAPACITY_TYPES = ("on-demand", "spot")
# Expanders that need no extra configuration (priority needs a ConfigMap, price is GCE-only).
EXPANDERS = ("least-waste", "random", "most-pods", "least-nodes")
OPEN_TO_ALL = ("0.0.0.0/0",)

_CLUSTER_NAME = re.compile(r"^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$")
_INSTANCE_TYPE = re.compile(r"^[a-z][a-z0-9-]*\.[a-z0-9]+$")
# Graviton families carry a `g` among the letters after the generation digit (m6g, c7gn, t4g, x2gd).
_ARM_INSTANCE_TYPE = re.compile(r"^([a-z]+\d+[a-z]*g[a-z]*|a1)\.")
ACCOUNT_ID = re.compile(r"^\d{12}$")
REGION_NAME = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$")
_AMI_ALIAS = re.compile(r"^al2023@(latest|v\d{8})$")
_DURATION = re.compile(r"^([0-9]+(s|m|h))+$")
_CPU = re.compile(r"^([0-9]+m|[0-9]+(\.[0-9]+)?)$")
_MEMORY = re.compile(r"^[0-9]+(Mi|Gi|Ti)$")
_RETENTION = re.compile(r"^[0-9]+(h|d|w|y)$")
_PRINCIPAL_ARN = re.compile(r"^arn:aws(-cn|-us-gov|-iso|-iso-b)?:iam::\d{12}:(role|user)/[\w+=,.@/-]+$")


class ConfigError(ValueError):
    """A setting a user can type is wrong. The message is one line, fit to print as is."""


@dataclass(frozen=True)
class NodeGroupConfig:
    instance_types: tuple[str, ...]
    min_size: int
    desired_size: int
    max_size: int

    @property
    def arm(self) -> bool:
        return bool(_ARM_INSTANCE_TYPE.match(self.instance_types[0]))


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
    availability_zones: tuple[str, ...]  # empty: two AZs chosen without a lookup
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


@dataclass(frozen=True)
class ClusterAutoscalerConfig:
    nodes: NodeGroupConfig  # the managed node group it scales (desired starts at min)
    expander: str
    scale_down_unneeded_time: str


@dataclass(frozen=True)
class PrometheusConfig:
    retention: str
    server_volume_size: str
    alertmanager_volume_size: str


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
    enable_prometheus: bool
    enable_keda: bool
    prometheus: PrometheusConfig
    load_generators: bool
    log_retention_days: int

    @property
    def enable_karpenter(self) -> bool:
        return self.node_autoscaler in ("karpenter", "both")

    @property
    def enable_cluster_autoscaler(self) -> bool:
        return self.node_autoscaler in ("cluster-autoscaler", "both")

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


# ---- value parsers: (key, raw) -> value, raising ConfigError ----

def _fail(key: str, raw: Any, allowed: str) -> ConfigError:
    return ConfigError(f"invalid setting {key}={json.dumps(raw)}: {allowed}")


def _string(key: str, raw: Any) -> str:
    if not isinstance(raw, str):
        raise _fail(key, raw, "expected a string")
    return raw.strip()


def _bool(key: str, raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.strip().lower() in ("true", "false"):
        return raw.strip().lower() == "true"
    raise _fail(key, raw, "expected true or false")


def _int(key: str, raw: Any, low: int, high: int) -> int:
    if isinstance(raw, bool) or not isinstance(raw, (int, str)):
        raise _fail(key, raw, f"expected a whole number from {low} to {high}")
    try:
        value = int(raw)
    except ValueError:
        raise _fail(key, raw, f"expected a whole number from {low} to {high}") from None
    if not low <= value <= high:
        raise _fail(key, raw, f"expected a whole number from {low} to {high}")
    return value


def _list(key: str, raw: Any) -> tuple[str, ...]:
    """A JSON list, or from the CLI a JSON list or comma-separated string ("" is empty)."""
    if isinstance(raw, str):
        text = raw.strip()
        if text.startswith("["):
            try:
                raw = json.loads(text)
            except json.JSONDecodeError:
                raise _fail(key, text, 'expected a JSON list such as ["a","b"] or a comma-separated list') from None
        else:
            raw = [part.strip() for part in text.split(",") if part.strip()]
    if not isinstance(raw, list) or not all(isinstance(item, str) for item in raw):
        raise _fail(key, raw, "expected a list of strings")
    if len(set(raw)) != len(raw):
        raise _fail(key, raw, "the list has duplicates")
    return tuple(raw)


def _choice(key: str, raw: Any, choices: tuple[str, ...]) -> str:
    value = _string(key, raw)
    if value not in choices:
        raise _fail(key, raw, "expected one of " + ", ".join(choices))
    return value


def _cluster_name(key: str, raw: Any) -> str:
    value = _string(key, raw)
    if not _CLUSTER_NAME.match(value):
        raise _fail(key, raw, "EKS cluster names are 1-100 letters, digits, hyphens and underscores, "
                              "starting with a letter or digit")
    return value


def _kubernetes_version(key: str, raw: Any) -> str:
    if not isinstance(raw, str):
        raise _fail(key, raw, 'write the version as a string, e.g. "1.35"')
    value = raw.strip()
    if value not in MATRIX:
        raise _fail(key, raw, "supported Kubernetes versions are " + ", ".join(SUPPORTED_VERSIONS))
    return value


def _optional(pattern: re.Pattern[str], allowed: str) -> Callable[[str, Any], str | None]:
    def parse(key: str, raw: Any) -> str | None:
        value = _string(key, raw)
        if value and not pattern.match(value):
            raise _fail(key, raw, allowed)
        return value or None
    return parse


def _object(key: str, raw: Any) -> dict[str, Any]:
    """A JSON object, or from the CLI its JSON text ("" is empty)."""
    value = raw
    if isinstance(raw, str):
        try:
            value = json.loads(raw) if raw.strip() else {}
        except json.JSONDecodeError:
            raise _fail(key, raw, "expected a JSON object") from None
    if not isinstance(value, dict):
        raise _fail(key, raw, "expected a JSON object")
    return value


def _instance_types(key: str, raw: Any) -> tuple[str, ...]:
    types = _list(key, raw)
    if not types:
        raise _fail(key, raw, "give at least one EC2 instance type, e.g. m5.large")
    for item in types:
        if not _INSTANCE_TYPE.match(item):
            raise _fail(key, raw, f"{item!r} is not an EC2 instance type such as m5.large")
    return types


def _node_group_instance_types(key: str, raw: Any) -> tuple[str, ...]:
    types = _instance_types(key, raw)
    if len({bool(_ARM_INSTANCE_TYPE.match(item)) for item in types}) > 1:
        raise _fail(key, raw, "mix of x86_64 and arm64 instance types: one node group runs one AMI architecture")
    return types


def _capacity_types(key: str, raw: Any) -> tuple[str, ...]:
    types = _list(key, raw)
    if not types or any(item not in CAPACITY_TYPES for item in types):
        raise _fail(key, raw, "expected one or both of " + ", ".join(CAPACITY_TYPES))
    return types


def _pattern(pattern: re.Pattern[str], allowed: str) -> Callable[[str, Any], str]:
    def parse(key: str, raw: Any) -> str:
        value = _string(key, raw)
        if not pattern.match(value):
            raise _fail(key, raw, allowed)
        return value
    return parse


def _retention_days(key: str, raw: Any) -> int:
    value = _int(key, raw, 1, 3653)
    if value not in LOG_RETENTION_DAYS:
        raise _fail(key, raw, "CloudWatch Logs keeps logs for one of " + ", ".join(map(str, LOG_RETENTION_DAYS))
                    + " days")
    return value


def _cidrs(key: str, raw: Any) -> tuple[str, ...]:
    cidrs = _list(key, raw)
    if not cidrs:
        raise _fail(key, raw, "give at least one IPv4 CIDR, e.g. 203.0.113.0/24")
    for item in cidrs:
        try:
            network = ipaddress.ip_network(item, strict=True)
        except ValueError:
            raise _fail(key, raw, f"{item!r} is not an IPv4 CIDR such as 203.0.113.0/24") from None
        if network.version != 4:
            raise _fail(key, raw, f"{item!r} is not an IPv4 CIDR such as 203.0.113.0/24")
    return cidrs


def _principal_arns(key: str, raw: Any) -> tuple[str, ...]:
    arns = _list(key, raw)
    for item in arns:
        if not _PRINCIPAL_ARN.match(item):
            raise _fail(key, raw, f"{item!r} is not an IAM role or user ARN "
                                  "(arn:aws:iam::123456789012:role/Name)")
    return arns


def _log_types(key: str, raw: Any) -> tuple[str, ...]:
    types = _list(key, raw)
    for item in types:
        if item not in LOG_TYPES:
            raise _fail(key, raw, f"{item!r} is not a log type; allowed: " + ", ".join(LOG_TYPES))
    return types


def _availability_zones(key: str, raw: Any) -> tuple[str, ...]:
    zones = _list(key, raw)
    if zones and len(zones) < 2:
        raise _fail(key, raw, "give at least two availability zones, or none to use the region's a and b")
    return zones


# Every setting: key -> parser. The README's settings table and cdk.json list exactly these keys.
SETTINGS: dict[str, Callable[[str, Any], Any]] = {
    "account": _optional(ACCOUNT_ID, "expected a 12-digit AWS account id, or empty"),
    "region": _optional(REGION_NAME, "expected an AWS region such as eu-west-1, or empty"),
    "clusterName": _cluster_name,
    "kubernetesVersion": _kubernetes_version,
    "endpointAccess": lambda key, raw: _choice(key, raw, ENDPOINT_ACCESS),
    "publicAccessCidrs": _cidrs,
    "adminPrincipalArns": _principal_arns,
    "controlPlaneLogging": _log_types,
    "natGateways": lambda key, raw: _int(key, raw, 1, 3),
    "vpcFlowLogs": _bool,
    "logRetentionDays": _retention_days,
    "availabilityZones": _availability_zones,
    "systemNodeInstanceTypes": _node_group_instance_types,
    "systemNodeMinSize": lambda key, raw: _int(key, raw, 1, 1000),
    "systemNodeDesiredSize": lambda key, raw: _int(key, raw, 1, 1000),
    "systemNodeMaxSize": lambda key, raw: _int(key, raw, 1, 1000),
    "workloadIdentity": lambda key, raw: _choice(key, raw, WORKLOAD_IDENTITIES),
    "enableMetricsServer": _bool,
    "nodeAutoscaler": lambda key, raw: _choice(key, raw, NODE_AUTOSCALERS),
    "karpenterInstanceTypes": _instance_types,
    "karpenterCapacityTypes": _capacity_types,
    "karpenterAmiAlias": _pattern(_AMI_ALIAS, "expected al2023@latest or a pinned al2023@vYYYYMMDD"),
    "karpenterCpuLimit": lambda key, raw: _int(key, raw, 1, 100000),
    "karpenterMemoryLimit": _pattern(_MEMORY, "expected a memory quantity such as 1000Gi"),
    "karpenterConsolidateAfter": _pattern(_DURATION, "expected a duration such as 30s, 5m or 1h30m"),
    "karpenterControllerCpu": _pattern(_CPU, "expected a CPU quantity such as 1 or 500m"),
    "karpenterControllerMemory": _pattern(_MEMORY, "expected a memory quantity such as 1Gi"),
    "caNodeInstanceTypes": _node_group_instance_types,
    "caNodeMinSize": lambda key, raw: _int(key, raw, 0, 1000),
    "caNodeMaxSize": lambda key, raw: _int(key, raw, 1, 1000),
    "clusterAutoscalerExpander": lambda key, raw: _choice(key, raw, EXPANDERS),
    "clusterAutoscalerScaleDownUnneededTime": _pattern(_DURATION, "expected a duration such as 10m or 1h"),
    "inflateReplicas": lambda key, raw: _int(key, raw, 0, 1000),
    "testerReplicas": lambda key, raw: _int(key, raw, 0, 1000),
    "enablePrometheus": _bool,
    "enableKeda": _bool,
    "prometheusRetention": _pattern(_RETENTION, "expected a retention such as 15d, 12h or 2w"),
    "prometheusVolumeSize": _pattern(_MEMORY, "expected a volume size such as 8Gi"),
    "alertmanagerVolumeSize": _pattern(_MEMORY, "expected a volume size such as 2Gi"),
    "loadGenerators": _bool,
    # Parsed in full by stacks/pipeline_config.py; {} means no pipeline.
    "pipeline": _object,
}


def _is_framework_key(key: str) -> bool:
    """CDK's own context: feature flags (@aws-cdk/...), CLI keys (aws:cdk:...), lookups (x:account=...)."""
    return key.startswith("@") or ":" in key


def parse_config(context: Mapping[str, Any]) -> AppConfig:
    """Build the AppConfig from the full context: cdk.json defaults merged with -c overrides."""
    unknown = sorted(key for key in context if key not in SETTINGS and not _is_framework_key(key))
    if unknown:
        hint = difflib.get_close_matches(unknown[0], SETTINGS, n=1)
        did_you_mean = f" (did you mean {hint[0]}?)" if hint else ""
        raise ConfigError(f"unknown setting {unknown[0]}{did_you_mean}; known settings: " + ", ".join(SETTINGS))
    missing = [key for key in SETTINGS if key not in context]
    if missing:
        raise ConfigError(f"setting {missing[0]} is missing; cdk.json holds every setting's default")
    values = {key: parse(key, context[key]) for key, parse in SETTINGS.items()}
    return _build(values)


def _build(v: dict[str, Any]) -> AppConfig:
    if bool(v["account"]) != bool(v["region"]):
        raise ConfigError("settings account and region go together: give both (env-specific stack) "
                          "or neither (env-agnostic)")
    zones = v["availabilityZones"]
    if zones and not v["region"]:
        raise ConfigError(f"invalid setting availabilityZones={json.dumps(list(zones))}: "
                          "availability zones need the account and region settings")
    if v["region"] and any(not zone.startswith(v["region"]) for zone in zones):
        raise ConfigError(f"invalid setting availabilityZones={json.dumps(list(zones))}: "
                          f"every zone must be in region {v['region']}")
    az_count = len(zones) or 2
    if v["natGateways"] > az_count:
        raise ConfigError(f"invalid setting natGateways={v['natGateways']}: "
                          f"at most one per availability zone ({az_count})")
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
        ),
        cluster_autoscaler=ClusterAutoscalerConfig(
            nodes=NodeGroupConfig(
                instance_types=v["caNodeInstanceTypes"], min_size=v["caNodeMinSize"],
                desired_size=v["caNodeMinSize"], max_size=v["caNodeMaxSize"],
            ),
            expander=v["clusterAutoscalerExpander"],
            scale_down_unneeded_time=v["clusterAutoscalerScaleDownUnneededTime"],
        ),
        inflate_replicas=v["inflateReplicas"],
        tester_replicas=v["testerReplicas"],
        enable_prometheus=v["enablePrometheus"],
        enable_keda=v["enableKeda"],
        prometheus=PrometheusConfig(
            retention=v["prometheusRetention"],
            server_volume_size=v["prometheusVolumeSize"],
            alertmanager_volume_size=v["alertmanagerVolumeSize"],
        ),
        load_generators=v["loadGenerators"],
        log_retention_days=v["logRetentionDays"],
    )


def cdk_json_context(path: Path = CDK_JSON) -> dict[str, Any]:
    """The context block of cdk.json: every setting's default plus the feature flags."""
    return dict(json.loads(path.read_text())["context"])
