"""The app's settings as frozen dataclasses: what every stack, construct and the planner read.

parse_settings.py builds an AppConfig from CDK context; nothing else constructs one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from eks_scaling.instance_types import instance_type
from eks_scaling.placement import Placement
from eks_scaling.versions import VersionRow


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
class ExistingClusterConfig:
    """A cluster the app deploys its scaling layers onto (its name is clusterName): eks_scaling/existing_cluster.py."""

    vpc_id: str
    availability_zones: tuple[str, ...]
    private_subnet_ids: tuple[str, ...]
    security_group_id: str
    oidc_provider_arn: str | None  # needed only with workloadIdentity=irsa
    # The cluster's own node group for the controllers: its label, and the toleration of its taint if any.
    controller_placement: Placement


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
    existing_cluster: ExistingClusterConfig | None  # None: the app creates its VPC and cluster
    workload_identity: str
    enable_metrics_server: bool
    node_autoscaler: str
    auto_mode_node_pool: bool  # with auto-mode: the app's own NodePool (karpenter settings) beside the built-in ones
    karpenter: KarpenterConfig
    cluster_autoscaler: ClusterAutoscalerConfig
    fargate_workloads: tuple[str, ...]  # the demos run on Fargate (eks_scaling/fargate.py)
    inflate_replicas: int
    tester_replicas: int
    headroom: HeadroomConfig
    scaling_behavior: ScalingBehaviorConfig
    enable_prometheus: bool
    enable_keda: bool
    prometheus: PrometheusConfig
    load_generators: bool
    log_retention_days: int
    retain_control_plane_logs: bool  # keep the control-plane log group and the logs key after teardown
    acknowledged_warnings: tuple[str, ...]

    @property
    def enable_karpenter(self) -> bool:
        return self.node_autoscaler in ("karpenter", "both")

    @property
    def enable_auto_mode(self) -> bool:
        """EKS Auto Mode's built-in NodePools add the workloads' nodes (eks_scaling/auto_mode.py)."""
        return self.node_autoscaler == "auto-mode"

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
