"""KEDA from its chart: the one owner of external.metrics.k8s.io."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_eks_v2 as eks
from constructs import Construct

from cdk_constructs.prometheus import KEDA_NAMESPACE
from cdk_constructs.prometheus import NAMESPACE as PROMETHEUS_NAMESPACE
from eks_scaling.manifests import load_manifest
from eks_scaling.placement import Placement

REPOSITORY = "https://kedacore.github.io/charts"

# The app's trigger (a Prometheus query, no TriggerAuthentication) reads no Secret and scales a Deployment.
# kedacore/charts v2.20.2 keda/values.yaml and templates/manager/{clusterrole,minimal-rbac}.yaml:
# restrict.secret drops the operator's cluster-wide list/watch of Secrets for a Role in its namespace
# (and sets KEDA_RESTRICT_SECRET_ACCESS on both servers); enabledCustomScaledRefKinds=false drops
# get/patch/update on every `*/scale` and get on every resource, keeping deployments/statefulsets scale.
LEAST_PRIVILEGE = {
    "permissions": {"operator": {"restrict": {"secret": True}}, "metricServer": {"restrict": {"secret": True}}},
    "rbac": {"enabledCustomScaledRefKinds": False},
}


class Keda(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, cluster: eks.ICluster, chart_version: str,
                 placement: Placement) -> None:
        super().__init__(scope, construct_id)
        self.chart = eks.HelmChart(
            self, "Chart",
            cluster=cluster, chart="keda", repository=REPOSITORY, version=chart_version,
            release="keda", namespace=KEDA_NAMESPACE, wait=True, timeout=Duration.minutes(10),
            # Operator, metrics API server and admission webhooks all read the top-level nodeSelector and
            # tolerations (kedacore/charts v2.20.2, keda/templates/*/deployment.yaml).
            values={
                **placement.pod_fields(),
                # With no ServiceMonitor/PodMonitor, the chart itself annotates the keda-operator and
                # keda-operator-metrics-apiserver Services for Prometheus (port 8080; chart v2.20.2
                # templates/manager/service.yaml, templates/metrics-server/service.yaml).
                "prometheus": {"operator": {"enabled": True}, "metricServer": {"enabled": True}},
                **LEAST_PRIVILEGE,
            },
        )
        # Ingress denied but for the flows KEDA needs, once the chart has created the namespace.
        self.network_policies = eks.KubernetesManifest(
            self, "NetworkPolicies", cluster=cluster,
            manifest=load_manifest("keda-network-policies", namespace=KEDA_NAMESPACE,
                                   prometheusNamespace=PROMETHEUS_NAMESPACE))
        self.network_policies.node.add_dependency(self.chart)
