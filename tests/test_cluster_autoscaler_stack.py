"""The Cluster Autoscaler nested stack: its node group, its tag-scoped identity, and the chart."""

from __future__ import annotations

import pytest
from aws_cdk.assertions import Match

from cdk_constructs.cluster_autoscaler import DESCRIBE_ACTIONS
from tests.synth import chart_values

HELM = "Custom::AWSCDK-EKS-HelmChart"


@pytest.fixture(scope="module")
def both(synth):
    return synth("k8s-1.36-both-arm-public").nested("cluster_autoscaler")


@pytest.fixture(scope="module")
def irsa(synth):
    return synth("k8s-1.33-ca-irsa").nested("cluster_autoscaler")


def _policy_statements(template) -> dict[str, dict]:
    policies = template.find_resources("AWS::IAM::Policy")
    assert len(policies) == 1
    return {s["Sid"]: s for s in next(iter(policies.values()))["Properties"]["PolicyDocument"]["Statement"]}


def nodegroup_name(template) -> str:
    (group,) = template.find_resources("AWS::EKS::Nodegroup").values()
    return group["Properties"]["NodegroupName"]


def test_its_own_node_group(irsa):
    irsa.has_resource_properties("AWS::EKS::Nodegroup", {
        "NodegroupName": Match.string_like_regexp(r"^ca-workers-[0-9a-f]{8}$"),
        "Labels": {"role": "ca-workers"},
        "AmiType": "AL2023_x86_64_STANDARD",
        "InstanceTypes": ["m5.large"],
        "ScalingConfig": {"MinSize": 1, "DesiredSize": 1, "MaxSize": 5},
    })
    irsa.has_resource_properties("AWS::EC2::LaunchTemplate", {"LaunchTemplateData": Match.object_like({
        "MetadataOptions": {"HttpTokens": "required", "HttpPutResponseHopLimit": 1}})})


def test_scaling_actions_only_on_its_tagged_node_group(irsa):
    scale = _policy_statements(irsa)["ScaleOwnNodeGroupOnly"]
    assert sorted(scale["Action"]) == ["autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup"]
    assert scale["Condition"] == {"StringEquals": {
        "autoscaling:ResourceTag/k8s.io/cluster-autoscaler/enabled": "true",
        "aws:ResourceTag/k8s.io/cluster-autoscaler/eks-scaling": "owned",
        "aws:ResourceTag/eks:nodegroup-name": nodegroup_name(irsa),
    }}
    assert "autoScalingGroupName/*" in scale["Resource"]["Fn::Join"][1][-1]


def test_describe_actions_are_upstreams_recommended_list(irsa):
    describe = _policy_statements(irsa)["DescribeForAutoDiscovery"]
    assert sorted(describe["Action"]) == sorted(DESCRIBE_ACTIONS)
    assert {"ec2:DescribeImages", "ec2:GetInstanceTypesFromInstanceRequirements"} <= set(describe["Action"])
    assert all(action.split(":")[1].startswith(("Describe", "Get")) for action in describe["Action"])
    # Upstream's eks:DescribeNodegroup (scale from zero), only on the node group it scales.
    own = _policy_statements(irsa)["DescribeOwnNodeGroup"]
    assert own["Action"] == "eks:DescribeNodegroup"
    assert own["Resource"]["Fn::GetAtt"][0].startswith("Workers") and own["Resource"]["Fn::GetAtt"][1] == "Arn"


def test_chart_values(irsa):
    charts = irsa.find_resources(HELM)
    assert len(charts) == 1
    chart = next(iter(charts.values()))
    assert chart["Properties"]["Repository"] == "https://kubernetes.github.io/autoscaler"
    assert chart["Properties"]["Version"] == "9.59.0"
    values = chart_values(chart)
    # No public source gives v1.33.6's digest: pinned by tag (eks_scaling/versions.py).
    assert values["image"] == {"repository": "registry.k8s.io/autoscaling/cluster-autoscaler", "tag": "v1.33.6"}
    assert values["cloudProvider"] == "aws"
    assert values["awsRegion"] == "REF:AWS::Region"
    assert values["autoDiscovery"] == {"clusterName": "eks-scaling", "tags": [
        "k8s.io/cluster-autoscaler/enabled", "k8s.io/cluster-autoscaler/eks-scaling", f"eks:nodegroup-name={nodegroup_name(irsa)}"]}
    assert values["extraArgs"] == {"balance-similar-node-groups": True, "skip-nodes-with-system-pods": False,
                                   "expander": "least-waste", "scale-down-unneeded-time": "10m",
                                   "scale-down-utilization-threshold": 0.4, "expendable-pods-priority-cutoff": -10,
                                   "emit-per-nodegroup-metrics": True}
    # The identity annotation rolls the pods when workloadIdentity changes (cdk_constructs/pod_identity.py).
    assert values["podAnnotations"] == {"cluster-autoscaler.kubernetes.io/safe-to-evict": "false",
                                        "eks-scaling/workload-identity": "irsa"}
    assert values["nodeSelector"] == {"role": "system"}
    assert values["rbac"]["serviceAccount"] == {"create": False, "name": "cluster-autoscaler"}


def test_image_tag_follows_the_cluster_minor(both):
    chart = next(iter(both.find_resources(HELM).values()))
    assert chart_values(chart)["image"] == {
        "repository": "registry.k8s.io/autoscaling/cluster-autoscaler",
        "tag": "v1.36.1@sha256:461388d03eb5b55db58941ee7a81d9a619dd15302b01cbab9f5a9946715994b4"}


def test_irsa_identity_trusts_the_oidc_provider(irsa, synth):
    assert not irsa.find_resources("AWS::EKS::PodIdentityAssociation")
    irsa.has_resource_properties("AWS::IAM::Role", {"AssumeRolePolicyDocument": {"Statement": [Match.object_like({
        "Action": "sts:AssumeRoleWithWebIdentity"})]}})
    synth("k8s-1.33-ca-irsa").template.resource_count_is("AWS::IAM::OIDCProvider", 1)


def test_pod_identity_identity(both):
    both.has_resource_properties("AWS::EKS::PodIdentityAssociation", {
        "Namespace": "kube-system", "ServiceAccount": "cluster-autoscaler"})


def test_chart_after_its_service_account_and_policy(irsa):
    resources = irsa.to_json()["Resources"]
    chart = next(resource for resource in resources.values() if resource["Type"] == HELM)
    policy = next(key for key, resource in resources.items() if resource["Type"] == "AWS::IAM::Policy")
    assert policy in chart["DependsOn"]


def test_pod_identity_agent_only_where_pod_identity_is_used(synth, default):
    # The parent stack's other add-on, vpc-cni (network policies), is in every configuration.
    agent_addon = {"Properties": {"AddonName": "eks-pod-identity-agent"}}
    assert not synth("k8s-1.33-ca-irsa").template.find_resources("AWS::EKS::Addon", agent_addon)
    assert not synth("k8s-1.34-env-private").template.find_resources("AWS::EKS::Addon", agent_addon)
    (agent,) = default.template.find_resources("AWS::EKS::Addon", agent_addon)
    stacks = default.template.find_resources("AWS::CloudFormation::Stack")
    karpenter = next(stack for key, stack in stacks.items() if key.startswith("KarpenterNestedStack"))
    metrics = next(stack for key, stack in stacks.items() if key.startswith("MetricsNestedStack"))
    assert agent in karpenter["DependsOn"]
    assert agent not in metrics["DependsOn"], "metrics-server calls no AWS API"

