"""Settings parsed once, from CDK context (cdk.json's settings merged with -c overrides), into an AppConfig.

A bad value raises ConfigError with one line naming the key, the value and what is allowed; settings that
conflict with each other are refused by setting_checks.py. This module must not import aws-cdk-lib.
"""

from __future__ import annotations

import difflib
import json
from typing import Any, Callable, Mapping

from eks_scaling import setting_bounds as bounds
from eks_scaling.auto_mode import check_auto_mode
from eks_scaling.cdk_json import cdk_json_context, is_framework_key
from eks_scaling.existing_cluster_checks import check_existing_cluster
from eks_scaling.fargate_settings import check_fargate
from eks_scaling.setting_checks import (check_demo_homes, check_disruption, check_endpoint, check_headroom,
                                        check_karpenter_limits, check_scaling_behavior)
from eks_scaling.setting_parsers import ConfigError
from eks_scaling.setting_table import DEFAULTS, SETTINGS
from eks_scaling.settings import (AlertThresholds, AppConfig, ClusterAutoscalerConfig, ClusterConfig, HeadroomConfig,
                                  KarpenterConfig, NetworkConfig, NodeGroupConfig, PrometheusConfig,
                                  ScalingBehaviorConfig)
from eks_scaling.subnet_layout import zone_slot


def parse_config(context: Mapping[str, Any]) -> AppConfig:
    """Build the AppConfig from the full context: cdk.json's settings merged with -c overrides."""
    unknown = sorted(key for key in context if key not in SETTINGS and not is_framework_key(key))
    if unknown:
        raise ConfigError(unknown_setting(unknown[0]))
    missing = [key for key in SETTINGS if context.get(key) is None]
    if missing:
        raise _missing(missing[0], context)
    values = {key: parse(key, context[key]) for key, parse in SETTINGS.items() if key not in _NARROWED}
    for key, narrow in _NARROWED.items():
        values[key] = narrow(values)(key, context[key])
    return _build(values)


def unknown_setting(key: str) -> str | None:
    """None for a setting; else one short line: the near match (a prefix such as eks-scaling: left out) and where
    the settings are listed."""
    if key in SETTINGS:
        return None
    name = key.rpartition(":")[2]
    hint = difflib.get_close_matches(name, SETTINGS, n=1) or difflib.get_close_matches(key, SETTINGS, n=1)
    did_you_mean = f" (did you mean {hint[0]}?)" if hint else ""
    framework = (" CDK's own keys start with @, aws:cdk: or aws-cdk:, and settings take no prefix;"
                 if ":" in key else "")
    return f"unknown setting {key}{did_you_mean};{framework} docs/settings.md lists every setting"


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
    for zone in zones:
        zone_slot(zone)
    check_auto_mode(v)
    check_existing_cluster(v)
    check_karpenter_limits(v)
    check_disruption(v)
    check_headroom(v)
    check_scaling_behavior(v)
    check_endpoint(v)
    low, desired, high = v["systemNodeMinSize"], v["systemNodeDesiredSize"], v["systemNodeMaxSize"]
    if not low <= desired <= high:
        raise ConfigError(f"invalid system node group sizes min={low} desired={desired} max={high}: "
                          "need systemNodeMinSize <= systemNodeDesiredSize <= systemNodeMaxSize")
    if v["caNodeMinSize"] > v["caNodeMaxSize"]:
        raise ConfigError(f"invalid Cluster Autoscaler node group sizes min={v['caNodeMinSize']} "
                          f"max={v['caNodeMaxSize']}: need caNodeMinSize <= caNodeMaxSize")
    karpenter_on = v["nodeAutoscaler"] in ("karpenter", "both")
    autoscaler_on = v["nodeAutoscaler"] in ("cluster-autoscaler", "both")
    if v["inflateReplicas"] and not (karpenter_on or v["nodeAutoscaler"] == "auto-mode"):
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
    check_demo_homes(v, karpenter_on, autoscaler_on)
    check_fargate(v)
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
        existing_cluster=v["existingCluster"],
        workload_identity=v["workloadIdentity"],
        enable_metrics_server=v["enableMetricsServer"],
        node_autoscaler=v["nodeAutoscaler"],
        auto_mode_node_pool=v["autoModeNodePool"],
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
        fargate_workloads=v["fargateWorkloads"],
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
        retain_control_plane_logs=v["retainControlPlaneLogs"],
        acknowledged_warnings=v["acknowledgedWarnings"],
    )
