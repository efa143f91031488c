"""An existing cluster: the existingCluster setting with every refusal, and in the synthesized
`existing-cluster` configuration only the scaling layers, its kubectl provider and that provider's access."""

from __future__ import annotations

import json

import pytest

from eks_scaling.parse_settings import parse_config
from eks_scaling.setting_parsers import ConfigError
from tests.context import with_defaults
from tests.synth import EXISTING_CLUSTER, manifest_objects, resolve

IRSA = {"workloadIdentity": "irsa", "clusterName": "prod"}


def parse(existing=EXISTING_CLUSTER, **overrides):
    return parse_config(with_defaults({"existingCluster": json.dumps(existing), **IRSA, **overrides}))


def test_the_default_builds_its_own_cluster_and_an_existing_one_is_parsed():
    assert parse_config(with_defaults({})).existing_cluster is None
    existing = parse().existing_cluster
    assert existing.private_subnet_ids == tuple(EXISTING_CLUSTER["privateSubnetIds"])
    assert existing.security_group_id == "sg-0123456789abcdef0"


@pytest.mark.parametrize("change, message", [
    ({"vpcId": "vpc-123"}, "vpcId must be a VPC id"),
    ({"securityGroupId": "sg-xyz"}, "securityGroupId must be the cluster security group's id"),
    ({"oidcProviderArn": "arn:aws:iam::111122223333:role/x"}, "oidcProviderArn must be the cluster's IAM OIDC"),
    ({"privateSubnetIds": ["subnet-0123456789abcdef0"]}, "give one private subnet per zone"),
    ({"privateSubnetIds": ["subnet-0123456789abcdef0", "nat-1"]}, "privateSubnetIds must list subnet ids"),
    ({"availabilityZones": ["us-east-1a", "us-east-1b"]}, "the zones must be in the cluster's region, eu-west-1"),
    ({"extra": 1}, "expected the fields vpcId, availabilityZones, privateSubnetIds, securityGroupId and "
                   "optionally oidcProviderArn, controllerNodeLabel, controllerNodeTaint; unknown: extra"),
    ({"controllerNodeLabel": "role"}, "controllerNodeLabel must be one Kubernetes label, key=value"),
    ({"controllerNodeLabel": "bad key=x"}, "controllerNodeLabel must be one Kubernetes label"),
    ({"controllerNodeLabel": "role=" + "x" * 64}, "controllerNodeLabel must be one Kubernetes label"),
    ({"controllerNodeTaint": "dedicated=x:Sometimes"}, "controllerNodeTaint must be the controller nodes' taint"),
    ({"controllerNodeTaint": ""}, "controllerNodeTaint must be the controller nodes' taint"),
])
def test_every_id_is_checked_offline(change, message):
    with pytest.raises(ConfigError) as error:
        parse({**EXISTING_CLUSTER, **change})
    assert str(error.value).startswith("invalid setting existingCluster=") and message in str(error.value)


@pytest.mark.parametrize("fields, selector, tolerations", [
    ({}, {"role": "system"}, [{"key": "CriticalAddonsOnly", "operator": "Exists", "effect": "NoSchedule"}]),
    ({"controllerNodeLabel": "eks.amazonaws.com/nodegroup=ops", "controllerNodeTaint": "dedicated:NoExecute"},
     {"eks.amazonaws.com/nodegroup": "ops"}, [{"key": "dedicated", "operator": "Exists", "effect": "NoExecute"}]),
    ({"controllerNodeTaint": "none"}, {"role": "system"}, []),
])
def test_the_controller_node_group_is_the_app_default_or_the_one_named(fields, selector, tolerations):
    placement = parse({**EXISTING_CLUSTER, **fields}).existing_cluster.controller_placement
    assert placement.pod_fields() == {"nodeSelector": selector, "tolerations": tolerations}


def test_a_missing_field_is_named():
    fields = {key: value for key, value in EXISTING_CLUSTER.items() if key != "securityGroupId"}
    with pytest.raises(ConfigError, match="missing: securityGroupId"):
        parse(fields)


def test_pod_identity_needs_no_oidc_provider_and_irsa_does():
    without_oidc = {key: value for key, value in EXISTING_CLUSTER.items() if key != "oidcProviderArn"}
    assert parse(without_oidc, workloadIdentity="pod-identity").existing_cluster.oidc_provider_arn is None
    assert parse(workloadIdentity="pod-identity").workload_identity == "pod-identity"
    with pytest.raises(ConfigError, match="invalid setting workloadIdentity=irsa with existingCluster set: IRSA "
                                          "trusts the cluster's IAM OIDC provider"):
        parse(without_oidc)


