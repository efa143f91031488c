"""`cdk destroy` leaves nothing behind: the deletion order for every capability that creates cloud
resources from inside the cluster (Karpenter's instances, the CSI driver's volumes), and no load balancer."""

from __future__ import annotations

import pytest

from tests.synth import CONFIGS, manifest_objects

MANIFEST = "Custom::AWSCDK-EKS-KubernetesResource"
HELM = "Custom::AWSCDK-EKS-HelmChart"


def _key(resources: dict, predicate) -> str:
    return next(key for key, resource in resources.items() if predicate(resource))


@pytest.mark.parametrize("name", list(CONFIGS))
def test_capabilities_go_before_the_cluster_and_its_kubectl_provider(synth, name):
    result = synth(name)
    # On an existing cluster, the kubectl provider's access entry (cdk_constructs/existing_cluster.py).
    ready = "ClusterKubectlAccess" if result.stack.config.existing_cluster else "ClusterKubectlReadyBarrier"
    for key, stack in result.template.find_resources("AWS::CloudFormation::Stack").items():
        assert any(dependency.startswith(ready) for dependency in stack["DependsOn"]), key


@pytest.mark.parametrize("name", ["default", "k8s-1.36-both-arm-public"])  # the latter with its Spot NodePool
def test_karpenter_terminates_its_instances_before_it_goes(synth, name):
    resources = synth(name).nested("karpenter").to_json()["Resources"]
    node_pools = [key for key, r in resources.items()
                  if r["Type"] == MANIFEST and "NodePool" in str(r["Properties"]["Manifest"])]
    controller = _key(resources, lambda r: r["Type"] == HELM and r["Properties"]["Chart"] == "karpenter")
    access = _key(resources, lambda r: r["Type"] == "AWS::EKS::AccessEntry")
    # Deleted first: the controller (and the nodes' access) still run while finalizers drain the nodes.
    assert len(node_pools) == (2 if name != "default" else 1)
    for node_pool in node_pools:
        assert {controller, access} <= set(resources[node_pool]["DependsOn"])


def test_volumes_are_deleted_while_the_csi_driver_runs(default):
    resources = default.nested("prometheus").to_json()["Resources"]
    addon = _key(resources, lambda r: r["Type"] == "AWS::EKS::Addon")
    storage = _key(resources, lambda r: r["Type"] == MANIFEST and "PersistentVolumeClaim" in str(r["Properties"]["Manifest"]))
    chart = _key(resources, lambda r: r["Type"] == HELM and r["Properties"]["Chart"] == "prometheus")
    wait = _key(resources, lambda r: r["Type"] == "Custom::EbsVolumesGone")
    # Claims (ours and the chart's) go before the wait for their volumes, the wait before the driver.
    assert wait in resources[storage]["DependsOn"] and addon in resources[wait]["DependsOn"]
    assert storage in resources[chart]["DependsOn"]


@pytest.mark.parametrize("name", list(CONFIGS))
def test_nothing_asks_for_a_load_balancer(synth, name):
    for template in synth(name).template_files().values():
        for resource in template["Resources"].values():
            if resource["Type"] != MANIFEST:
                continue
            for obj in manifest_objects(resource):
                assert obj["kind"] != "Ingress"
                assert obj.get("spec", {}).get("type") not in ("LoadBalancer", "NodePort"), obj["metadata"]
