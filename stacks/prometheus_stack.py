"""Nested stack: EBS CSI storage, Prometheus, prometheus-adapter, and podinfo with its custom-metric HPA."""

from __future__ import annotations

from typing import Any, Mapping

from aws_cdk import NestedStack
from aws_cdk import aws_eks_v2 as eks
from constructs import Construct

from cdk_constructs.ebs_csi_driver import EbsCsiDriver
from cdk_constructs.ebs_volumes_gone import EbsVolumesGone
from cdk_constructs.podinfo import CustomMetricScaledPodinfo
from cdk_constructs.prometheus import Prometheus, PrometheusAdapter
from eks_scaling.controller_footprints import (ALERTMANAGER_RESOURCES, CONFIG_RELOADER_RESOURCES,
                                               KUBE_STATE_METRICS_RESOURCES, PROMETHEUS_ADAPTER_REPLICAS,
                                               PROMETHEUS_ADAPTER_RESOURCES, PROMETHEUS_SERVER_RESOURCES)
from eks_scaling.placement import Placement
from eks_scaling.scaler_metrics import rule_files
from eks_scaling.settings import PrometheusConfig
from eks_scaling.versions import PODINFO_IMAGE, VersionRow


class PrometheusStack(NestedStack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        cluster: eks.ICluster,
        settings: PrometheusConfig,
        versions: VersionRow,
        identity_type: eks.IdentityType,
        system: Placement,
        demos: Placement,
        hpa_behavior: Mapping[str, Any],
    ) -> None:
        super().__init__(scope, construct_id, description="Prometheus, prometheus-adapter and the podinfo HPA demo")
        csi = EbsCsiDriver(self, "EbsCsiDriver", cluster=cluster, identity_type=identity_type,
                           placement=system)
        # Teardown: claims, then this waits for the driver to delete their volumes, then the add-on goes.
        volumes_gone = EbsVolumesGone(self, "EbsVolumesGone", cluster_name=cluster.cluster_name)
        volumes_gone.node.add_dependency(csi.addon)
        self.prometheus = Prometheus(
            self, "Prometheus",
            cluster=cluster, chart_version=versions.prometheus_chart, csi_driver=volumes_gone,
            placement=system, retention=settings.retention,
            server_volume_size=settings.server_volume_size,
            alertmanager_volume_size=settings.alertmanager_volume_size,
            resources={"server": PROMETHEUS_SERVER_RESOURCES, "alertmanager": ALERTMANAGER_RESOURCES,
                       "kube-state-metrics": KUBE_STATE_METRICS_RESOURCES, "config-reloader": CONFIG_RELOADER_RESOURCES},
            rules=rule_files(
                pending_pods_for=settings.alerts.pending_pods_for, at_max_for=settings.alerts.at_max_for,
                metric_unavailable_for=settings.alerts.metric_unavailable_for,
                node_pool_limit_percent=settings.alerts.node_pool_limit_percent,
            ),
        )
        self.adapter = PrometheusAdapter(
            self, "Adapter",
            cluster=cluster, chart_version=versions.prometheus_adapter_chart,
            namespace=self.prometheus.storage, placement=system,
            replicas=PROMETHEUS_ADAPTER_REPLICAS, resources=PROMETHEUS_ADAPTER_RESOURCES,
        )
        CustomMetricScaledPodinfo(self, "Podinfo", cluster=cluster, image=PODINFO_IMAGE.reference,
                                  placement=demos.for_image(PODINFO_IMAGE.architectures),
                                  metrics_api=self.adapter.chart, behavior=hpa_behavior)
