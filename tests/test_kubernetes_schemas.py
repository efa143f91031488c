"""Every Kubernetes object of every template validates: built-in kinds against the OpenAPI schema
of the cluster's version (kubernetes-validate, strict), custom resources against their CRDs."""

from __future__ import annotations

import jsonschema
import kubernetes_validate
import pytest

from tests import crds
from tests.synth import CONFIGS, manifest_objects, show_reference

MANIFEST = "Custom::AWSCDK-EKS-KubernetesResource"


def deployed_value(reference: dict) -> str:
    """What a reference resolves to at deploy time, in the form the schemas check."""
    return "sg-0123456789abcdef0" if "SecurityGroupId" in show_reference(reference) else "resolved-at-deploy"


def objects_of(result):
    return [obj for template in result.template_files().values()
            for resource in template.get("Resources", {}).values() if resource["Type"] == MANIFEST
            for obj in manifest_objects(resource, deployed_value)]


@pytest.mark.parametrize("name", list(CONFIGS))
def test_builtin_objects_validate_strictly(synth, name):
    result = synth(name)
    version = result.stack.config.cluster.kubernetes_version
    builtin = [obj for obj in objects_of(result) if not crds.is_custom(obj)]
    if result.stack.config.enable_metrics_server:
        assert builtin, "the metrics stack deploys Kubernetes objects"
    for obj in builtin:
        kubernetes_validate.validate(obj, version, strict=True)


@pytest.mark.parametrize("name", list(CONFIGS))
def test_custom_resources_validate_against_their_crds(synth, name):
    custom = [obj for obj in objects_of(synth(name)) if crds.is_custom(obj)]
    for obj in custom:
        if not crds.crd_folder(obj).is_dir():
            pytest.skip(f"{crds.crd_folder(obj)} is absent: no CRDs to validate {obj['kind']} against")
        crds.validate(obj)
    config = synth(name).stack.config
    expected = ({"NodePool", "EC2NodeClass"} if config.enable_karpenter else set()) | (
        {"ScaledObject"} if config.enable_keda else set())
    assert {obj["kind"] for obj in custom} == expected


def test_strict_validation_catches_a_misspelt_field():
    hpa = {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": {"name": "x"},
           "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "x"}, "maxReplicas": 3, "minReplica": 1}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(hpa, "1.35", strict=True)


def test_crd_validation_catches_a_misspelt_field(default):
    node_pool = next(obj for obj in objects_of(default) if obj["kind"] == "NodePool")
    if not crds.crd_folder(node_pool).is_dir():
        pytest.skip(f"{crds.crd_folder(node_pool)} is absent")
    broken = {**node_pool, "spec": {**node_pool["spec"], "disruptions": node_pool["spec"]["disruption"]}}
    with pytest.raises(jsonschema.ValidationError):
        crds.validate(broken)
