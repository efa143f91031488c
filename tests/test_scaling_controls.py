"""Headroom, disruption and scaling-behaviour settings: parsed with one-line errors, combinations that
fight rejected, and each one reaching the object it configures (NodePools, Karpenter's and Cluster
Autoscaler's charts, HPAs, the ScaledObject, placeholder pods or a CapacityBuffer, demo PDBs)."""

from __future__ import annotations

import json

import pytest

from eks_scaling.autoscaling_objects import (PLACEHOLDER_PRIORITY, capacity_buffer, hpa, node_pools, placeholder_pods,
                                             scaled_object)
from eks_scaling.manifests import load_manifest
from eks_scaling.parse_settings import parse_config
from eks_scaling.placement import Placement
from eks_scaling.setting_parsers import ConfigError
from eks_scaling.versions import PAUSE_IMAGE
from stacks.cluster_autoscaler_stack import NODE_LABELS as CA_NODE_LABELS
from stacks.karpenter_stack import PLACEMENT as KARPENTER_PLACEMENT
from tests.context import with_defaults
from tests.synth import FIFTEEN_TYPES, chart_values, manifest_objects_by_name

HELM = "Custom::AWSCDK-EKS-HelmChart"
BEHAVIOR = {"scaleUp": {"stabilizationWindowSeconds": 0, "selectPolicy": "Max",
                        "policies": [{"type": "Pods", "value": 4, "periodSeconds": 15}]},
            "scaleDown": {"stabilizationWindowSeconds": 300, "tolerance": "0.05",
                          "policies": [{"type": "Percent", "value": 100, "periodSeconds": 15}]}}


def parse(**overrides):
    return parse_config(with_defaults(overrides))


ACCEPTED = [
    {"karpenterConsolidationPolicy": "Balanced"},
    {"karpenterConsolidationPolicy": "WhenEmptyOrUnderutilized"},
    {"karpenterDisruptionBudgets": '[{"nodes": "0", "schedule": "@daily", "duration": "1h30m"}]'},
    {"karpenterDisruptionBudgets": [{"nodes": "0"}], "karpenterExpireAfter": "Never"},
    {"karpenterDisruptionBudgets": [{"nodes": "0", "reasons": ["Underutilized"]}]},
    {"karpenterExpireAfter": "Never"},
    {"karpenterTerminationGracePeriod": "1h"},
    {"karpenterCapacityTypes": "on-demand,spot", "karpenterConsolidationPolicy": "Balanced",
     "karpenterSpotToSpotConsolidation": "true", "karpenterInstanceTypes": FIFTEEN_TYPES},
    {"clusterAutoscalerScaleDownUtilizationPercent": "0"},
    {"headroom": "10", "headroomCpu": "250m", "headroomMemory": "256Mi"},
    {"headroom": "2", "headroomMechanism": "capacity-buffer"},
    {"headroom": "5", "nodeAutoscaler": "cluster-autoscaler", "headroomCpu": "1", "headroomMemory": "4Gi"},
    {"phpApacheHpaBehavior": json.dumps(BEHAVIOR)},
    {"podinfoHpaBehavior": {"scaleDown": {"selectPolicy": "Disabled"}}},
    {"kedaHpaBehavior": BEHAVIOR},
    {"kedaFallbackBehavior": "currentReplicasIfLower", "kedaInitialCooldownPeriod": "30"},
    {"kedaMinReplicas": "0", "kedaActivationThreshold": "5", "loadGenerators": "true"},
]


@pytest.mark.parametrize("overrides", ACCEPTED, ids=lambda o: ",".join(o))
def test_accepted_values(overrides):
    parse(**overrides)


