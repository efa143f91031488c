"""Fargate: the fargateWorkloads setting and what it refuses, what Fargate refuses in a pod, how it sizes
one (EKS user guide), and the profile, its role and the demos' placement in the synthesized `fargate`
configuration."""

from __future__ import annotations

import json

import pytest

from eks_scaling.fargate import (FARGATE_CONFIGURATIONS, FARGATE_PLACEMENT, FARGATE_WORKLOADS, fargate_problems,
                                 fargate_size, pod_requests)
from eks_scaling.parse_settings import parse_config
from eks_scaling.setting_parsers import ConfigError
from tests.context import with_defaults
from tests.synth import manifest_objects, resolve

PROFILE = "AWS::EKS::FargateProfile"


def parse(**overrides):
    return parse_config(with_defaults(overrides))


def test_no_demo_runs_on_fargate_by_default(default):
    assert parse().fargate_workloads == ()
    default.template.resource_count_is(PROFILE, 0)


def test_accepts_each_demo_fargate_can_run():
    assert parse(fargateWorkloads="php-apache,podinfo-keda").fargate_workloads == ("php-apache", "podinfo-keda")
    assert parse(fargateWorkloads=["podinfo"]).fargate_workloads == ("podinfo",)


@pytest.mark.parametrize("overrides, message", [
    ({"fargateWorkloads": "inflate"}, "inflate cannot run on Fargate: it exists to make Karpenter add EC2 nodes"),
    ({"fargateWorkloads": "tester"}, "tester cannot run on Fargate: it exists to make Cluster Autoscaler add"),
    ({"fargateWorkloads": "prometheus"}, "its server and alertmanager mount EBS volumes"),
    ({"fargateWorkloads": "node-exporter"}, "it is a DaemonSet, and Fargate runs no DaemonSets"),
    ({"fargateWorkloads": "nginx"}, "'nginx' is not a demo of this app; allowed: php-apache, podinfo, podinfo-keda"),
    ({"fargateWorkloads": "podinfo,podinfo"}, "the list has duplicates"),
    ({"fargateWorkloads": "php-apache", "enableMetricsServer": "false"},
     "php-apache is deployed only with enableMetricsServer=true"),
    ({"fargateWorkloads": "podinfo-keda", "enableKeda": "false"}, "podinfo-keda is deployed only with enableKeda=true"),
])
def test_refuses_what_fargate_cannot_run_with_the_reason(overrides, message):
    with pytest.raises(ConfigError, match="invalid setting fargateWorkloads=") as error:
        parse(**overrides)
    assert message in str(error.value)


def test_the_amd64_only_php_apache_may_run_on_fargate_beside_graviton_nodes():
    graviton = {"karpenterInstanceTypes": "m7g.large"}
    with pytest.raises(ConfigError, match="php-apache runs there"):
        parse(**graviton)
    assert parse(**graviton, fargateWorkloads="php-apache").karpenter.instance_types == ("m7g.large",)


