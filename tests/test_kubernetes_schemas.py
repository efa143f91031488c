"""Every Kubernetes object of every template validates: built-in kinds against the OpenAPI schema
of the cluster's version (kubernetes-validate, strict), custom resources against their CRDs."""

from __future__ import annotations

import jsonschema
import kubernetes_validate
import pytest

from eks_scaling.versions import MATRIX
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
    config = synth(name).stack.config
    custom = [obj for obj in objects_of(synth(name)) if crds.is_custom(obj)]
    for obj in custom:
        crds.validate(obj, config.cluster.kubernetes_version)
    # Auto Mode's own NodePool (autoModeNodePool) is on Auto Mode's NodeClass, of no CRD the project keeps;
    # the NodePool validates against the pinned Karpenter chart's CRD, the v1 API Auto Mode serves.
    own_pool = {"NodePool"} if config.enable_auto_mode and config.auto_mode_node_pool else set()
    expected = own_pool | ({"NodePool", "EC2NodeClass"} if config.enable_karpenter else set()) | (
        {"ScaledObject"} if config.enable_keda else set()) | (
        {"CapacityBuffer"} if config.headroom.slots and config.headroom.mechanism == "capacity-buffer" else set())
    assert {obj["kind"] for obj in custom} == expected


# Every custom kind the app applies, by API version: each row's pinned CRDs must define it.
APPLIED = {("karpenter.sh/v1", "NodePool"), ("karpenter.k8s.aws/v1", "EC2NodeClass"), ("keda.sh/v1alpha1", "ScaledObject"),
           ("autoscaling.x-k8s.io/v1beta1", "CapacityBuffer")}


@pytest.mark.parametrize("version", list(MATRIX))
def test_the_project_keeps_the_crds_of_every_pinned_version(version):
    for api_version, kind in APPLIED:
        folder = crds.crd_folder({"apiVersion": api_version, "kind": kind}, version)
        assert (api_version, kind) in crds.kinds(folder), f"{folder} lacks {kind}: run make crds"
        assert all(path.read_text().startswith("# From github.com/") for path in folder.glob("*.yaml"))


def test_strict_validation_catches_a_misspelt_field():
    hpa = {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": {"name": "x"},
           "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "x"}, "maxReplicas": 3, "minReplica": 1}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(hpa, "1.35", strict=True)


def test_crd_validation_catches_a_misspelt_field(default):
    node_pool = next(obj for obj in objects_of(default) if obj["kind"] == "NodePool")
    version = default.stack.config.cluster.kubernetes_version
    crds.validate(node_pool, version)
    broken = {**node_pool, "spec": {**node_pool["spec"], "disruptions": node_pool["spec"]["disruption"]}}
    with pytest.raises(jsonschema.ValidationError):
        crds.validate(broken, version)
