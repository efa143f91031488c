"""podinfo, the chapter's custom-metrics demo, scaled by an HPA on a custom metric or by KEDA."""

from __future__ import annotations

from typing import Any, Mapping

from aws_cdk import aws_eks_v2 as eks
from constructs import Construct, IDependable

from eks_scaling.autoscaling_objects import hpa, scaled_object
from eks_scaling.manifests import load_manifest
from eks_scaling.placement import Placement
from eks_scaling.settings import ScalingBehaviorConfig


def _podinfo(scope: Construct, *, cluster: eks.ICluster, image: str, placement: Placement, name: str,
             namespace: str) -> eks.KubernetesManifest:
    """The podinfo Deployment, Service and namespace, as either autoscaler's target."""
    return eks.KubernetesManifest(
        scope, "App", cluster=cluster,
        manifest=load_manifest("podinfo", name=name, namespace=namespace, image=image, **placement.pod_fields()),
    )


class CustomMetricScaledPodinfo(Construct):
    """podinfo, then an autoscaling/v2 HPA on http_requests_per_second once the adapter serves it."""

    def __init__(self, scope: Construct, construct_id: str, *, cluster: eks.ICluster, image: str,
                 metrics_api: IDependable, placement: Placement, behavior: Mapping[str, Any], name: str = "podinfo",
                 namespace: str = "podinfo") -> None:
        super().__init__(scope, construct_id)
        self.app = _podinfo(self, cluster=cluster, image=image, placement=placement, name=name, namespace=namespace)
        self.hpa = eks.KubernetesManifest(
            self, "Hpa", cluster=cluster, manifest=[hpa("podinfo-hpa", behavior, name=name, namespace=namespace)],
        )
        self.hpa.node.add_dependency(self.app, metrics_api)


class KedaScaledPodinfo(Construct):
    """Its own podinfo (one autoscaler per workload), then the ScaledObject once KEDA runs.

    Deleted before KEDA on teardown, so KEDA removes the ScaledObject's finalizer itself.
    """

    def __init__(self, scope: Construct, construct_id: str, *, cluster: eks.ICluster, image: str,
                 keda: IDependable, prometheus_url: str, placement: Placement, settings: ScalingBehaviorConfig,
                 name: str = "podinfo-keda",
                 namespace: str = "podinfo-keda") -> None:
        super().__init__(scope, construct_id)
        self.app = _podinfo(self, cluster=cluster, image=image, placement=placement, name=name, namespace=namespace)
        self.scaled_object = eks.KubernetesManifest(
            self, "ScaledObject", cluster=cluster,
            manifest=[scaled_object(settings, name=name, namespace=namespace, prometheusUrl=prometheus_url)],
        )
        self.scaled_object.node.add_dependency(self.app, keda)