REJECTED = [
    ({"karpenterConsolidationPolicy": "Always"},
     'invalid setting karpenterConsolidationPolicy="Always": expected one of WhenEmpty, WhenEmptyOrUnderutilized, Balanced'),
    ({"karpenterDisruptionBudgets": "[{"}, "invalid setting karpenterDisruptionBudgets=\"[{\": expected a JSON list"),
    ({"karpenterDisruptionBudgets": [{"nodes": 3}]}, "a budget's nodes is a string"),
    ({"karpenterDisruptionBudgets": [{"nodes": "101%"}]}, "a budget's nodes is a string"),
    ({"karpenterDisruptionBudgets": [{"nodes": "1", "schedule": "@daily"}]}, "schedule and duration go together"),
    ({"karpenterDisruptionBudgets": [{"nodes": "1", "schedule": "daily", "duration": "1h"}]}, "cron expression"),
    ({"karpenterDisruptionBudgets": [{"nodes": "1", "schedule": "@daily", "duration": "30s"}]}, "hours and/or minutes"),
    ({"karpenterDisruptionBudgets": [{"nodes": "1", "reasons": ["Expired"]}]}, "reasons are distinct ones of"),
    ({"karpenterDisruptionBudgets": [{"nodes": "1", "max": "2"}]}, "a budget has no field max"),
    ({"karpenterDisruptionBudgets": [{"nodes": "0"}]},
     "invalid settings karpenterDisruptionBudgets=[{\"nodes\": \"0\"}] with karpenterExpireAfter=720h: a budget of 0 "
     "nodes does not stop expiry"),
    ({"karpenterExpireAfter": "30s"}, 'invalid setting karpenterExpireAfter="30s": expected a duration from 1m to '),
    ({"karpenterExpireAfter": "never"}, "or Never"),
    ({"karpenterTerminationGracePeriod": "Never"}, 'invalid setting karpenterTerminationGracePeriod="Never": expected a duration'),
    ({"karpenterSpotNodePoolWeight": "0"}, "invalid setting karpenterSpotNodePoolWeight=\"0\": expected a whole number from 1 to 100"),
    ({"karpenterSpotToSpotConsolidation": "true"},
     "invalid setting karpenterSpotToSpotConsolidation=true: karpenterCapacityTypes has no spot"),
    ({"karpenterSpotToSpotConsolidation": "true", "karpenterCapacityTypes": "spot", "karpenterConsolidationPolicy": "Balanced"},
     "invalid setting karpenterSpotToSpotConsolidation=true with 3 karpenterInstanceTypes: Karpenter replaces a Spot node "
     "with a cheaper one only when at least 15 cheaper types"),
    ({"karpenterSpotToSpotConsolidation": "true", "karpenterCapacityTypes": "spot"},
     "invalid setting karpenterSpotToSpotConsolidation=true with karpenterConsolidationPolicy=WhenEmpty"),
    ({"clusterAutoscalerScaleDownUtilizationPercent": "0.5"}, "expected a whole number from 0 to 100"),
    ({"headroom": "-1"}, 'invalid setting headroom="-1": expected a whole number from 0 to 150000'),
    ({"headroomCpu": "1m"}, 'invalid setting headroomCpu="1m": expected a CPU quantity from 10m'),
    ({"headroomMechanism": "overprovisioning"}, "expected one of placeholder-pods, capacity-buffer"),
    ({"headroom": "1", "nodeAutoscaler": "none"}, "invalid setting headroom=1: with nodeAutoscaler=none"),
    ({"headroom": "1", "headroomCpu": "8"},
     "invalid settings headroomCpu=8 headroomMemory=1Gi: one slot must fit one node, and the largest of "
     "karpenterInstanceTypes is m5.xlarge"),
    ({"headroom": "600", "karpenterCpuLimit": "500"},
     "invalid setting headroom=600: 600 slots of 1 CPU and 1Gi need 600 CPU and 600Gi, more than the NodePool's limits"),
    ({"headroom": "6", "nodeAutoscaler": "cluster-autoscaler", "headroomMemory": "7Gi"},
     "more than caNodeMaxSize=5 nodes of m5.large allow"),
    ({"headroomMechanism": "capacity-buffer", "nodeAutoscaler": "cluster-autoscaler"},
     "invalid setting headroomMechanism=capacity-buffer with nodeAutoscaler=cluster-autoscaler: the CapacityBuffer "
     "CRD comes with Karpenter's chart, and the app does not turn on Cluster Autoscaler's capacity-buffer flags"),
    ({"phpApacheHpaBehavior": "[]"}, "expected a JSON object: an HPA behavior"),
    ({"phpApacheHpaBehavior": {"scaleSideways": {}}}, "behavior has no field scaleSideways"),
    ({"podinfoHpaBehavior": {"scaleUp": {"stabilizationWindowSeconds": 3601}}}, "from 0 to 3600"),
    ({"podinfoHpaBehavior": {"scaleUp": {"selectPolicy": "Average"}}}, "selectPolicy must be one of Max, Min, Disabled"),
    ({"podinfoHpaBehavior": {"scaleUp": {"policies": []}}}, "policies must be a non-empty list"),
    ({"podinfoHpaBehavior": {"scaleUp": {"policies": [{"type": "Pods", "value": 0, "periodSeconds": 15}]}}},
     "value > 0, periodSeconds 1-1800"),
    ({"podinfoHpaBehavior": {"scaleUp": {"policies": [{"type": "Pods", "value": 1, "periodSeconds": 1801}]}}},
     "value > 0, periodSeconds 1-1800"),
    ({"kedaHpaBehavior": {"scaleDown": {"tolerance": 0.1}}}, 'tolerance must be a non-negative decimal as a string'),
    ({"kedaHpaBehavior": {"scaleDown": {"window": 60}}}, "behavior.scaleDown has no field window"),
    ({"kedaFallbackBehavior": "scalingModifiers"}, "expected one of static, currentReplicas"),
    ({"kedaMinReplicas": "11"}, "expected a whole number from 0 to 10"),
    ({"kedaActivationThreshold": "5"},
     "invalid setting kedaActivationThreshold=5 with kedaMinReplicas=2: activation only decides scaling from and to zero"),
    ({"kedaMinReplicas": "0"}, "invalid setting kedaMinReplicas=0 without loadGenerators=true: at zero podinfo-keda "
                               "has no pod to count requests"),
]


