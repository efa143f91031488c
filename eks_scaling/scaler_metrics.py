"""How the app's Prometheus scrapes every scaler, and the rules it evaluates on them.

Plain HTTP endpoints (Karpenter, KEDA, Cluster Autoscaler, kube-state-metrics) carry the annotations
that the prometheus chart's own `kubernetes-service-endpoints` job keeps (prometheus-community/helm-charts
charts/prometheus/values.yaml at prometheus-29.27.0: keep `prometheus.io/scrape: "true"`, port from
`prometheus.io/port`). metrics-server and prometheus-adapter serve /metrics only over HTTPS with
self-signed certificates and delegated authorization, which that job cannot scrape (no tls_config, no
token): they carry `prometheus.io/scrape-tls` and one more job below, which presents the server's
service-account token (the chart's ClusterRole grants `get` on the /metrics non-resource URL).
This module must not import aws-cdk-lib: tests read it without synthesizing.
"""

from __future__ import annotations

from typing import Any

from eks_scaling.manifests import load_manifest

TLS_ANNOTATION = "prometheus.io/scrape-tls"
_TOKEN = "/var/run/secrets/kubernetes.io/serviceaccount/token"


def scrape_annotations(port: int) -> dict[str, str]:
    """Service annotations for the chart's kubernetes-service-endpoints job."""
    return {"prometheus.io/scrape": "true", "prometheus.io/port": str(port)}


TLS_SCRAPE_ANNOTATIONS = {TLS_ANNOTATION: "true"}
# The only Services the TLS job may present the server's token to, as "<namespace>;<service>": the
# annotation alone would send it (without verifying TLS) to any Service anyone annotates. Each chart's
# Service is named after its release (metrics-server chart 3.13.1 and prometheus-adapter chart 5.3.0,
# templates/_helpers.tpl fullname: the release name when it contains the chart name).
TLS_SCRAPE_SERVICES = ("kube-system;metrics-server", "prometheus;prometheus-adapter")

# An entry of the chart's `scrapeConfigs` map (a new key is a job named after it, enabled by default).
TLS_SCRAPE_JOB: dict[str, Any] = {
    "kubernetes-service-endpoints-tls": {
        "scheme": "https",
        # Both serve a certificate they generate themselves at start-up: there is no CA to verify it against.
        "tls_config": {"insecure_skip_verify": True},
        "bearer_token_file": _TOKEN,
        "kubernetes_sd_configs": [{"role": "endpointslice"}],
        "relabel_configs": [
            {"source_labels": ["__meta_kubernetes_service_annotation_prometheus_io_scrape_tls"],
             "action": "keep", "regex": "true"},
            {"source_labels": ["__meta_kubernetes_namespace", "__meta_kubernetes_service_name"],
             "action": "keep", "regex": "|".join(TLS_SCRAPE_SERVICES)},
            {"source_labels": ["__meta_kubernetes_namespace"], "target_label": "namespace"},
            {"source_labels": ["__meta_kubernetes_service_name"], "target_label": "service"},
            {"source_labels": ["__meta_kubernetes_pod_name"], "target_label": "pod"},
        ],
    },
}

# kube-state-metrics exports ScaledObject conditions (Fallback among them) as
# kube_scaledobject_status_condition{namespace,name,type} (kubernetes/kube-state-metrics v2.20.0
# docs/metrics/extend/customresourcestate-metrics.md; the kube-state-metrics 8.4.x chart's
# customResourceState and rbac.extraRules values). Without KEDA the CRD is absent and the metric too.
KUBE_STATE_METRICS_VALUES: dict[str, Any] = {
    "customResourceState": {
        "enabled": True,
        "config": {
            "kind": "CustomResourceStateMetrics",
            "spec": {"resources": [{
                "groupVersionKind": {"group": "keda.sh", "version": "v1alpha1", "kind": "ScaledObject"},
                "metricNamePrefix": "kube_scaledobject",
                "labelsFromPath": {"namespace": ["metadata", "namespace"], "name": ["metadata", "name"]},
                "metrics": [{
                    "name": "status_condition",
                    "help": "ScaledObject status conditions (Ready, Active, Fallback, Paused): 1 when True.",
                    "each": {"type": "Gauge", "gauge": {
                        "path": ["status", "conditions"], "labelsFromPath": {"type": ["type"]},
                        "valueFrom": ["status"],
                    }},
                }],
            }]},
        },
    },
    "rbac": {"extraRules": [{"apiGroups": ["keda.sh"], "resources": ["scaledobjects"], "verbs": ["list", "watch"]}]},
    # No kube_secret_* series and no cluster-wide list/watch of Secrets: kube-state-metrics-8.4.0
    # values.yaml collectorsExclude, and templates/role.yaml grants secrets only for an active collector.
    "collectorsExclude": ["secrets"],
}


def rule_files(*, pending_pods_for: str, at_max_for: str, metric_unavailable_for: str,
               node_pool_limit_percent: int) -> dict[str, dict[str, Any]]:
    """manifests/prometheus-rules.yaml split into the chart's serverFiles: recording and alerting groups."""
    groups = load_manifest("prometheus-rules", pendingPodsFor=pending_pods_for, atMaxFor=at_max_for,
                           metricUnavailableFor=metric_unavailable_for,
                           nodePoolLimitPercent=node_pool_limit_percent)[0]["groups"]
    alerting = [group for group in groups if any("alert" in rule for rule in group["rules"])]
    recording = [group for group in groups if group not in alerting]
    return {"recording_rules.yml": {"groups": recording}, "alerting_rules.yml": {"groups": alerting}}
