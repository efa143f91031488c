"""The parent stack: network, cluster, kubectl provider, system node group, outputs."""

from __future__ import annotations

import json

import aws_cdk as cdk
import pytest
from aws_cdk import Aspects
from aws_cdk import aws_eks_v2 as eks
from aws_cdk.assertions import Annotations, Match

from eks_scaling.parse_settings import parse_config
from eks_scaling.setting_parsers import ConfigError
from stacks.endpoint_rule import OpenEndpointRule, acknowledge_open_endpoint
from tests.context import with_defaults
from tests.synth import ADMIN_ARN, CONFIGS, manifest_objects, synthesize

CLUSTER = "AWS::EKS::Cluster"


@pytest.mark.parametrize("name", list(CONFIGS))
def test_every_matrix_row_synthesizes_with_its_version_and_layer(synth, name):
    result = synth(name)
    version = result.stack.config.cluster.kubernetes_version
    template = result.template
    if not result.stack.config.existing_cluster:  # an existing cluster's version is its own
        template.has_resource_properties(CLUSTER, {"Version": version})
    template.has_resource_properties("AWS::Lambda::LayerVersion", {
        "Description": Match.string_like_regexp(rf"^/opt/kubectl/kubectl {version}\.\d+;"),
    })


def test_matrix_rows_are_all_covered_by_the_test_configs():
    from eks_scaling.versions import MATRIX
    covered = {overrides.get("kubernetesVersion", "1.35") for overrides in CONFIGS.values()}
    assert covered == set(MATRIX)


def test_auto_mode_is_off_and_secrets_are_encrypted(default):
    template = default.template
    template.has_resource_properties(CLUSTER, {
        "Name": "eks-scaling",
        "ComputeConfig": {"Enabled": False},
        "AccessConfig": {"AuthenticationMode": "API"},
        "EncryptionConfig": [{"Provider": {"KeyArn": {"Fn::GetAtt": [Match.string_like_regexp("^SecretsKey"), "Arn"]}},
                              "Resources": ["secrets"]}],
    })
    template.has_resource_properties("AWS::KMS::Key", {"EnableKeyRotation": True})


def test_control_plane_logging_follows_config(default, synth):
    default.template.has_resource_properties(CLUSTER, {"Logging": {"ClusterLogging": {"EnabledTypes": [
        {"Type": "api"}, {"Type": "audit"}, {"Type": "authenticator"},
        {"Type": "controllerManager"}, {"Type": "scheduler"}]}}})
    synth("k8s-1.34-env-private").template.has_resource_properties(CLUSTER, {
        "Logging": {"ClusterLogging": {"EnabledTypes": [{"Type": "api"}, {"Type": "audit"}]}}})


def test_endpoint_access_follows_config(default, synth):
    # Private by default: a public endpoint is opt-in, for the operator's own networks.
    default.template.has_resource_properties(CLUSTER, {"ResourcesVpcConfig": Match.object_like({
        "EndpointPrivateAccess": True, "EndpointPublicAccess": False})})
    synth("k8s-1.34-env-private").template.has_resource_properties(CLUSTER, {"ResourcesVpcConfig": Match.object_like({
        "EndpointPrivateAccess": True, "EndpointPublicAccess": False})})
    synth("k8s-1.36-both-arm-public").template.has_resource_properties(CLUSTER, {"ResourcesVpcConfig": Match.object_like({
        "EndpointPrivateAccess": False, "EndpointPublicAccess": True, "PublicAccessCidrs": Match.absent()})})
    synth("k8s-1.33-ca-irsa").template.has_resource_properties(CLUSTER, {"ResourcesVpcConfig": Match.object_like({
        "EndpointPrivateAccess": True, "EndpointPublicAccess": True,
        "PublicAccessCidrs": ["203.0.113.0/24", "198.51.100.0/24"]})})


def test_endpoint_rule_flags_an_open_aws_eks_v2_endpoint():
    """The project's own rule on bare aws_eks_v2 L1 clusters: each form of open, restricted and private."""
    app = cdk.App()
    stack = cdk.Stack(app, "Rule")

    def cluster(construct_id: str, **access) -> eks.CfnCluster:
        return eks.CfnCluster(stack, construct_id, role_arn="arn:aws:iam::111122223333:role/eks",
                              resources_vpc_config=eks.CfnCluster.ResourcesVpcConfigProperty(
                                  subnet_ids=["subnet-1"], **access))

    cluster("EksDefaults")  # no access fields: EKS makes the endpoint public to 0.0.0.0/0
    cluster("Open", endpoint_public_access=True, public_access_cidrs=["203.0.113.0/24", "0.0.0.0/0"])
    cluster("Restricted", endpoint_public_access=True, public_access_cidrs=["203.0.113.0/24"])
    cluster("Private", endpoint_public_access=False, endpoint_private_access=True)
    acknowledge_open_endpoint(cluster("Acknowledged", endpoint_public_access=True), "a test's reason")
    Aspects.of(app).add(OpenEndpointRule())
    annotations = Annotations.from_stack(stack)
    flagged = Match.string_like_regexp(r"^\[eks-scaling:EKS-open-endpoint\] the EKS API endpoint is open to 0.0.0.0/0")
    assert {error.id for error in annotations.find_error("*", flagged)} == {"/Rule/EksDefaults", "/Rule/Open"}
    (warning,) = annotations.find_warning("*", flagged)
    assert warning.id == "/Rule/Acknowledged" and "acknowledged: a test's reason" in warning.entry.data