@pytest.mark.parametrize(("overrides", "message"), REJECTED, ids=lambda o: ",".join(o) if isinstance(o, dict) else "")
def test_rejected_values_get_one_line(overrides, message):
    with pytest.raises(ConfigError) as error:
        parse(**overrides)
    assert message in str(error.value) and "\n" not in str(error.value)


@pytest.mark.parametrize("version", ["1.33", "1.34"])
@pytest.mark.parametrize("key", ["phpApacheHpaBehavior", "podinfoHpaBehavior", "kedaHpaBehavior"])
def test_tolerance_is_refused_where_the_feature_gate_is_off(version, key):
    acknowledge = {"acknowledgedWarnings": "eks-scaling:eks"}
    parse(kubernetesVersion=version, **{key: {"scaleUp": {"stabilizationWindowSeconds": 0}}}, **acknowledge)
    with pytest.raises(ConfigError, match=f"^invalid setting {key}=.*tolerance needs Kubernetes 1.35 or later "
                                          f"\\(HPAConfigurableTolerance is alpha and off in {version}\\)$"):
        parse(kubernetesVersion=version, **{key: BEHAVIOR}, **acknowledge)
    parse(kubernetesVersion="1.35", **{key: BEHAVIOR})


# --- the objects ---------------------------------------------------------------------------------


def test_defaults_give_the_chapters_manifests():
    config = parse()
    assert hpa("php-apache-hpa", config.scaling_behavior.php_apache, namespace="n") == \
        load_manifest("php-apache-hpa", namespace="n")[0]
    chapter = load_manifest("podinfo-scaledobject", name="p", namespace="n", prometheusUrl="u", minReplicas=2)[0]
    assert scaled_object(config.scaling_behavior, name="p", namespace="n", prometheusUrl="u") == chapter
    assert "advanced" not in chapter["spec"] and "behavior" not in chapter["spec"]["fallback"]
    (pool,) = node_pools(config.karpenter, name="default", labels={}, taints=[])
    assert pool["spec"]["disruption"] == {"consolidationPolicy": "WhenEmpty", "consolidateAfter": "30s"}


