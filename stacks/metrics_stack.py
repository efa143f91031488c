"""Nested stack: metrics-server and the CPU-scaled php-apache demo."""

from __future__ import annotations

from typing import Any, Mapping

from aws_cdk import NestedStack
from aws_cdk import aws_eks_v2 as eks
from constructs import Construct

from cdk_constructs.cpu_scaled_app import CpuScaledApp
from cdk_constructs.metrics_server import MetricsServer
from eks_scaling.controller_footprints import METRICS_SERVER_REPLICAS
from eks_scaling.placement import Placement
from eks_scaling.versions import PHP_APACHE_IMAGE, VersionRow


class MetricsStack(NestedStack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        cluster: eks.ICluster,
        versions: VersionRow,
        system: Placement,
        demos: Placement,
        hpa_behavior: Mapping[str, Any],
    ) -> None:
        super().__init__(scope, construct_id, description="metrics-server and the CPU-scaled php-apache demo")
        metrics_server = MetricsServer(
            self, "MetricsServer",
            cluster=cluster, chart_version=versions.metrics_server_chart, placement=system,
            replicas=METRICS_SERVER_REPLICAS,
        )
        CpuScaledApp(self, "PhpApache", cluster=cluster, image=PHP_APACHE_IMAGE.reference,
                     placement=demos.for_image(PHP_APACHE_IMAGE.architectures), metrics_api=metrics_server.chart,
                     behavior=hpa_behavior)
