"""Every Kubernetes object of every template validates against its cluster version's OpenAPI schema."""

from __future__ import annotations

import kubernetes_validate
import pytest

from tests.synth import CONFIGS, manifest_objects

MANIFEST = "Custom::AWSCDK-EKS-KubernetesResource"


@pytest.mark.parametrize("name", list(CONFIGS))
def test_objects_validate_strictly(synth, name):
    result = synth(name)
    version = result.stack.config.cluster.kubernetes_version
    objects = [obj for template in result.template_files().values()
               for resource in template.get("Resources", {}).values() if resource["Type"] == MANIFEST
               for obj in manifest_objects(resource)]
    if result.stack.config.enable_metrics_server:
        assert objects, "the metrics stack deploys Kubernetes objects"
    for obj in objects:
        kubernetes_validate.validate(obj, version, strict=True)


def test_strict_validation_catches_a_misspelt_field():
    hpa = {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": {"name": "x"},
           "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "x"}, "maxReplicas": 3, "minReplica": 1}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(hpa, "1.35", strict=True)
