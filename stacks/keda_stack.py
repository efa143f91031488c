"""Nested stack: KEDA, and its own podinfo scaled by the chapter's ScaledObject."""

from __future__ import annotations

from aws_cdk import NestedStack
from aws_cdk import aws_eks_v2 as eks
from constructs import Construct

from cdk_constructs.keda import Keda
from cdk_constructs.podinfo import KedaScaledPodinfo
from cdk_constructs.prometheus import SERVER_URL
from eks_scaling.placement import Placement
from eks_scaling.settings import ScalingBehaviorConfig
from eks_scaling.versions import PODINFO_IMAGE, VersionRow


class KedaStack(NestedStack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        cluster: eks.ICluster,
        versions: VersionRow,
        system: Placement,
        demos: Placement,
        scaling: ScalingBehaviorConfig,
    ) -> None:
        super().__init__(scope, construct_id, description="KEDA and the podinfo-keda ScaledObject demo")
        keda = Keda(self, "Keda", cluster=cluster, chart_version=versions.keda_chart, placement=system)
        KedaScaledPodinfo(self, "Podinfo", cluster=cluster, image=PODINFO_IMAGE.reference,
                          placement=demos.for_image(PODINFO_IMAGE.architectures), keda=keda.chart,
                          prometheus_url=SERVER_URL, settings=scaling)