def test_every_setting_reaches_its_object():
    config = parse(phpApacheHpaBehavior=BEHAVIOR, kedaHpaBehavior=BEHAVIOR, kedaFallbackBehavior="currentReplicas",
                   kedaInitialCooldownPeriod="60", kedaMinReplicas="0", kedaActivationThreshold="3", loadGenerators="true",
                   karpenterCapacityTypes="spot,on-demand", karpenterConsolidationPolicy="WhenEmptyOrUnderutilized",
                   karpenterDisruptionBudgets='[{"nodes": "5%"}]', karpenterTerminationGracePeriod="90m",
                   karpenterExpireAfter="Never", karpenterSpotNodePoolWeight="7")
    assert hpa("php-apache-hpa", config.scaling_behavior.php_apache, namespace="n")["spec"]["behavior"] == BEHAVIOR
    spec = scaled_object(config.scaling_behavior, name="p", namespace="n", prometheusUrl="u")["spec"]
    assert spec["advanced"] == {"horizontalPodAutoscalerConfig": {"behavior": BEHAVIOR}}
    assert spec["fallback"]["behavior"] == "currentReplicas" and spec["initialCooldownPeriod"] == 60
    assert spec["minReplicaCount"] == 0 and spec["triggers"][0]["metadata"]["activationThreshold"] == "3"
    spot, fallback = node_pools(config.karpenter, name="default", labels={}, taints=[])
    assert (spot["metadata"]["name"], spot["spec"]["weight"]) == ("spot", 7) and "weight" not in fallback["spec"]
    for pool in (spot, fallback):
        assert pool["spec"]["disruption"] == {"consolidationPolicy": "WhenEmptyOrUnderutilized",
                                              "consolidateAfter": "30s", "budgets": [{"nodes": "5%"}]}
        assert pool["spec"]["template"]["spec"]["terminationGracePeriod"] == "90m"
        assert pool["spec"]["template"]["spec"]["expireAfter"] == "Never"


def test_a_single_capacity_type_keeps_one_node_pool():
    (pool,) = node_pools(parse(karpenterCapacityTypes="spot").karpenter, name="default", labels={}, taints=[])
    assert pool["spec"]["template"]["spec"]["requirements"][0]["values"] == ["spot"]


@pytest.mark.parametrize("placement", [KARPENTER_PLACEMENT, Placement(CA_NODE_LABELS)])
def test_placeholders_are_low_priority_pause_pods_of_the_slot_size_on_autoscaled_nodes(placement):
    headroom = parse(headroom="3", headroomCpu="750m", headroomMemory="1536Mi").headroom
    objects = {obj["kind"]: obj for obj in placeholder_pods(headroom, placement)}
    priority = objects["PriorityClass"]
    # Below every workload (0 is the default priority), not below Cluster Autoscaler's cutoff (pods BELOW
    # it are expendable and never scaled up for), never preempting anyone.
    assert priority["value"] == PLACEHOLDER_PRIORITY < 0 and priority["preemptionPolicy"] == "Never"
    assert not priority["globalDefault"]
    deployment = objects["Deployment"]
    assert deployment["spec"]["replicas"] == 3
    pod = deployment["spec"]["template"]["spec"]
    assert pod["priorityClassName"] == priority["metadata"]["name"]
    assert pod["containers"][0]["image"] == PAUSE_IMAGE.reference
    assert pod["containers"][0]["resources"] == {"requests": {"cpu": "750m", "memory": "1536Mi"}}
    fields = placement.for_image(PAUSE_IMAGE.architectures).pod_fields()
    assert pod["nodeSelector"] == fields["nodeSelector"] and pod["tolerations"] == fields["tolerations"]
    assert "system" not in pod["nodeSelector"].values()


