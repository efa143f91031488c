"""Every scaler's metrics endpoint is a target of the app's Prometheus, in every configuration that deploys it.

What this proves, and what not: the charts are not in the repository (and a clone has no network to
fetch them), so nothing here runs `helm template`. Instead each chart's Service template is recorded
below as the facts that matter (name, port, how values become annotations), with the template it was
read from at the pinned tag; the synthesized chart values go through those facts, and the resulting
Service meets the prometheus chart's scrape jobs: its default `kubernetes-service-endpoints` job (recorded
from its values.yaml) and the jobs our values add. A target counts if a job keeps it and scrapes the
port the metrics are served on. A changed value, a dropped annotation or a wrong port fails here; a chart
template changed upstream does not, until its pin (eks_scaling/versions.py) and these facts are updated
together. The facts were checked on 2026-11-28 by rendering the Karpenter, Cluster Autoscaler, KEDA,
metrics-server and prometheus-adapter charts at their tags with the synthesized values (`helm template`,
Helm v4.1.4 from the v35 kubectl layer); kube-state-metrics (a subchart needing a dependency download)
was read from its template.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable

import pytest

from eks_scaling.scaler_metrics import TLS_SCRAPE_SERVICES
from tests.synth import chart_values

HELM = "Custom::AWSCDK-EKS-HelmChart"
# Every scaler is deployed in this configuration (nodeAutoscaler=both, Prometheus, KEDA, metrics-server).
CONFIG = "k8s-1.36-both-arm-public"


def _dig(values: dict, path: str, default: Any) -> Any:
    for key in path.split("."):
        if not isinstance(values, dict) or key not in values:
            return default
        values = values[key]
    return values


@dataclass(frozen=True)
class MetricsService:
    """A chart's Service in front of the metrics endpoint, as its template renders it from values."""

    scaler: str
    stack: str
    chart: str
    source: str
    metrics_port: Callable[[dict], int]  # the container port serving /metrics
    annotations: Callable[[dict], dict[str, str]]
    scheme: str = "http"
    # The Service's namespace and name where a job keeps targets by them (the TLS job does).
    service_name: str = ""


def _merged(*paths: str) -> Callable[[dict], dict[str, str]]:
    def render(values: dict) -> dict[str, str]:
        found: dict[str, str] = {}
        for path in paths:
            found.update({key: str(value) for key, value in (_dig(values, path, {}) or {}).items()})
        return found
    return render


def _keda(component: str) -> Callable[[dict], dict[str, str]]:
    # keda/templates/{manager,metrics-server}/service.yaml: with prometheus.<component>.enabled and no
    # ServiceMonitor/PodMonitor, the chart annotates the Service itself (scrape, port, path /metrics).
    def render(values: dict) -> dict[str, str]:
        found = _merged("additionalAnnotations", "service.annotations")(values)
        monitors = any(_dig(values, f"prometheus.{component}.{kind}.enabled", False)
                       for kind in ("serviceMonitor", "podMonitor"))
        if _dig(values, f"prometheus.{component}.enabled", False) and not monitors:
            found.update({"prometheus.io/scrape": "true", "prometheus.io/path": "/metrics",
                          "prometheus.io/port": str(_dig(values, f"prometheus.{component}.port", 8080))})
        return found
    return render


SERVICES = (
    MetricsService("karpenter", "karpenter", "karpenter",
                   "aws/karpenter-provider-aws v1.14.1 charts/karpenter/templates/service.yaml",
                   lambda v: _dig(v, "controller.metrics.port", 8080),
                   _merged("additionalAnnotations", "service.annotations")),
    MetricsService("cluster-autoscaler", "cluster_autoscaler", "cluster-autoscaler",
                   "kubernetes/autoscaler cluster-autoscaler-chart-9.59.0 templates/service.yaml (targetPort 8085)",
                   lambda v: 8085, _merged("service.annotations")),
    MetricsService("keda-operator", "keda", "keda", "kedacore/charts v2.20.2 keda/templates/manager/service.yaml",
                   lambda v: _dig(v, "prometheus.operator.port", 8080), _keda("operator")),
    MetricsService("keda-metrics-apiserver", "keda", "keda",
                   "kedacore/charts v2.20.2 keda/templates/metrics-server/service.yaml",
                   lambda v: _dig(v, "prometheus.metricServer.port", 8080), _keda("metricServer")),
    MetricsService("metrics-server", "metrics", "metrics-server",
                   "kubernetes-sigs/metrics-server metrics-server-helm-chart-3.13.1 templates/service.yaml "
                   "(port https to the secure port, /metrics behind delegated authorization)",
                   lambda v: _dig(v, "containerPort", 10250), _merged("service.annotations"), scheme="https",
                   service_name="kube-system;metrics-server"),
    MetricsService("prometheus-adapter", "prometheus", "prometheus-adapter",
                   "prometheus-community/helm-charts prometheus-adapter-5.3.0 templates/service.yaml (port https)",
                   lambda v: _dig(v, "listenPort", 6443), _merged("service.annotations", "customAnnotations"),
                   scheme="https", service_name="prometheus;prometheus-adapter"),
    # kube-state-metrics-8.4.0 templates/service.yaml: `prometheus.io/scrape: {{ prometheusScrape }}`
    # (default true), one port `http` 8080; a subchart of the prometheus chart, configured under its key.
    MetricsService("kube-state-metrics", "prometheus", "prometheus",
                   "prometheus-community/helm-charts kube-state-metrics-8.4.0 templates/service.yaml",
                   lambda v: 8080,
                   lambda v: {"prometheus.io/scrape": str(_dig(v, "kube-state-metrics.prometheusScrape", True)).lower(),
                              **_merged("kube-state-metrics.service.annotations")(v)}),
)

