"""The chapter's CPU autoscaling demo: php-apache behind an autoscaling/v2 HPA at 50 % CPU."""

from __future__ import annotations

from typing import Any, Mapping

from aws_cdk import aws_eks_v2 as eks
from constructs import Construct, IDependable

from eks_scaling.autoscaling_objects import hpa
from eks_scaling.manifests import load_manifest
from eks_scaling.placement import Placement


class CpuScaledApp(Construct):
    """php-apache (Namespace, Deployment, Service), then its HPA once the metrics API exists."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        cluster: eks.ICluster,
        image: str,
        metrics_api: IDependable,
        placement: Placement,
        behavior: Mapping[str, Any],
        namespace: str = "php-apache",
    ) -> None:
        super().__init__(scope, construct_id)
        self.app = eks.KubernetesManifest(
            self, "App", cluster=cluster, manifest=load_manifest("php-apache", namespace=namespace, image=image,
                                                               **placement.pod_fields()),
        )
        self.hpa = eks.KubernetesManifest(
            self, "Hpa", cluster=cluster, manifest=[hpa("php-apache-hpa", behavior, namespace=namespace)],
        )
        self.hpa.node.add_dependency(self.app, metrics_api)
