"""Prometheus (server and alertmanager on gp3 volumes) and prometheus-adapter, from their charts."""

from __future__ import annotations

from typing import Any, Mapping

from aws_cdk import Duration
from aws_cdk import aws_eks_v2 as eks
from constructs import Construct, IDependable

from eks_scaling.manifests import load_manifest
from eks_scaling.placement import Placement
from eks_scaling.prometheus_queries import REQUESTS_PER_SECOND_RULE, SCRAPE_INTERVAL
from eks_scaling.quantities import memory_mib
from eks_scaling.scaler_metrics import KUBE_STATE_METRICS_VALUES, TLS_SCRAPE_ANNOTATIONS, TLS_SCRAPE_JOB

REPOSITORY = "https://prometheus-community.github.io/helm-charts"
NAMESPACE = "prometheus"
# KEDA's namespace (cdk_constructs/keda.py), whose trigger queries the server.
KEDA_NAMESPACE = "keda"
RELEASE = "prometheus"
# The chart's server Service, "<release>-server", on port 80.
SERVER_URL = f"http://{RELEASE}-server.{NAMESPACE}.svc.cluster.local:80"
# The alertmanager StatefulSet's volumeClaimTemplates size. The API server refuses any change to
# volumeClaimTemplates, so it stays fixed: the claim itself (manifests/prometheus-storage.yaml, sized by
# alertmanagerVolumeSize) exists before the chart, and the StatefulSet adopts it by name, never creating one.
ALERTMANAGER_CLAIM_TEMPLATE_SIZE = "2Gi"
# Prometheus deletes the oldest blocks once the TSDB passes --storage.tsdb.retention.size (chart value
# server.retentionSize, charts/prometheus/values.yaml at prometheus-29.27.0), so a long retention on a
# small volume no longer fills it and stops ingestion; 20 % stays free for the WAL and compaction
# (Prometheus's storage docs: the size limit does not count the WAL's growth).
RETENTION_SIZE_SHARE = 0.8

# The chart's pods at its defaults (prometheus-29.27.0 values.yaml: server.containerSecurityContext {},
# configmapReload.prometheus.containerSecurityContext {} and resources {}; alertmanager-1.42.0:
# automountServiceAccountToken true, no seccomp; prometheus-node-exporter-4.56.1: no seccomp, capabilities
# kept) made restricted. Every process writes only to its volume (server /data, alertmanager
# /alertmanager), so the root filesystems are read-only. Helm merges these maps into the chart's own.
NON_ROOT = {"runAsUser": 65534, "runAsGroup": 65534, "runAsNonRoot": True}
RUNTIME_DEFAULT = {"seccompProfile": {"type": "RuntimeDefault"}}
RESTRICTED_CONTAINER = {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]},
                        "readOnlyRootFilesystem": True}


