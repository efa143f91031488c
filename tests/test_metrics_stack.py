"""The metrics nested stack: metrics-server, php-apache and its CPU HPA, and their order."""

from __future__ import annotations

import json

from aws_cdk.assertions import Match

from tests.synth import manifest_objects

HELM = "Custom::AWSCDK-EKS-HelmChart"
MANIFEST = "Custom::AWSCDK-EKS-KubernetesResource"


def _only(resources: dict) -> tuple[str, dict]:
    assert len(resources) == 1, resources.keys()
    return next(iter(resources.items()))


def test_metrics_server_chart(default):
    template = default.nested("metrics")
    template.has_resource_properties(HELM, {
        "Chart": "metrics-server",
        "Repository": "https://kubernetes-sigs.github.io/metrics-server/",
        "Version": "3.13.1",
        "Namespace": "kube-system",
        "Release": "metrics-server",
        "Wait": True,
    })
    _, chart = _only(template.find_resources(HELM))
    values = json.loads(chart["Properties"]["Values"])
    assert values["replicas"] == 2
    assert values["podDisruptionBudget"] == {"enabled": True, "minAvailable": 1}
    assert values["nodeSelector"] == {"role": "system"}
    assert values["topologySpreadConstraints"][0]["topologyKey"] == "kubernetes.io/hostname"


def test_metrics_server_is_the_only_kubernetes_object_outside_the_nested_stack(default):
    # Rule 3: Kubernetes objects live in the nested stack, not in the parent.
    assert not default.template.find_resources(HELM)
    assert not default.template.find_resources(MANIFEST)


def test_php_apache_hpa_spec(default):
    manifests = default.nested("metrics").find_resources(MANIFEST)
    hpas = [obj for resource in manifests.values() for obj in manifest_objects(resource)
            if obj["kind"] == "HorizontalPodAutoscaler"]
    assert len(hpas) == 1
    hpa = hpas[0]
    assert hpa["apiVersion"] == "autoscaling/v2"
    assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "php-apache"}
    assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (1, 10)
    assert hpa["spec"]["metrics"] == [{"type": "Resource", "resource": {
        "name": "cpu", "target": {"type": "Utilization", "averageUtilization": 50}}}]


def test_php_apache_deployment(default):
    manifests = default.nested("metrics").find_resources(MANIFEST)
    deployment = next(obj for resource in manifests.values() for obj in manifest_objects(resource)
                      if obj["kind"] == "Deployment")
    pod = deployment["spec"]["template"]["spec"]
    container = pod["containers"][0]
    assert container["image"] == ("registry.k8s.io/hpa-example:latest"
                                  "@sha256:581697a37f0e136db86d6b30392f0db40ce99c8248a7044c770012f4e8491544")
    # amd64 only, on Karpenter's nodes (which it launches for it).
    assert pod["nodeSelector"] == {"type": "karpenter", "kubernetes.io/arch": "amd64"}
    assert container["resources"] == {"requests": {"cpu": "200m", "memory": "128Mi"}, "limits": {"cpu": "500m"}}


def test_hpa_is_applied_after_metrics_server_and_its_target(default):
    template = default.nested("metrics")
    chart_id, _ = _only(template.find_resources(HELM))
    manifests = template.find_resources(MANIFEST)
    hpa_id = next(key for key, resource in manifests.items()
                  if manifest_objects(resource)[0]["kind"] == "HorizontalPodAutoscaler")
    app_id = next(key for key in manifests if key != hpa_id)
    assert sorted(manifests[hpa_id]["DependsOn"]) == sorted([chart_id, app_id])


def test_nested_stack_waits_for_the_kubectl_provider_and_the_system_nodes(default):
    default.template.has_resource("AWS::CloudFormation::Stack", {
        "DependsOn": Match.array_with([
            Match.string_like_regexp("^ClusterKubectlReadyBarrier"),
            Match.string_like_regexp("^SystemNodesNodegroup[0-9A-F]+$"),
        ]),
    })


def test_metrics_can_be_disabled(synth):
    result = synth("k8s-1.34-env-private")
    assert result.stack.metrics is None
    result.template.resource_count_is("AWS::CloudFormation::Stack", 0)
