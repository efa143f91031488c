"""The Kubernetes objects whose shape follows the scaling-control settings (NodePools, HPAs, the
ScaledObject, headroom), built from manifests/ plus the optional fields a setting adds.

Pure Python (no aws-cdk-lib): the constructs apply these objects and the planner reads the very same ones.
An optional field is added only when its setting asks for it, so the defaults give the chapter's manifests.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from eks_scaling.manifests import load_manifest
from eks_scaling.placement import Placement
from eks_scaling.settings import HeadroomConfig, KarpenterConfig, ScalingBehaviorConfig
from eks_scaling.versions import PAUSE_IMAGE

# The placeholder PriorityClass's value: the lowest that Cluster Autoscaler still scales up for
# (pods below --expendable-pods-priority-cutoff, default -10, are ignored: cluster-autoscaler/
# core/utils/expendable.go at cluster-autoscaler-1.35.2), and below every workload's default of 0.
PLACEHOLDER_PRIORITY = -10
PLACEHOLDER_PRIORITY_CLASS = "headroom"
SPOT_NODE_POOL = "spot"


def node_pools(settings: KarpenterConfig, *, name: str, labels: Mapping[str, str],
               taints: Sequence[Mapping[str, str]], node_class_ref: Mapping[str, str] | None = None,
               spot_name: str = SPOT_NODE_POOL) -> list[dict[str, Any]]:
    """The NodePool `name` on the node class `node_class_ref` (default: the EC2NodeClass `name`); with Spot
    and on-demand both allowed, a weighted Spot NodePool `spot_name` goes first and `name` keeps on-demand
    only, as the fallback Karpenter turns to when Spot has no capacity (Karpenter tries NodePools by
    descending weight)."""
    fallback = settings.spot_node_pool
    ref = dict(node_class_ref or {"group": "karpenter.k8s.aws", "kind": "EC2NodeClass", "name": name})
    pools = [_node_pool(settings, name=name, node_class_ref=ref, labels=labels, taints=taints,
                        capacity_types=["on-demand"] if fallback else list(settings.capacity_types))]
    if fallback:
        spot = _node_pool(settings, name=spot_name, node_class_ref=ref, labels=labels, taints=taints,
                          capacity_types=["spot"])
        spot["spec"]["weight"] = settings.spot_node_pool_weight
        pools.insert(0, spot)
    return pools


def _node_pool(settings: KarpenterConfig, *, name: str, node_class_ref: dict[str, str], labels: Mapping[str, str],
               taints: Sequence[Mapping[str, str]], capacity_types: list[str]) -> dict[str, Any]:
    (pool,) = load_manifest(
        "karpenter-node-pool", name=name, nodeClassRef=node_class_ref, labels=dict(labels),
        capacityTypes=capacity_types,
        instanceTypes=list(settings.instance_types), taints=[dict(taint) for taint in taints],
        expireAfter=settings.expire_after, cpuLimit=settings.cpu_limit, memoryLimit=settings.memory_limit,
        consolidationPolicy=settings.consolidation_policy, consolidateAfter=settings.consolidate_after,
    )
    if settings.disruption_budgets:
        pool["spec"]["disruption"]["budgets"] = [dict(budget) for budget in settings.disruption_budgets]
    if settings.termination_grace_period:
        pool["spec"]["template"]["spec"]["terminationGracePeriod"] = settings.termination_grace_period
    return pool


def hpa(file: str, behavior: Mapping[str, Any], **values: Any) -> dict[str, Any]:
    """An HPA manifest with spec.behavior when one is set ({}: none, the controller's defaults)."""
    (obj,) = load_manifest(file, **values)
    if behavior:
        obj["spec"]["behavior"] = dict(behavior)
    return obj


def scaled_object(settings: ScalingBehaviorConfig, **values: Any) -> dict[str, Any]:
    """The ScaledObject with the KEDA settings that differ from KEDA's defaults."""
    (obj,) = load_manifest("podinfo-scaledobject", minReplicas=settings.keda_min_replicas, **values)
    spec = obj["spec"]
    if settings.keda_fallback_behavior != "static":
        spec["fallback"]["behavior"] = settings.keda_fallback_behavior
    if settings.keda_initial_cooldown_period:
        spec["initialCooldownPeriod"] = settings.keda_initial_cooldown_period
    if settings.keda_activation_threshold:
        spec["triggers"][0]["metadata"]["activationThreshold"] = str(settings.keda_activation_threshold)
    if settings.keda_min_replicas == 0:
        spec["triggers"] = _scale_to_zero_triggers(spec["triggers"][0], values["namespace"], values["name"])
    if settings.keda:
        spec["advanced"] = {"horizontalPodAutoscalerConfig": {"behavior": dict(settings.keda)}}
    return obj


def _scale_to_zero_triggers(requests: dict[str, Any], namespace: str, name: str) -> list[dict[str, Any]]:
    """Scaling to and from zero needs two changes to the chapter's trigger.

    Requests without the kubelet's probes: podinfo counts every request in http_requests_total{status},
    probes included, so the trigger would never fall to zero; its histogram's count has the route in
    `path` (stefanprodan/podinfo pkg/api/http/metrics.go, 6.14.1), where /healthz and /readyz show as
    healthz and readyz. And a second trigger on the load generator's pods (kube-state-metrics'
    kube_pod_status_ready): at zero replicas podinfo-keda has no pod to count requests, its query comes
    back empty (0 to KEDA's prometheus scaler, ignoreNullValues), and without this nothing would bring it
    back (ready at any scrape of the last minute: a missed scrape does not drop it). Its threshold is far
    above 1, so it asks for one replica and the requests decide beyond that.
    """
    metadata = requests["metadata"]
    served = (f'sum(rate(http_request_duration_seconds_count{{namespace="{namespace}",app="{name}",'
              f'path!~"healthz|readyz"}}[2m]))')
    waiting = (f'count(max_over_time(kube_pod_status_ready{{namespace="{namespace}",pod=~"load-generator-.*",'
               f'condition="true"}}[1m]) == 1)')
    return [{**requests, "metadata": {**metadata, "query": served}},
            {"type": "prometheus", "name": "load-generator",
             "metadata": {"serverAddress": metadata["serverAddress"], "query": waiting, "threshold": "1000"}}]


def _slot(settings: HeadroomConfig, placement: Placement) -> dict[str, Any]:
    (template,) = load_manifest("headroom-pod", image=PAUSE_IMAGE.reference, cpu=settings.cpu, memory=settings.memory,
                               **placement.for_image(PAUSE_IMAGE.architectures).pod_fields())
    return template


def placeholder_pods(settings: HeadroomConfig, placement: Placement) -> list[dict[str, Any]]:
    """PriorityClass, Namespace and the Deployment of `slots` pause pods."""
    template = _slot(settings, placement)
    template["spec"]["priorityClassName"] = PLACEHOLDER_PRIORITY_CLASS
    return load_manifest("headroom", priority=PLACEHOLDER_PRIORITY, slots=settings.slots, podTemplate=template)


def capacity_buffer(settings: HeadroomConfig, placement: Placement) -> list[dict[str, Any]]:
    """Namespace, PodTemplate and the CapacityBuffer of `slots` chunks."""
    return load_manifest("headroom-capacity-buffer", slots=settings.slots, podTemplate=_slot(settings, placement))