class Prometheus(Construct):
    """Storage (default gp3 class, namespace, Alertmanager's claim) -> the prometheus chart."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        cluster: eks.ICluster,
        chart_version: str,
        csi_driver: IDependable,
        placement: Placement,
        retention: str,
        server_volume_size: str,
        alertmanager_volume_size: str,
        rules: Mapping[str, Any],
        resources: Mapping[str, Mapping[str, Any]],
    ) -> None:
        super().__init__(scope, construct_id)
        self.storage = eks.KubernetesManifest(
            self, "Storage", cluster=cluster,
            manifest=load_manifest("prometheus-storage", namespace=NAMESPACE, release=RELEASE,
                                   alertmanagerVolumeSize=alertmanager_volume_size),
        )
        # Volumes are provisioned and, on teardown, deleted by the driver: it (and the step that waits for
        # the deletions) must outlive them.
        self.storage.node.add_dependency(csi_driver)
        # Ingress denied but for the flows each scaler needs, once the namespace exists.
        self.network_policies = eks.KubernetesManifest(
            self, "NetworkPolicies", cluster=cluster,
            manifest=load_manifest("prometheus-network-policies", namespace=NAMESPACE, kedaNamespace=KEDA_NAMESPACE))
        self.network_policies.node.add_dependency(self.storage)
        pods = placement.pod_fields()
        self.chart = eks.HelmChart(
            self, "Chart",
            cluster=cluster, chart="prometheus", repository=REPOSITORY, version=chart_version,
            release=RELEASE, namespace=NAMESPACE, wait=True, timeout=Duration.minutes(10),
            values={
                "server": {
                    "securityContext": {**NON_ROOT, "fsGroup": 65534, **RUNTIME_DEFAULT},
                    "containerSecurityContext": RESTRICTED_CONTAINER,
                    "global": {"scrape_interval": SCRAPE_INTERVAL},
                    "retention": retention,
                    "retentionSize": retention_size(server_volume_size),
                    "persistentVolume": {"enabled": True, "size": server_volume_size, "storageClass": "gp3"},
                    "resources": dict(resources["server"]),
                    **pods,
                },
                "alertmanager": {
                    # Alertmanager never calls the Kubernetes API: no token in its pod.
                    "automountServiceAccountToken": False,
                    "podSecurityContext": {"fsGroup": 65534, **RUNTIME_DEFAULT},
                    "securityContext": {**NON_ROOT, **RESTRICTED_CONTAINER},
                    "persistence": {"enabled": True, "size": ALERTMANAGER_CLAIM_TEMPLATE_SIZE, "storageClass": "gp3"},
                    "resources": dict(resources["alertmanager"]),
                    **pods,
                },
                "kube-state-metrics": {**KUBE_STATE_METRICS_VALUES, "resources": dict(resources["kube-state-metrics"]),
                                       **pods},
                # The scalers' own annotations feed the chart's default jobs; HTTPS ones need this job.
                "scrapeConfigs": TLS_SCRAPE_JOB,
                # Recording and alerting rules (manifests/prometheus-rules.yaml).
                "serverFiles": dict(rules),
                # The server's config reloader sidecar.
                "configmapReload": {"prometheus": {"containerSecurityContext": RESTRICTED_CONTAINER,
                                                   "resources": dict(resources["config-reloader"])}},
                # node-exporter is a DaemonSet for every node: its chart tolerates every NoSchedule taint.
                # It keeps the chart's hostNetwork and hostPID (node-level network and process metrics)
                # and its token-less service account (docs/compliance.md).
                "prometheus-node-exporter": {
                    "securityContext": {**NON_ROOT, "fsGroup": 65534, **RUNTIME_DEFAULT},
                    "containerSecurityContext": RESTRICTED_CONTAINER,
                },
                # Nothing pushes metrics: no pushgateway.
                "prometheus-pushgateway": {"enabled": False},
            },
        )
        self.chart.node.add_dependency(self.storage)


class PrometheusAdapter(Construct):
    """The one owner of custom.metrics.k8s.io: no default, external or resource rules."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        cluster: eks.ICluster,
        chart_version: str,
        namespace: IDependable,
        placement: Placement,
        replicas: int,
        resources: Mapping[str, Any],
    ) -> None:
        super().__init__(scope, construct_id)
        self.chart = eks.HelmChart(
            self, "Chart",
            cluster=cluster, chart="prometheus-adapter", repository=REPOSITORY, version=chart_version,
            release="prometheus-adapter", namespace=NAMESPACE, wait=True, timeout=Duration.minutes(10),
            values={
                "prometheus": {"url": f"http://{RELEASE}-server.{NAMESPACE}.svc", "port": 80},
                # rules.external and rules.resource stay unset: KEDA owns external.metrics.k8s.io and
                # metrics-server owns metrics.k8s.io.
                "rules": {"default": False, "custom": [REQUESTS_PER_SECOND_RULE]},
                "replicas": replicas,
                "resources": dict(resources),
                "podDisruptionBudget": {"enabled": True, "maxUnavailable": 1},
                **placement.pod_fields(),
                "service": {"annotations": TLS_SCRAPE_ANNOTATIONS},
            },
        )
        self.chart.node.add_dependency(namespace)


def retention_size(volume_size: str) -> str:
    """The share of the volume the TSDB may use, in Prometheus's units (MB is 2^20 bytes: units.Base2Bytes)."""
    return f"{int(memory_mib(volume_size) * RETENTION_SIZE_SHARE)}MB"