# The prometheus chart's default job for annotated Services (charts/prometheus/values.yaml at
# prometheus-29.27.0, scrapeConfigs.kubernetes-service-endpoints): keep/drop rules, the scheme from
# prometheus.io/scheme, the port from prometheus.io/port. It sets no tls_config and no token.
DEFAULT_JOB = {
    "relabel_configs": [
        {"source_labels": ["__meta_kubernetes_service_annotation_prometheus_io_scrape"], "action": "keep",
         "regex": "true"},
        {"source_labels": ["__meta_kubernetes_service_annotation_prometheus_io_scrape_slow"], "action": "drop",
         "regex": "true"},
    ],
}


def _meta_label(annotation: str) -> str:
    # Prometheus' Kubernetes discovery: annotation names with every invalid character replaced by `_`.
    return "__meta_kubernetes_service_annotation_" + re.sub(r"[^a-zA-Z0-9_]", "_", annotation)


def _kept(job: dict, annotations: dict[str, str], service_name: str = "") -> bool:
    labels = {_meta_label(key): value for key, value in annotations.items()}
    if service_name:
        labels["__meta_kubernetes_namespace"], labels["__meta_kubernetes_service_name"] = service_name.split(";", 1)
    for rule in job.get("relabel_configs", []):
        if rule.get("action") not in ("keep", "drop"):
            continue
        joined = ";".join(labels.get(name, "") for name in rule["source_labels"])
        matched = re.fullmatch(rule["regex"], joined) is not None
        if matched != (rule["action"] == "keep"):
            return False
    return True


def _charts(synth) -> dict[tuple[str, str], dict]:
    built = synth(CONFIG)
    found = {}
    for stack in {service.stack for service in SERVICES}:
        for resource in built.nested(stack).find_resources(HELM).values():
            if "Values" in resource["Properties"]:  # the CRD charts have none
                found[(stack, resource["Properties"]["Chart"])] = chart_values(resource)
    return found


@pytest.fixture(scope="module")
def charts(synth):
    return _charts(synth)


def _jobs(prometheus_values: dict) -> dict[str, dict]:
    jobs = {"kubernetes-service-endpoints": DEFAULT_JOB}
    jobs.update(prometheus_values.get("scrapeConfigs", {}))
    return jobs


@pytest.mark.parametrize("service", SERVICES, ids=lambda service: service.scaler)
def test_every_scaler_is_scraped_on_its_metrics_port(charts, service):
    values = charts[(service.stack, service.chart)]
    annotations = service.annotations(values)
    jobs = {name: job for name, job in _jobs(charts[("prometheus", "prometheus")]).items()
            if _kept(job, annotations, service.service_name)}
    assert len(jobs) == 1, f"{service.scaler} ({service.source}) is kept by {sorted(jobs) or 'no job'}"
    (name, job), = jobs.items()
    if name == "kubernetes-service-endpoints":
        assert service.scheme == "http", f"{service.scaler}: the default job has no TLS settings for HTTPS"
        port = annotations.get("prometheus.io/port")
        # Without the annotation the job scrapes every port of the Service; kube-state-metrics has one.
        assert port is None or int(port) == service.metrics_port(values)
    else:
        assert job["scheme"] == service.scheme
        assert job["bearer_token_file"].endswith("serviceaccount/token")


def test_cluster_autoscaler_emits_the_node_group_metrics_the_alerts_read(charts):
    assert charts[("cluster_autoscaler", "cluster-autoscaler")]["extraArgs"]["emit-per-nodegroup-metrics"] is True


def test_kube_state_metrics_exports_scaled_object_conditions(charts):
    ksm = charts[("prometheus", "prometheus")]["kube-state-metrics"]
    resource, = ksm["customResourceState"]["config"]["spec"]["resources"]
    assert resource["groupVersionKind"] == {"group": "keda.sh", "version": "v1alpha1", "kind": "ScaledObject"}
    assert {"apiGroups": ["keda.sh"], "resources": ["scaledobjects"], "verbs": ["list", "watch"]} in ksm["rbac"]["extraRules"]


def test_a_service_without_annotations_is_not_scraped(charts):
    jobs = _jobs(charts[("prometheus", "prometheus")])
    assert not any(_kept(job, {}) for job in jobs.values())


@pytest.mark.parametrize("service_name", ["default;metrics-server", "kube-system;anything", "team-a;prometheus-adapter",
                                          "prometheus;prometheus-adapter-evil", "kube-system;metrics-server;x"])
def test_the_token_goes_to_no_other_tls_annotated_service(charts, service_name):
    """Issue 19, item 11: the TLS job presents the server's token without verifying the certificate, so
    it keeps only the two intended Services, whoever else sets the annotation."""
    tls_job = charts[("prometheus", "prometheus")]["scrapeConfigs"]["kubernetes-service-endpoints-tls"]
    assert not _kept(tls_job, {"prometheus.io/scrape-tls": "true"}, service_name)


def test_the_tls_services_are_the_charts_releases(synth):
    """The allow-list names each TLS chart's release and namespace (its Service is named after it)."""
    built = synth(CONFIG)
    releases = {f"{resource['Properties']['Namespace']};{resource['Properties']['Release']}"
                for stack in ("metrics", "prometheus") for resource in built.nested(stack).find_resources(HELM).values()
                if resource["Properties"]["Chart"] in ("metrics-server", "prometheus-adapter")}
    assert releases == set(TLS_SCRAPE_SERVICES)
