"""The KEDA nested stack: the chart, its own podinfo, and the chapter's ScaledObject after KEDA."""

from __future__ import annotations

import pytest

from eks_scaling.autoscaling_objects import scaled_object
from eks_scaling.manifests import load_manifest
from eks_scaling.parse_settings import parse_config
from tests.context import with_defaults
from tests.synth import chart_values, manifest_objects_by_name

HELM = "Custom::AWSCDK-EKS-HelmChart"


@pytest.fixture(scope="module")
def keda(default):
    return default.nested("keda")


def test_keda_chart(keda):
    (chart,) = keda.find_resources(HELM).values()
    assert chart["Properties"]["Repository"] == "https://kedacore.github.io/charts"
    assert chart["Properties"]["Version"] == "2.20.2"
    assert chart["Properties"]["Namespace"] == "keda"
    assert chart_values(chart) == {"nodeSelector": {"role": "system"},
                                   "tolerations": [{"key": "CriticalAddonsOnly", "operator": "Exists", "effect": "NoSchedule"}],
                                   "prometheus": {"operator": {"enabled": True}, "metricServer": {"enabled": True}},
                                   # Least privilege (issue 19, item 10): Secrets of its own namespace only,
                                   # no custom scale-target kinds (the ScaledObject targets a Deployment).
                                   "permissions": {"operator": {"restrict": {"secret": True}},
                                                   "metricServer": {"restrict": {"secret": True}}},
                                   "rbac": {"enabledCustomScaledRefKinds": False}}


def test_scaled_object_is_the_chapters(keda):
    _, scaled = manifest_objects_by_name(keda)["ScaledObject/podinfo-keda"]
    spec = scaled["spec"]
    assert scaled["metadata"]["namespace"] == "podinfo-keda"
    assert spec["scaleTargetRef"] == {"name": "podinfo-keda"}
    assert (spec["minReplicaCount"], spec["maxReplicaCount"]) == (2, 10)
    assert (spec["pollingInterval"], spec["cooldownPeriod"]) == (10, 30)
    assert spec["fallback"] == {"failureThreshold": 3, "replicas": 2}
    assert spec["triggers"] == [{"type": "prometheus", "metadata": {
        "serverAddress": "http://prometheus-server.prometheus.svc.cluster.local:80",
        "query": 'sum(rate(http_requests_total{namespace="podinfo-keda",app="podinfo-keda"}[2m]))',
        "threshold": "10",
    }}]


def test_its_own_podinfo_has_no_hpa(keda, default):
    objects = manifest_objects_by_name(keda)
    assert "Deployment/podinfo-keda" in objects
    assert not [name for name in objects if name.startswith("HorizontalPodAutoscaler/")], "KEDA owns its HPA"
    prometheus_targets = {name for name in manifest_objects_by_name(default.nested("prometheus")) if name.startswith(
        "HorizontalPodAutoscaler/")}
    assert prometheus_targets == {"HorizontalPodAutoscaler/podinfo"}, "one autoscaler per workload"


def test_scaled_object_after_keda_and_its_target(keda):
    resources = keda.to_json()["Resources"]
    objects = manifest_objects_by_name(keda)
    scaled, _ = objects["ScaledObject/podinfo-keda"]
    app, _ = objects["Deployment/podinfo-keda"]
    (chart,) = keda.find_resources(HELM)
    assert sorted(resources[scaled]["DependsOn"]) == sorted([chart, app])


def _at_zero_triggers():
    config = parse_config(with_defaults({"kedaMinReplicas": "0", "loadGenerators": "true"}))
    return scaled_object(config.scaling_behavior, name="podinfo-keda", namespace="podinfo-keda",
                         prometheusUrl="u")["spec"]["triggers"]


def test_at_zero_the_requests_trigger_leaves_out_the_probes():
    """podinfo labels its request histogram with the route (pkg/api/http/metrics.go urlToLabel: "/readyz" ->
    "readyz"); every probe of its Deployment must be left out, or the trigger never falls to zero."""
    deployment = next(obj for obj in load_manifest("podinfo", name="n", namespace="n", image="i", nodeSelector={},
                                                   tolerations=[]) if obj["kind"] == "Deployment")
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    probes = {container[probe]["httpGet"]["path"].strip("/") for probe in ("readinessProbe", "livenessProbe")}
    query = _at_zero_triggers()[0]["metadata"]["query"]
    assert "http_request_duration_seconds_count" in query
    assert probes and all(path in query.split('path!~"')[1].split('"')[0].split("|") for path in probes)


def test_at_zero_a_trigger_that_does_not_need_podinfo_keda_brings_it_back():
    """At zero replicas podinfo-keda has no pod whose requests Prometheus could count."""
    triggers = _at_zero_triggers()
    waking = [trigger for trigger in triggers if 'app="podinfo-keda"' not in trigger["metadata"]["query"]]
    assert len(triggers) == 2 and len(waking) == 1
    assert float(waking[0]["metadata"]["threshold"]) > 1  # it asks for one replica, no more
