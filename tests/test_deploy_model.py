"""The deploy model (tests/deploy_model.py) on the updates that broke live deployments, on pairs of
settings that interact, and its rules one by one on small templates. test_update_safety.py runs it over
every setting change of its table, both ways."""

from __future__ import annotations

import json

import pytest

from tests.deploy_model import convergence
from tests.test_update_safety import CHANGED, NOT_IN_PLACE
from tests.update_safety import HELM, MANIFEST


@pytest.fixture(scope="module")
def changed(update_synth):
    return lambda name: update_synth(CHANGED[name]) if name != "base" else update_synth({})


# Pairs that interact, as updates between the table's configurations (both ways): headroom's mechanism
# switched while headroom is on; Spot and Cluster Autoscaler dropped together; the identity and the node
# autoscaler changed together.
PAIRS = [("headroom", "headroomMechanism"), ("karpenterCapacityTypes", "nodeAutoscaler"),
         ("workloadIdentity", "nodeAutoscaler")]


@pytest.mark.parametrize(("old", "new"), PAIRS + [(new, old) for old, new in PAIRS])
def test_interacting_settings_converge(changed, old, new):
    assert convergence(changed(old), changed(new)) == []


def test_a_cluster_rename_is_no_update_and_the_model_shows_why(changed):
    """docs/settings.md says to destroy and deploy again; in place, the old cluster keeps everything."""
    found = convergence(changed("base"), changed("clusterName"))
    assert any("nothing deletes its objects from eks-scaling" in line for line in found)
    assert any("orphaned" in line for line in found)
    assert set(NOT_IN_PLACE) == {"clusterName"}


# The model's rules, each on the smallest templates that show it.
CLUSTER = {"Type": "AWS::EKS::Cluster", "Properties": {"Name": "c1", "RoleArn": "arn:aws:iam::1:role/r",
                                                      "ResourcesVpcConfig": {"SubnetIds": ["s-1"]}}}


def _manifest(*objects):
    return {"Type": MANIFEST, "DependsOn": ["Cluster"],
            "Properties": {"ClusterName": {"Ref": "Cluster"}, "Manifest": list(objects)}}


def _object(kind, name, namespace=None, **spec):
    metadata = {"name": name, **({"namespace": namespace} if namespace else {})}
    return {"apiVersion": "v1", "kind": kind, "metadata": metadata, **({"spec": spec} if spec else {})}


def _stack(**resources):
    """A template of a cluster and these resources; each manifest labelled by its id, as the CDK does."""
    for key, resource in resources.items():
        properties = resource["Properties"]
        if resource["Type"] == MANIFEST and not isinstance(properties["Manifest"], str):
            properties["PruneLabel"] = f"aws.cdk.eks/prune-{key}"
            for obj in properties["Manifest"]:
                obj["metadata"].setdefault("labels", {})[properties["PruneLabel"]] = ""
            properties["Manifest"] = json.dumps(properties["Manifest"])
    return {"Stack.template.json": {"Resources": {"Cluster": CLUSTER, **resources}}}


def test_a_new_resource_creating_an_existing_object_fails_already_exists():
    """The new resource goes first here (the ids sort so); CloudFormation may run the two in parallel."""
    old = _stack(Old=_manifest(_object("Namespace", "ns"), _object("Deployment", "a", "ns")))
    new = _stack(Old=_manifest(_object("Deployment", "a", "ns")), New=_manifest(_object("Namespace", "ns")))
    assert any("kubectl create: Namespace ns AlreadyExists (owned by Old)" in line for line in convergence(old, new))
    assert convergence(old, old) == []


@pytest.mark.parametrize(("kind", "pruned"), [("Deployment", True), ("NodePool", False)])
def test_apply_prunes_only_kubectls_default_allowlist(kind, pruned):
    namespace = "ns" if kind == "Deployment" else None
    old = _stack(A=_manifest(_object("Deployment", "keep", "ns"), _object(kind, "gone", namespace)))
    new = _stack(A=_manifest(_object("Deployment", "keep", "ns")))
    found = convergence(old, new)
    assert found == ([] if pruned else [f"{kind} gone: stale (left by A; a fresh deploy has none)"])


def test_a_delete_takes_the_namespace_and_everything_in_it():
    old = _stack(A=_manifest(_object("Namespace", "ns")), B=_manifest(_object("Deployment", "b", "ns")))
    new = _stack(B=_manifest(_object("Deployment", "b", "ns")))
    assert "Deployment ns/b: missing (a fresh deploy has it from B)" in convergence(old, new)


def test_a_karpenter_object_deleted_after_karpenter_cannot_finish():
    chart = {"Type": HELM, "DependsOn": ["Cluster"], "Properties": {
        "ClusterName": {"Ref": "Cluster"}, "Release": "karpenter", "Chart": "karpenter", "Namespace": "kube-system"}}
    ordered = _manifest(_object("NodePool", "p"))
    ordered["DependsOn"] = ["Cluster", "Karpenter"]
    assert convergence(_stack(Karpenter=chart, APool=ordered), _stack()) == []  # deleted before its controller
    unordered = _manifest(_object("NodePool", "p"))  # nothing orders it: here deleted after Karpenter
    (found,) = convergence(_stack(Karpenter=chart, APool=unordered), _stack())
    assert "kubectl delete NodePool p cannot finish" in found


def test_a_replaced_subnet_must_not_reuse_a_live_cidr():
    def subnet(zone, cidr):
        return _stack(Subnet={"Type": "AWS::EC2::Subnet", "Properties": {
            "VpcId": "vpc-1", "CidrBlock": cidr, "AvailabilityZone": zone}})
    (found,) = convergence(subnet("eu-west-1b", "10.0.1.0/24"), subnet("eu-west-1c", "10.0.1.0/24"))
    assert "CIDR 10.0.1.0/24 overlaps live subnet" in found
    assert convergence(subnet("eu-west-1b", "10.0.1.0/24"), subnet("eu-west-1c", "10.0.2.0/24")) == []


def test_a_changed_service_account_identity_needs_a_new_pod_template():
    def stack(irsa, annotations):
        account = _object("ServiceAccount", "karpenter", "kube-system")
        account["metadata"]["annotations"] = {"eks.amazonaws.com/role-arn": "arn:role"} if irsa else {}
        values = {"serviceAccount": {"name": "karpenter"}, "podAnnotations": annotations}
        return _stack(Account=_manifest(account), Chart={"Type": HELM, "DependsOn": ["Cluster"], "Properties": {
            "ClusterName": {"Ref": "Cluster"}, "Release": "karpenter", "Chart": "karpenter",
            "Namespace": "kube-system", "Values": json.dumps(values)}})
    assert convergence(stack(False, {}), stack(True, {})) == [
        "HelmRelease karpenter: the credentials of service account kube-system/karpenter change, its pod "
        "template does not"]
    assert convergence(stack(False, {"h": "1"}), stack(True, {"h": "2"})) == []
