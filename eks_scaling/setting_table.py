"""Every setting: its parser (SETTINGS) and its default (DEFAULTS).

`-c key=value` overrides arrive as strings, so each parser also accepts the string form.
"""

from __future__ import annotations

from typing import Any, Callable

from eks_scaling import setting_bounds as bounds
from eks_scaling.aws_regions import REGION_NAME
from eks_scaling.existing_cluster import existing_cluster
from eks_scaling.fargate_settings import fargate_workloads
from eks_scaling.setting_parsers import (ACCOUNT_ID, CONSOLIDATION_POLICIES, ENDPOINT_ACCESS, EXPANDERS,
                                         HEADROOM_MECHANISMS, KEDA_FALLBACK_BEHAVIORS, NODE_AUTOSCALERS,
                                         WORKLOAD_IDENTITIES, ami_alias, availability_zones, boolean, capacity_types,
                                         choice, cidrs, cluster_name, disruption_budgets, hpa_behavior, instance_types,
                                         json_object, kubernetes_version, log_types, node_group_instance_types,
                                         optional, principal_arns, warning_ids)
from eks_scaling.versions import DEFAULT_KUBERNETES_VERSION

# Every setting: key -> parser. DEFAULTS, the settings table of docs/settings.md and cdk.json list exactly these keys.
SETTINGS: dict[str, Callable[[str, Any], Any]] = {
    "account": optional(ACCOUNT_ID, "expected a 12-digit AWS account id, or empty"),
    "region": optional(REGION_NAME, "expected an AWS region such as eu-west-1 (docs/settings.md), or empty"),
    "clusterName": cluster_name,
    "kubernetesVersion": kubernetes_version,
    "endpointAccess": lambda key, raw: choice(key, raw, ENDPOINT_ACCESS),
    # Empty (the default) is valid on its own; setting_checks.check_endpoint refuses it with a public endpoint.
    "publicAccessCidrs": lambda key, raw: cidrs(key, raw) if raw not in ([], "") else (),
    "adminPrincipalArns": principal_arns,
    "controlPlaneLogging": log_types,
    "natGateways": bounds.NAT_GATEWAYS,  # narrowed to the zones used, in parse_config
    "vpcFlowLogs": boolean,
    "logRetentionDays": bounds.LOG_RETENTION_DAYS,
    "retainControlPlaneLogs": boolean,
    "availabilityZones": availability_zones,
    "systemNodeInstanceTypes": node_group_instance_types,
    "systemNodeMinSize": bounds.SYSTEM_NODES,
    "systemNodeDesiredSize": bounds.SYSTEM_NODES,
    "systemNodeMaxSize": bounds.SYSTEM_NODES,
    "existingCluster": existing_cluster,
    "workloadIdentity": lambda key, raw: choice(key, raw, WORKLOAD_IDENTITIES),
    "enableMetricsServer": boolean,
    "nodeAutoscaler": lambda key, raw: choice(key, raw, NODE_AUTOSCALERS),
    "autoModeNodePool": boolean,
    "karpenterInstanceTypes": instance_types,
    "karpenterCapacityTypes": capacity_types,
    "karpenterAmiAlias": ami_alias,
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
    "fargateWorkloads": fargate_workloads,
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
    "endpointAccess": "private",
    "publicAccessCidrs": [],
    "adminPrincipalArns": [],
    "controlPlaneLogging": ["api", "audit", "authenticator", "controllerManager", "scheduler"],
    "natGateways": 1,
    "vpcFlowLogs": True,
    "logRetentionDays": 90,
    "retainControlPlaneLogs": False,
    "availabilityZones": [],
    "systemNodeInstanceTypes": ["m5.large"],
    "systemNodeMinSize": 2,
    "systemNodeDesiredSize": 2,
    "systemNodeMaxSize": 5,
    # {}: the app creates its VPC and cluster; else the cluster named clusterName, docs/deploying.md.
    "existingCluster": {},
    "workloadIdentity": "pod-identity",
    "enableMetricsServer": True,
    "nodeAutoscaler": "karpenter",
    "autoModeNodePool": False,
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
    # Every demo on EC2 nodes, as in the chapter's own walkthrough.
    "fargateWorkloads": [],
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