@pytest.mark.parametrize("overrides, message", [
    ({"nodeAutoscaler": "auto-mode"}, "invalid setting nodeAutoscaler=auto-mode with existingCluster set"),
    ({"fargateWorkloads": "php-apache"}, "invalid setting fargateWorkloads=[\"php-apache\"] with existingCluster"),
    ({"natGateways": "2"}, "invalid setting natGateways=2 with existingCluster set: it configures the network"),
    ({"adminPrincipalArns": "arn:aws:iam::111122223333:role/Admin"}, "invalid setting adminPrincipalArns="),
])
def test_settings_of_a_cluster_the_app_would_create_are_refused(overrides, message):
    with pytest.raises(ConfigError) as error:
        parse(**overrides)
    assert message in str(error.value)


def test_no_vpc_cluster_or_system_node_group_is_created(synth):
    template = synth("existing-cluster").template
    for kind in ("AWS::EKS::Cluster", "AWS::EC2::VPC", "AWS::EC2::Subnet", "AWS::EC2::NatGateway", "AWS::EKS::Addon"):
        template.resource_count_is(kind, 0)
    groups = [group["Properties"] for file in synth("existing-cluster").template_files().values()
              for group in file["Resources"].values() if group["Type"] == "AWS::EKS::Nodegroup"]
    assert [group["Labels"]["role"] for group in groups] == ["ca-workers"]  # Cluster Autoscaler's, no system group
    assert groups[0]["ClusterName"] == "prod" and groups[0]["Subnets"] == EXISTING_CLUSTER["privateSubnetIds"]


def test_the_kubectl_provider_runs_in_the_private_subnets_and_gets_cluster_admin(synth):
    template = synth("existing-cluster").template
    handlers = [fn["Properties"] for key, fn in template.find_resources("AWS::Lambda::Function").items()
                if key.startswith("ClusterKubectlProviderHandler")]
    (handler,) = handlers
    assert handler["VpcConfig"]["SubnetIds"] == EXISTING_CLUSTER["privateSubnetIds"]
    assert handler["VpcConfig"]["SecurityGroupIds"] == ["sg-0123456789abcdef0"]
    (entry,) = template.find_resources("AWS::EKS::AccessEntry").values()
    assert entry["Properties"]["ClusterName"] == "prod"
    assert resolve(entry["Properties"]["PrincipalArn"]).startswith("GETATT:ClusterKubectlProviderHandlerServiceRole")
    assert [resolve(policy["PolicyArn"]).rsplit("/", 1)[1] for policy in entry["Properties"]["AccessPolicies"]] == [
        "AmazonEKSClusterAdminPolicy"]


def test_karpenter_uses_the_clusters_security_group(synth):
    result = synth("existing-cluster")
    classes = [obj for file in result.template_files().values() for resource in file["Resources"].values()
               if resource["Type"] == "Custom::AWSCDK-EKS-KubernetesResource"
               for obj in manifest_objects(resource) if obj["kind"] == "EC2NodeClass"]
    (node_class,) = classes
    assert node_class["spec"]["securityGroupSelectorTerms"] == [{"id": "sg-0123456789abcdef0"}]


def test_pod_identity_uses_the_clusters_own_agent(synth):
    """Associations for the controllers that call AWS, trust narrowed to this cluster, and no agent add-on
    (the cluster has one: creating it again would fail the deploy)."""
    resources = [resource for file in synth("existing-cluster").template_files().values()
                 for resource in file["Resources"].values()]
    associations = {(item["Properties"]["Namespace"], item["Properties"]["ServiceAccount"]): item["Properties"]
                    for item in resources if item["Type"] == "AWS::EKS::PodIdentityAssociation"}
    assert {("kube-system", "karpenter"), ("kube-system", "cluster-autoscaler")} <= set(associations)
    assert all(item["ClusterName"] == "prod" for item in associations.values())
    addons = [item["Properties"] for item in resources if item["Type"] == "AWS::EKS::Addon"]
    assert "eks-pod-identity-agent" not in [addon["AddonName"] for addon in addons]
    trusts = [json.dumps(item["Properties"]["AssumeRolePolicyDocument"]) for item in resources
              if item["Type"] == "AWS::IAM::Role"]
    assert not any("oidc" in trust for trust in trusts)
    assert sum("pods.eks.amazonaws.com" in trust and "kubernetes-service-account" in trust for trust in trusts) >= 2