def test_a_capacity_buffer_has_the_slot_shape_and_count():
    headroom = parse(headroom="4", headroomMechanism="capacity-buffer").headroom
    objects = {obj["kind"]: obj for obj in capacity_buffer(headroom, KARPENTER_PLACEMENT)}
    assert objects["CapacityBuffer"]["apiVersion"] == "autoscaling.x-k8s.io/v1beta1"
    assert objects["CapacityBuffer"]["spec"] == {"podTemplateRef": {"name": "headroom"}, "replicas": 4}
    template = objects["PodTemplate"]["template"]["spec"]
    assert template["containers"][0]["resources"]["requests"] == {"cpu": "1", "memory": "1Gi"}
    assert template["nodeSelector"]["type"] == "karpenter"


# --- what the synthesized stacks carry -------------------------------------------------------------


def _charts(template) -> dict[str, dict]:
    return {chart["Properties"]["Chart"]: chart_values(chart) for chart in template.find_resources(HELM).values()
            if "Values" in chart["Properties"]}


def test_cluster_autoscaler_gets_the_threshold_and_the_cutoff_the_placeholders_sit_at(synth):
    result = synth("k8s-1.33-ca-irsa")
    args = _charts(result.nested("cluster_autoscaler"))["cluster-autoscaler"]["extraArgs"]
    assert args["scale-down-utilization-threshold"] == 0.4
    assert args["expendable-pods-priority-cutoff"] == PLACEHOLDER_PRIORITY
    objects = manifest_objects_by_name(result.nested("workloads"))
    assert objects["PriorityClass/headroom"][1]["value"] >= args["expendable-pods-priority-cutoff"]
    pod = objects["Deployment/headroom"][1]["spec"]["template"]["spec"]
    assert pod["nodeSelector"] == {"role": "ca-workers"}


def test_karpenter_gets_its_feature_gates_and_the_capacity_buffer_after_its_chart(synth, default):
    assert _charts(default.nested("karpenter"))["karpenter"]["settings"]["featureGates"] == {
        "spotToSpotConsolidation": False, "capacityBuffer": False}
    karpenter = synth("k8s-1.36-both-arm-public").nested("karpenter")
    assert _charts(karpenter)["karpenter"]["settings"]["featureGates"] == {
        "spotToSpotConsolidation": True, "capacityBuffer": True}
    objects = manifest_objects_by_name(karpenter)
    key, buffer = objects["CapacityBuffer/headroom"]
    assert buffer["spec"]["replicas"] == 4
    chart_key = next(key for key, chart in karpenter.find_resources(HELM).items()
                     if chart["Properties"]["Chart"] == "karpenter")
    assert chart_key in karpenter.find_resources("Custom::AWSCDK-EKS-KubernetesResource")[key]["DependsOn"]
    # The capacity buffer replaces the placeholders: none in the workloads.
    workloads = synth("k8s-1.36-both-arm-public").nested("workloads")
    assert "Deployment/headroom" not in manifest_objects_by_name(workloads)


def test_default_deploys_no_headroom(default):
    assert not any(name.endswith("/headroom") for name in manifest_objects_by_name(default.nested("workloads")))


AUTOSCALED_DEMOS = {"php-apache": "metrics", "podinfo": "prometheus", "podinfo-keda": "keda"}


@pytest.mark.parametrize(("name", "stack"), AUTOSCALED_DEMOS.items())
def test_every_autoscaled_demo_has_a_budget_that_never_blocks_a_drain(default, name, stack):
    """maxUnavailable 1: evictions one at a time, and still possible at one replica (minAvailable 1 on a
    single replica would hold its node forever)."""
    objects = manifest_objects_by_name(default.nested(stack))
    deployment = objects[f"Deployment/{name}"][1]
    budget = objects[f"PodDisruptionBudget/{name}"][1]
    assert budget["spec"] == {"maxUnavailable": 1,
                              "selector": {"matchLabels": deployment["spec"]["selector"]["matchLabels"]}}
    assert budget["metadata"]["namespace"] == deployment["metadata"]["namespace"]
