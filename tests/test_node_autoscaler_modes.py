"""nodeAutoscaler modes: which nested stacks exist, the demo workloads, and their teardown order."""

from __future__ import annotations

import pytest

from eks_scaling.placement import tolerating
from stacks.karpenter_stack import DEDICATED_TAINT
from tests.synth import manifest_objects

MANIFEST = "Custom::AWSCDK-EKS-KubernetesResource"


@pytest.mark.parametrize(("name", "karpenter", "cluster_autoscaler"), [
    ("default", True, False),
    ("k8s-1.33-ca-irsa", False, True),
    ("k8s-1.36-both-arm-public", True, True),
    ("k8s-1.34-env-private", False, False),
])
def test_mode_decides_the_nested_stacks(synth, name, karpenter, cluster_autoscaler):
    stack = synth(name).stack
    assert (stack.karpenter is not None, stack.cluster_autoscaler is not None) == (karpenter, cluster_autoscaler)
    assert (stack.workloads is not None) == (karpenter or cluster_autoscaler)


def _deployments(result) -> dict[str, dict]:
    """The workloads stack's Deployments, by namespace/name."""
    manifests = result.nested("workloads").find_resources(MANIFEST)
    return {obj["metadata"]["name"] if obj["metadata"]["namespace"] == "default"
            else f'{obj["metadata"]["namespace"]}/{obj["metadata"]["name"]}': obj
            for resource in manifests.values() for obj in manifest_objects(resource) if obj["kind"] == "Deployment"}


def test_inflate_demo_runs_only_on_karpenter_nodes(default):
    deployments = _deployments(default)
    assert set(deployments) == {"inflate"}
    inflate = deployments["inflate"]
    assert inflate["spec"]["replicas"] == 0
    pod = inflate["spec"]["template"]["spec"]
    assert pod["nodeSelector"] == {"type": "karpenter"}
    assert pod["containers"][0]["image"] == "public.ecr.aws/eks-distro/kubernetes/pause:3.7"
    assert pod["containers"][0]["resources"] == {"requests": {"memory": "1Gi"}}


def test_inflate_tolerates_the_both_mode_taint(synth):
    pod = _deployments(synth("k8s-1.36-both-arm-public"))["inflate"]["spec"]["template"]["spec"]
    assert tolerating(DEDICATED_TAINT) in pod["tolerations"]
    assert _deployments(synth("k8s-1.36-both-arm-public"))["inflate"]["spec"]["replicas"] == 5


def test_tester_demo_runs_on_the_cluster_autoscaler_node_group(synth):
    deployments = _deployments(synth("k8s-1.33-ca-irsa"))
    assert "inflate" not in deployments
    tester = deployments["tester"]
    assert tester["spec"]["replicas"] == 150
    pod = tester["spec"]["template"]["spec"]
    assert pod["nodeSelector"] == {"role": "ca-workers"}
    assert pod["containers"][0]["image"].startswith("public.ecr.aws/nginx/nginx:")
    assert pod["tolerations"] == [], "the tester must never land on Karpenter's tainted nodes"


def test_demos_are_deleted_before_their_autoscalers(synth):
    stacks = synth("k8s-1.36-both-arm-public").template.find_resources("AWS::CloudFormation::Stack")
    workloads = next(stack for key, stack in stacks.items() if key.startswith("WorkloadsNestedStack"))
    autoscalers = {key for key in stacks if key.startswith(("KarpenterNestedStack", "ClusterAutoscalerNestedStack"))}
    assert len(autoscalers) == 2
    assert autoscalers <= set(workloads["DependsOn"])


def test_load_generators_hit_each_deployed_demo(synth, default):
    deployments = _deployments(synth("k8s-1.33-ca-irsa"))
    generators = {name: obj for name, obj in deployments.items() if name.endswith("/load-generator")}
    assert set(generators) == {"php-apache/load-generator", "podinfo/load-generator", "podinfo-keda/load-generator"}
    loops = {name: obj["spec"]["template"]["spec"]["containers"][0] for name, obj in generators.items()}
    assert {loop["image"] for loop in loops.values()} == {"public.ecr.aws/docker/library/busybox:1.37"}
    assert loops["php-apache/load-generator"]["command"] == [
        "/bin/sh", "-c", "while sleep 0.01; do wget -q -O- http://php-apache; done"]
    assert "http://podinfo:9898" in loops["podinfo/load-generator"]["command"][2]
    assert "http://podinfo-keda:9898" in loops["podinfo-keda/load-generator"]["command"][2]
    assert not [name for name in _deployments(default) if name.endswith("load-generator")], "off by default"


def test_load_generators_go_before_their_targets(synth):
    stacks = synth("k8s-1.33-ca-irsa").template.find_resources("AWS::CloudFormation::Stack")
    workloads = next(stack for key, stack in stacks.items() if key.startswith("WorkloadsNestedStack"))
    targets = {key for key in stacks if key.startswith(("MetricsNestedStack", "PrometheusNestedStack", "KedaNestedStack"))}
    assert len(targets) == 3
    assert targets <= set(workloads["DependsOn"])