def test_endpoint_rule_runs_on_the_app(default, synth):
    flagged = Match.string_like_regexp(r"^\[eks-scaling:EKS-open-endpoint\]")
    assert not Annotations.from_stack(default.stack).find_warning("*", flagged)
    (warning,) = Annotations.from_stack(synth("k8s-1.36-both-arm-public").stack).find_warning("*", flagged)
    assert warning.id == "/EksScalingStack/Cluster/Resource"
    assert "acknowledged: acknowledgedWarnings names eks-scaling:open-endpoint" in warning.entry.data


def test_system_node_group(default):
    template = default.template
    template.has_resource_properties("AWS::EKS::Nodegroup", {
        "AmiType": "AL2023_x86_64_STANDARD",
        "InstanceTypes": ["m5.large"],
        "Labels": {"role": "system"},
        "ScalingConfig": {"MinSize": 2, "DesiredSize": 2, "MaxSize": 5},
        "LaunchTemplate": {"Id": {"Ref": Match.string_like_regexp("^SystemNodesLaunchTemplate")}, "Version": Match.any_value()},
    })
    template.has_resource_properties("AWS::EC2::LaunchTemplate", {"LaunchTemplateData": Match.object_like({
        "MetadataOptions": {"HttpTokens": "required", "HttpPutResponseHopLimit": 1},
        "BlockDeviceMappings": [{"DeviceName": "/dev/xvda", "Ebs": {"Encrypted": True, "VolumeSize": 50, "VolumeType": "gp3"}}],
    })})


def test_arm_instance_types_get_the_arm_ami(synth):
    synth("k8s-1.36-both-arm-public").template.has_resource_properties("AWS::EKS::Nodegroup", {
        "AmiType": "AL2023_ARM_64_STANDARD", "InstanceTypes": ["m7g.large", "c7g.large"]})


def test_private_subnets_carry_the_karpenter_discovery_tag(default):
    subnets = default.template.find_resources("AWS::EC2::Subnet")
    tagged = {key for key, subnet in subnets.items()
              if {"Key": "karpenter.sh/discovery", "Value": "eks-scaling"} in subnet["Properties"]["Tags"]}
    assert len(subnets) == 4
    assert tagged == {key for key in subnets if key.startswith("VpcPrivate")}
    assert len(tagged) == 2


def test_nat_gateways_follow_config(default, synth):
    default.template.resource_count_is("AWS::EC2::NatGateway", 1)
    synth("k8s-1.34-env-private").template.resource_count_is("AWS::EC2::NatGateway", 2)


def test_env_specific_stack_names_its_zones_without_a_lookup(synth):
    result = synth("k8s-1.34-env-private")
    assert (result.stack.account, result.stack.region) == ("111122223333", "eu-west-1")
    zones = {subnet["Properties"]["AvailabilityZone"]
             for subnet in result.template.find_resources("AWS::EC2::Subnet").values()}
    assert zones == {"eu-west-1a", "eu-west-1b"}
    manifest = json.loads((result.outdir / "manifest.json").read_text())
    assert "missing" not in manifest, "the CLI would need AWS credentials for these lookups"


def test_admin_principals_get_cluster_admin_access_entries(default, synth):
    admin_entry = {
        "PrincipalArn": ADMIN_ARN,
        "AccessPolicies": [{"AccessScope": {"Type": "cluster"},
                            "PolicyArn": Match.any_value()}],
    }
    synth("k8s-1.34-env-private").template.has_resource_properties("AWS::EKS::AccessEntry", admin_entry)
    assert not default.template.find_resources("AWS::EKS::AccessEntry", {"Properties": {"PrincipalArn": ADMIN_ARN}})


def test_outputs(default):
    template = default.template
    template.has_output("ClusterName", {"Value": {"Ref": Match.string_like_regexp("^Cluster")}})
    template.has_output("UpdateKubeconfigCommand", {"Value": {"Fn::Join": ["", [
        "aws eks update-kubeconfig --name ", {"Ref": Match.string_like_regexp("^Cluster")},
        " --region ", {"Ref": "AWS::Region"}]]}})
    template.has_output("SystemNodegroupName", {"Value": {"Fn::GetAtt": [Match.string_like_regexp("^SystemNodesNodegroup"), "NodegroupName"]}})


def test_extended_support_version_is_warned_about_at_synth(synth, default):
    warning = Match.string_like_regexp("Kubernetes 1.33 is in EKS extended support")
    assert Annotations.from_stack(synth("k8s-1.33-ca-irsa").stack).find_warning("*", warning)
    assert not Annotations.from_stack(default.stack).find_warning("*", Match.string_like_regexp("extended support"))


