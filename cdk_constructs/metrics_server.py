"""metrics-server from its official chart: the one owner of the metrics.k8s.io API."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_eks_v2 as eks
from constructs import Construct

from eks_scaling.placement import Placement
from eks_scaling.scaler_metrics import TLS_SCRAPE_ANNOTATIONS

REPOSITORY = "https://kubernetes-sigs.github.io/metrics-server/"


class MetricsServer(Construct):
    """Replicas spread over nodes, a PodDisruptionBudget, pinned to the given nodes."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        cluster: eks.ICluster,
        chart_version: str,
        placement: Placement,
        replicas: int,
    ) -> None:
        super().__init__(scope, construct_id)
        release = "metrics-server"
        self.chart = eks.HelmChart(
            self,
            "Chart",
            cluster=cluster,
            chart="metrics-server",
            repository=REPOSITORY,
            version=chart_version,
            release=release,
            namespace="kube-system",
            # Wait for Ready pods so a broken install fails the deploy instead of the HPAs later.
            wait=True,
            timeout=Duration.minutes(10),
            values={
                "replicas": replicas,
                "podDisruptionBudget": {"enabled": replicas > 1, "minAvailable": 1},
                # /metrics on its HTTPS port, authorized by the caller's token (no metrics.enabled, which
                # would open it to anyone with --authorization-always-allow-paths).
                "service": {"annotations": TLS_SCRAPE_ANNOTATIONS},
                **placement.pod_fields(),
                "topologySpreadConstraints": [
                    {
                        "maxSkew": 1,
                        "topologyKey": "kubernetes.io/hostname",
                        "whenUnsatisfiable": "ScheduleAnyway",
                        "labelSelector": {"matchLabels": {
                            "app.kubernetes.io/name": "metrics-server",
                            "app.kubernetes.io/instance": release,
                        }},
                    }
                ],
            },
        )
