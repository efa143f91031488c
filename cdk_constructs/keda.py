"""KEDA from its chart: the one owner of external.metrics.k8s.io."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_eks_v2 as eks
from constructs import Construct

from eks_scaling.placement import Placement

REPOSITORY = "https://kedacore.github.io/charts"


class Keda(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, cluster: eks.ICluster, chart_version: str,
                 placement: Placement) -> None:
        super().__init__(scope, construct_id)
        self.chart = eks.HelmChart(
            self, "Chart",
            cluster=cluster, chart="keda", repository=REPOSITORY, version=chart_version,
            release="keda", namespace="keda", wait=True, timeout=Duration.minutes(10),
            # Operator, metrics API server and admission webhooks all read the top-level nodeSelector and
            # tolerations (kedacore/charts v2.20.2, keda/templates/*/deployment.yaml).
            values={
                **placement.pod_fields(),
                # With no ServiceMonitor/PodMonitor, the chart itself annotates the keda-operator and
                # keda-operator-metrics-apiserver Services for Prometheus (port 8080; chart v2.20.2
                # templates/manager/service.yaml, templates/metrics-server/service.yaml).
                "prometheus": {"operator": {"enabled": True}, "metricServer": {"enabled": True}},
            },
        )