def test_caveats_of_deployed_components_are_warned(synth, default):
    # 1.36 carries a KEDA caveat, and KEDA is deployed there.
    assert Annotations.from_stack(synth("k8s-1.36-both-arm-public").stack).find_warning(
        "*", Match.string_like_regexp("KEDA 2.20.2 is tested upstream on Kubernetes 1.33-1.35, not 1.36"))
    assert not Annotations.from_stack(default.stack).find_warning("*", Match.string_like_regexp("KEDA"))


NO_ADMIN = Match.string_like_regexp("^adminPrincipalArns is empty: nobody can use kubectl on cluster ")


@pytest.mark.parametrize("name", list(CONFIGS))
def test_missing_admin_access_is_warned_at_synth(synth, name):
    warned = Annotations.from_stack(synth(name).stack).find_warning("*", NO_ADMIN)
    config = synth(name).stack.config
    # An existing cluster's own access entries are unknown here: nothing to warn about.
    assert bool(warned) == (not config.cluster.admin_principal_arns and not config.existing_cluster)
    assert all(warning.entry.data.endswith(
        "; set it to your IAM role or user ARN (docs/settings.md), or put this warning's id in acknowledgedWarnings "
        "[ack: eks-scaling:no-admin-access]") for warning in warned)
    assert all(len(warning.entry.data) < 250 for warning in warned)


def test_missing_admin_access_can_be_acknowledged(tmp_path):
    acknowledged = synthesize({"acknowledgedWarnings": "eks-scaling:no-admin-access", "enablePrometheus": "false",
                               "enableKeda": "false", "nodeAutoscaler": "none"}, tmp_path)
    assert not Annotations.from_stack(acknowledged.stack).find_warning("*", NO_ADMIN)


def test_each_subnet_cidr_follows_its_zone_not_its_position(update_synth):
    """Zones a and b keep the CIDRs of the CDK's numbering; c gets its own, never b's (whose place it takes)."""
    def cidrs(zones):  # UPDATE_BASE has zones a and b
        overrides = {} if zones == "eu-west-1a,eu-west-1b" else {"availabilityZones": zones}
        (parent,) = [t for name, t in update_synth(overrides).items() if ".nested." not in name]
        return {(r["Properties"]["AvailabilityZone"], r["Properties"]["CidrBlock"])
                for r in parent["Resources"].values() if r["Type"] == "AWS::EC2::Subnet"}
    assert cidrs("eu-west-1a,eu-west-1b") == {("eu-west-1a", "10.0.0.0/24"), ("eu-west-1b", "10.0.1.0/24"),
                                              ("eu-west-1a", "10.0.32.0/19"), ("eu-west-1b", "10.0.64.0/19")}
    assert cidrs("eu-west-1a,eu-west-1c") == {("eu-west-1a", "10.0.0.0/24"), ("eu-west-1c", "10.0.2.0/24"),
                                              ("eu-west-1a", "10.0.32.0/19"), ("eu-west-1c", "10.0.96.0/19")}


def test_a_zone_without_subnet_cidrs_is_refused_in_one_line():
    with pytest.raises(ConfigError, match="zone eu-west-1h has no subnet CIDRs in this VPC's layout"):
        parse_config(with_defaults({"account": "111122223333", "region": "eu-west-1",
                                    "availabilityZones": "eu-west-1a,eu-west-1h"}))


@pytest.mark.parametrize("name", list(CONFIGS))
def test_service_accounts_carry_the_irsa_annotation_only_with_irsa(synth, name):
    """With Pod Identity the IRSA webhook would inject a web-identity token that the role's trust refuses."""
    irsa = CONFIGS[name].get("workloadIdentity") == "irsa"
    accounts = [(resource, obj) for template in synth(name).template_files().values()
                for resource in template["Resources"].values() if resource["Type"] == "Custom::AWSCDK-EKS-KubernetesResource"
                for obj in manifest_objects(resource) if obj["kind"] == "ServiceAccount"]
    # Karpenter's and Cluster Autoscaler's: none with nodeAutoscaler=none, nor with Auto Mode (AWS runs it).
    assert accounts or CONFIGS[name].get("nodeAutoscaler") in ("none", "auto-mode")
    for resource, obj in accounts:
        assert ("eks.amazonaws.com/role-arn" in obj["metadata"].get("annotations", {})) == irsa, obj["metadata"]
        assert resource["Properties"]["PruneLabel"] in obj["metadata"]["labels"], "kubectl apply --prune finds it"


@pytest.mark.parametrize("name", list(CONFIGS))
def test_node_groups_follow_the_cluster_version(synth, name):
    """Raising kubernetesVersion then upgrades the node groups too, in place after the cluster."""
    groups = [resource for template in synth(name).template_files().values()
              for resource in template["Resources"].values() if resource["Type"] == "AWS::EKS::Nodegroup"]
    clusters = synth(name).template.find_resources("AWS::EKS::Cluster").values()
    # An existing cluster's version is the one kubernetesVersion states (docs/deploying.md).
    versions = {cluster["Properties"]["Version"] for cluster in clusters} or {CONFIGS[name].get("kubernetesVersion", "1.35")}
    assert groups and {group["Properties"].get("Version") for group in groups} == versions