def _deployment(**pod):
    container = {"name": "app", "image": "x", "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}}}
    spec = {"containers": [container], **pod}
    return {"kind": "Deployment", "metadata": {"name": "app"}, "spec": {"template": {"spec": spec}}}


@pytest.mark.parametrize("obj, problem", [
    ({**_deployment(), "kind": "DaemonSet"}, "DaemonSet app is a DaemonSet"),
    (_deployment(hostNetwork=True), "Deployment app uses the host network"),
    (_deployment(volumes=[{"name": "data", "persistentVolumeClaim": {"claimName": "data"}}]),
     "Deployment app mounts a persistentVolumeClaim volume"),
    (_deployment(volumes=[{"name": "root", "hostPath": {"path": "/"}}]), "Deployment app mounts a hostPath volume"),
    (_deployment(containers=[{"name": "c", "securityContext": {"privileged": True},
                              "resources": {"requests": {"cpu": "1", "memory": "1Gi"}}}]),
     "Deployment app container c is privileged"),
    (_deployment(containers=[{"name": "c", "ports": [{"containerPort": 80, "hostPort": 80}],
                              "resources": {"requests": {"cpu": "1", "memory": "1Gi"}}}]),
     "Deployment app container c uses a host port"),
    (_deployment(containers=[{"name": "c", "resources": {"requests": {"cpu": "1"}}}]),
     "Deployment app container c requests no cpu or no memory"),
    (_deployment(initContainers=[{"name": "init"}]), "Deployment app container init requests no cpu or no memory"),
])
def test_each_thing_fargate_refuses_in_a_pod_is_found(obj, problem):
    assert fargate_problems([_deployment()]) == []
    assert [found for found in fargate_problems([obj]) if found.startswith(problem)], fargate_problems([obj])


@pytest.mark.parametrize("name", list(FARGATE_WORKLOADS))
def test_every_demo_fargate_may_run_is_a_pod_fargate_runs(name):
    assert fargate_problems(FARGATE_WORKLOADS[name].objects()) == []


def test_the_configurations_are_the_user_guides_table():
    by_cpu: dict[int, list[int]] = {}
    for cpu, memory in FARGATE_CONFIGURATIONS:
        by_cpu.setdefault(cpu, []).append(memory)
    assert {cpu: (min(m) / 1024, max(m) / 1024, len(m)) for cpu, m in by_cpu.items()} == {
        250: (0.5, 2, 3), 500: (1, 4, 4), 1000: (2, 8, 7), 2000: (4, 16, 13), 4000: (8, 30, 23),
        8000: (16, 60, 12), 16000: (32, 120, 12)}


@pytest.mark.parametrize("requests, size", [
    ((0, 0), (250, 512)),            # no requests: the smallest configuration
    ((200, 128), (250, 512)),        # php-apache: 128 MiB + 256 MiB fits 0.5 GB
    ((200, 300), (250, 1024)),       # 556 MiB: the next memory step
    ((1000, 8192), (2000, 9216)),    # the guide's example: 1 vCPU 8 GB + 256 MB -> 2 vCPU 9 GB
    ((16000, 120 * 1024), None),     # + 256 MB is more than Fargate's largest pod
])
def test_a_pod_gets_the_next_configuration_above_its_requests_plus_256_mb(requests, size):
    assert fargate_size(*requests) == size


def test_the_larger_of_init_and_long_running_requests_sizes_the_pod():
    init = {"name": "init", "resources": {"requests": {"cpu": "2", "memory": "256Mi"}}}
    running = [{"name": n, "resources": {"requests": {"cpu": "250m", "memory": "1Gi"}}} for n in ("a", "b")]
    assert pod_requests({"initContainers": [init], "containers": running}) == (2000, 2048)


def test_the_profile_selects_each_fargate_demo_by_namespace_and_labels_in_private_subnets(synth):
    result = synth("fargate")
    profiles = result.template.find_resources(PROFILE)
    (profile,) = profiles.values()
    selectors = {s["Namespace"]: {label["Key"]: label["Value"] for label in s["Labels"]}
                 for s in profile["Properties"]["Selectors"]}
    assert selectors == {"php-apache": {"run": "php-apache"}, "podinfo": {"app": "podinfo"},
                         "podinfo-keda": {"app": "podinfo-keda"}}
    assert "FargateProfileName" not in profile["Properties"]  # create-only: a change replaces it, unnamed
    private = {ref["Ref"] for ref in profile["Properties"]["Subnets"]}
    assert private and all("PrivateSubnet" in subnet for subnet in private)


def test_the_pod_execution_role_trusts_only_this_clusters_fargate_profiles(synth):
    result = synth("fargate")
    (profile,) = result.template.find_resources(PROFILE).values()
    role_id = profile["Properties"]["PodExecutionRoleArn"]["Fn::GetAtt"][0]
    role = result.template.find_resources("AWS::IAM::Role")[role_id]["Properties"]
    (statement,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Principal"] == {"Service": "eks-fargate-pods.amazonaws.com"}
    assert resolve(statement["Condition"]["ArnLike"]["aws:SourceArn"]).endswith(":fargateprofile/eks-scaling/*")
    assert [resolve(arn) for arn in role["ManagedPolicyArns"]] == [
        "arn:REF:AWS::Partition:iam::aws:policy/AmazonEKSFargatePodExecutionRolePolicy"]


def test_each_demo_on_fargate_deploys_after_the_profile(synth):
    result = synth("fargate")
    (profile_id,) = result.template.find_resources(PROFILE)
    nested = {key: resource for key, resource in result.template.find_resources("AWS::CloudFormation::Stack").items()}
    for capability in ("Metrics", "Prometheus", "Keda"):
        (stack,) = [resource for key, resource in nested.items() if key.startswith(capability)]
        assert profile_id in stack["DependsOn"], capability
    (karpenter,) = [resource for key, resource in nested.items() if key.startswith("Karpenter")]
    assert profile_id not in karpenter.get("DependsOn", [])


def _matches(selector: dict, namespace: str, labels: dict) -> bool:
    return selector["Namespace"] == namespace and all(
        labels.get(label["Key"]) == label["Value"] for label in selector.get("Labels", []))


def test_a_pod_selects_fargate_exactly_when_a_profile_takes_it(synth):
    """A profile takes pods by namespace and labels: those must select Fargate's nodes, and no other pod
    (the load generators share the demos' namespaces and stay on Karpenter's nodes)."""
    result = synth("fargate")
    (profile,) = result.template.find_resources(PROFILE).values()
    selectors = profile["Properties"]["Selectors"]
    on_fargate = []
    for template in result.template_files().values():
        for resource in template["Resources"].values():
            if resource["Type"] != "Custom::AWSCDK-EKS-KubernetesResource":
                continue
            for obj in manifest_objects(resource):
                if obj["kind"] != "Deployment":
                    continue
                pod = obj["spec"]["template"]
                taken = any(_matches(s, obj["metadata"]["namespace"], pod["metadata"]["labels"]) for s in selectors)
                selects = pod["spec"]["nodeSelector"].items() >= FARGATE_PLACEMENT.node_selector.items()
                assert taken == selects, json.dumps(obj["metadata"])
                on_fargate += [obj["metadata"]["name"]] if taken else []
    assert sorted(on_fargate) == ["php-apache", "podinfo", "podinfo-keda"]

