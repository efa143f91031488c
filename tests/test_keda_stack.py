"""The KEDA nested stack: the chart, its own podinfo, and the chapter's ScaledObject after KEDA."""

from __future__ import annotations

import pytest

from tests.synth import chart_values, manifest_objects

HELM = "Custom::AWSCDK-EKS-HelmChart"
MANIFEST = "Custom::AWSCDK-EKS-KubernetesResource"


@pytest.fixture(scope="module")
def keda(default):
    return default.nested("keda")


def _objects(template) -> dict[str, tuple[str, dict]]:
    return {f'{obj["kind"]}/{obj["metadata"]["name"]}': (key, obj)
            for key, resource in template.find_resources(MANIFEST).items() for obj in manifest_objects(resource)}


def test_keda_chart(keda):
    (chart,) = keda.find_resources(HELM).values()
    assert chart["Properties"]["Repository"] == "https://kedacore.github.io/charts"
    assert chart["Properties"]["Version"] == "2.20.2"
    assert chart["Properties"]["Namespace"] == "keda"
    assert chart_values(chart) == {"nodeSelector": {"role": "system"}}


def test_scaled_object_is_the_chapters(keda):
    _, scaled = _objects(keda)["ScaledObject/podinfo-keda"]
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
    objects = _objects(keda)
    assert "Deployment/podinfo-keda" in objects
    assert not [name for name in objects if name.startswith("HorizontalPodAutoscaler/")], "KEDA owns its HPA"
    prometheus_targets = {name for name in _objects(default.nested("prometheus")) if name.startswith(
        "HorizontalPodAutoscaler/")}
    assert prometheus_targets == {"HorizontalPodAutoscaler/podinfo"}, "one autoscaler per workload"


def test_scaled_object_after_keda_and_its_target(keda):
    resources = keda.to_json()["Resources"]
    objects = _objects(keda)
    scaled, _ = objects["ScaledObject/podinfo-keda"]
    app, _ = objects["Deployment/podinfo-keda"]
    (chart,) = keda.find_resources(HELM)
    assert sorted(resources[scaled]["DependsOn"]) == sorted([chart, app])
