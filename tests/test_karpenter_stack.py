"""The Karpenter nested stack: node role and access, controller IAM, interruption handling, charts,
NodePool/EC2NodeClass, and the order that lets Karpenter clean up its own nodes."""

from __future__ import annotations

import pytest
from aws_cdk.assertions import Match

from tests.synth import chart_values, manifest_objects, manifest_objects_by_name

HELM = "Custom::AWSCDK-EKS-HelmChart"
MANIFEST = "Custom::AWSCDK-EKS-KubernetesResource"
CLUSTER_TAG = "kubernetes.io/cluster/eks-scaling"

# Upstream's six policies and their statement ids (aws/karpenter-provider-aws v1.14.1,
# getting-started cloudformation.yaml).
UPSTREAM_SIDS = {
    "NodeLifecycle": {"AllowScopedEC2InstanceAccessActions", "AllowScopedEC2LaunchTemplateAccessActions",
                      "AllowScopedEC2InstanceActionsWithTags", "AllowScopedResourceCreationTagging",
                      "AllowScopedResourceTagging", "AllowScopedDeletion"},
    "IAMIntegration": {"AllowPassingInstanceRole", "AllowScopedInstanceProfileCreationActions",
                       "AllowScopedInstanceProfileTagActions", "AllowScopedInstanceProfileActions"},
    "EKSIntegration": {"AllowAPIServerEndpointDiscovery"},
    "Interruption": {"AllowInterruptionQueueActions"},
    "ZonalShift": {"AllowZonalShiftStatusReadOnly"},
    "ResourceDiscovery": {"AllowRegionalReadActions", "AllowSSMReadActions", "AllowPricingReadActions",
                          "AllowUnscopedInstanceProfileListAction", "AllowInstanceProfileReadActions"},
}
READ_ONLY_PREFIXES = ("Describe", "Get", "List")


@pytest.fixture(scope="module")
def karpenter(default):
    return default.nested("karpenter")


def _policies(template) -> dict[str, list[dict]]:
    return {key: resource["Properties"]["PolicyDocument"]["Statement"]
            for key, resource in template.find_resources("AWS::IAM::ManagedPolicy").items()}


def _statements(template) -> dict[str, dict]:
    return {statement["Sid"]: statement for statements in _policies(template).values() for statement in statements}


def _actions(statement) -> list[str]:
    return statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]


def test_node_role_trusts_ec2_with_the_four_managed_policies(karpenter):
    karpenter.has_resource_properties("AWS::IAM::Role", {
        "AssumeRolePolicyDocument": {"Statement": [Match.object_like({
            "Action": "sts:AssumeRole", "Principal": {"Service": "ec2.amazonaws.com"}})]},
        "ManagedPolicyArns": [
            {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, f":iam::aws:policy/{name}"]]}
            for name in ("AmazonEKS_CNI_Policy", "AmazonEKSWorkerNodePolicy",
                         "AmazonEC2ContainerRegistryPullOnly", "AmazonSSMManagedInstanceCore")],
    })


def test_node_role_has_an_ec2_linux_access_entry(karpenter):
    karpenter.has_resource_properties("AWS::EKS::AccessEntry", {
        "Type": "EC2_LINUX",
        "PrincipalArn": {"Fn::GetAtt": [Match.string_like_regexp("^KarpenterNodeRole"), "Arn"]},
    })


def test_controller_policies_match_upstream_statement_for_statement(karpenter):
    policies = _policies(karpenter)
    assert len(policies) == 6
    by_name = {next(name for name in UPSTREAM_SIDS if key.startswith(f"Karpenter{name}Policy")): statements
               for key, statements in policies.items()}
    assert {name: {s["Sid"] for s in statements} for name, statements in by_name.items()} == UPSTREAM_SIDS
    attached = karpenter.find_resources("AWS::IAM::ManagedPolicy", {"Properties": {
        "Roles": [{"Ref": Match.string_like_regexp("^KarpenterServiceAccountRole")}]}})
    assert len(attached) == 6, "every policy is attached to the controller's service-account role"


def test_pass_role_is_only_on_the_node_role(karpenter):
    statements = _statements(karpenter)
    passing = [sid for sid, statement in statements.items() if "iam:PassRole" in _actions(statement)]
    assert passing == ["AllowPassingInstanceRole"]
    statement = statements["AllowPassingInstanceRole"]
    assert statement["Resource"]["Fn::GetAtt"][0].startswith("KarpenterNodeRole")
    assert statement["Condition"] == {"StringEquals": {"iam:PassedToService": ["ec2.amazonaws.com", "ec2.amazonaws.com.cn"]}}


def test_mutating_actions_are_scoped_by_tags(karpenter):
    statements = _statements(karpenter)
    for sid in ("AllowScopedEC2LaunchTemplateAccessActions", "AllowScopedDeletion", "AllowScopedResourceTagging"):
        condition = statements[sid]["Condition"]
        assert condition["StringEquals"][f"aws:ResourceTag/{CLUSTER_TAG}"] == "owned", sid
        assert condition["StringLike"] == {"aws:ResourceTag/karpenter.sh/nodepool": "*"}, sid
    for sid in ("AllowScopedEC2InstanceActionsWithTags", "AllowScopedResourceCreationTagging"):
        condition = statements[sid]["Condition"]
        assert condition["StringEquals"][f"aws:RequestTag/{CLUSTER_TAG}"] == "owned", sid
        assert condition["StringEquals"]["aws:RequestTag/eks:eks-cluster-name"] == "eks-scaling", sid
        assert condition["StringLike"] == {"aws:RequestTag/karpenter.sh/nodepool": "*"}, sid
    assert statements["AllowScopedResourceCreationTagging"]["Condition"]["StringEquals"]["ec2:CreateAction"] == [
        "RunInstances", "CreateFleet", "CreateLaunchTemplate"]
    assert statements["AllowScopedResourceTagging"]["Condition"]["ForAllValues:StringEquals"] == {
        "aws:TagKeys": ["eks:eks-cluster-name", "karpenter.sh/nodeclaim", "Name"]}
    profile = statements["AllowScopedInstanceProfileActions"]["Condition"]
    assert profile["StringEquals"][f"aws:ResourceTag/{CLUSTER_TAG}"] == "owned"
    assert profile["StringEquals"]["aws:ResourceTag/topology.kubernetes.io/region"] == {"Ref": "AWS::Region"}
    assert profile["StringLike"] == {"aws:ResourceTag/karpenter.k8s.aws/ec2nodeclass": "*"}


def test_no_unconditioned_mutating_action_on_everything(karpenter):
    for sid, statement in _statements(karpenter).items():
        if statement["Resource"] == "*" and "Condition" not in statement:
            mutating = [action for action in _actions(statement)
                        if not action.split(":")[1].startswith(READ_ONLY_PREFIXES)]
            assert not mutating, sid


def test_permissions_the_pinned_version_needs(karpenter):
    statements = _statements(karpenter)
    assert statements["AllowUnscopedInstanceProfileListAction"]["Action"] == "iam:ListInstanceProfiles"
    assert "ec2:DescribeInstanceStatus" in statements["AllowRegionalReadActions"]["Action"]
    assert statements["AllowRegionalReadActions"]["Condition"] == {
        "StringEquals": {"aws:RequestedRegion": {"Ref": "AWS::Region"}}}
    assert statements["AllowInterruptionQueueActions"]["Resource"]["Fn::GetAtt"][0].startswith(
        "KarpenterInterruptionQueue")


def test_interruption_queue(karpenter):
    karpenter.has_resource_properties("AWS::SQS::Queue", {
        "MessageRetentionPeriod": 300, "SqsManagedSseEnabled": True})
    karpenter.has_resource_properties("AWS::SQS::QueuePolicy", {"PolicyDocument": {"Statement": Match.array_with([
        Match.object_like({"Effect": "Deny", "Action": "sqs:*",
                           "Condition": {"Bool": {"aws:SecureTransport": "false"}}}),
    ])}})


def test_event_rules_feed_the_queue_with_exact_patterns(karpenter):
    rules = karpenter.find_resources("AWS::Events::Rule")
    patterns = sorted((rule["Properties"]["EventPattern"]["source"], rule["Properties"]["EventPattern"]["detail-type"])
                      for rule in rules.values())
    assert patterns == sorted([
        (["aws.health"], ["AWS Health Event"]),
        (["aws.ec2"], ["EC2 Spot Instance Interruption Warning"]),
        (["aws.ec2"], ["EC2 Instance Rebalance Recommendation"]),
        (["aws.ec2"], ["EC2 Instance State-change Notification"]),
        (["aws.ec2"], ["EC2 Capacity Reservation Instance Interruption Warning"]),
    ])
    for rule in rules.values():
        assert rule["Properties"]["Targets"][0]["Arn"]["Fn::GetAtt"][0].startswith("KarpenterInterruptionQueue")


def test_charts_at_the_matrix_version_with_values(karpenter):
    charts = karpenter.find_resources(HELM)
    crd = next(chart for chart in charts.values() if chart["Properties"]["Chart"] == "karpenter-crd")
    controller = next(chart for chart in charts.values() if chart["Properties"]["Chart"] == "karpenter")
    assert crd["Properties"]["Repository"] == "oci://public.ecr.aws/karpenter/karpenter-crd"
    assert controller["Properties"]["Repository"] == "oci://public.ecr.aws/karpenter/karpenter"
    assert crd["Properties"]["Version"] == controller["Properties"]["Version"] == "1.14.1"
    # The kubectl handler never passes SkipCrds to helm: setting it would claim what does not happen.
    assert "SkipCrds" not in controller["Properties"]
    values = chart_values(controller)
    assert values["settings"]["clusterName"] == "eks-scaling"
    assert values["settings"]["interruptionQueue"].startswith("GETATT:KarpenterInterruptionQueue")
    assert values["settings"]["interruptionQueue"].endswith(".QueueName")
    assert values["serviceAccount"] == {"create": False, "name": "karpenter"}
    assert values["replicas"] == 2
    # IMDS is out of the pods' reach (one hop): the region comes from the environment.
    assert values["controller"]["env"] == [{"name": "AWS_REGION", "value": "REF:AWS::Region"}]
    assert values["podDisruptionBudget"]["maxUnavailable"] == 1
    assert values["nodeSelector"] == {"kubernetes.io/os": "linux", "role": "system"}
    assert values["controller"]["resources"] == {"requests": {"cpu": "1", "memory": "1Gi"},
                                                 "limits": {"cpu": "1", "memory": "1Gi"}}


def test_service_account_uses_pod_identity_by_default(karpenter):
    karpenter.has_resource_properties("AWS::EKS::PodIdentityAssociation", {
        "Namespace": "kube-system", "ServiceAccount": "karpenter"})


def _node_pool_objects(template) -> dict[str, dict]:
    manifests = template.find_resources(MANIFEST)
    return {obj["kind"]: obj for resource in manifests.values() for obj in manifest_objects(resource)
            if obj["kind"] in ("NodePool", "EC2NodeClass")}


def test_node_pool_is_the_chapters_provisioner(karpenter):
    pool = _node_pool_objects(karpenter)["NodePool"]["spec"]
    assert pool["template"]["metadata"]["labels"] == {"type": "karpenter"}
    assert pool["template"]["spec"]["nodeClassRef"] == {"group": "karpenter.k8s.aws", "kind": "EC2NodeClass",
                                                        "name": "default"}
    assert pool["template"]["spec"]["requirements"] == [
        {"key": "karpenter.sh/capacity-type", "operator": "In", "values": ["on-demand"]},
        {"key": "node.kubernetes.io/instance-type", "operator": "In", "values": ["c5.large", "m5.large", "m5.xlarge"]},
    ]
    assert pool["template"]["spec"]["taints"] == []
    assert pool["limits"] == {"cpu": 1000, "memory": "1000Gi"}
    assert pool["disruption"] == {"consolidationPolicy": "WhenEmpty", "consolidateAfter": "30s"}
    assert pool["template"]["spec"]["expireAfter"] == "720h"  # the CRD's default, written out
    assert "weight" not in pool and "terminationGracePeriod" not in pool["template"]["spec"]


def test_ec2_node_class(karpenter):
    node_class = _node_pool_objects(karpenter)["EC2NodeClass"]["spec"]
    assert node_class["role"].startswith("REF:KarpenterNodeRole")
    assert node_class["amiSelectorTerms"] == [{"alias": "al2023@latest"}]
    assert node_class["subnetSelectorTerms"] == [{"tags": {"karpenter.sh/discovery": "eks-scaling"}}]
    assert node_class["securityGroupSelectorTerms"] == [
        {"id": "REF:referencetoEksScalingStackClusterFEC1359AClusterSecurityGroupId"}]
    assert node_class["metadataOptions"]["httpTokens"] == "required"
    assert node_class["blockDeviceMappings"] == [{"deviceName": "/dev/xvda", "ebs": {
        "volumeSize": "50Gi", "volumeType": "gp3", "encrypted": True, "deleteOnTermination": True}}]


def test_both_mode_taints_the_node_pools_and_puts_spot_in_front_of_on_demand(synth):
    pools = {obj["metadata"]["name"]: obj["spec"] for obj in manifest_objects_by_name(
        synth("k8s-1.36-both-arm-public").nested("karpenter")).values() for obj in [obj[1]]
             if obj["kind"] == "NodePool"}
    assert set(pools) == {"default", "spot"}
    for pool in pools.values():
        assert pool["template"]["spec"]["taints"] == [{"key": "dedicated", "value": "karpenter", "effect": "NoSchedule"}]
        assert pool["template"]["spec"]["nodeClassRef"]["name"] == "default"
    assert pools["spot"]["template"]["spec"]["requirements"][0]["values"] == ["spot"]
    assert pools["default"]["template"]["spec"]["requirements"][0]["values"] == ["on-demand"]
    assert pools["spot"]["weight"] == 80 and "weight" not in pools["default"]


def test_order_service_account_and_crds_then_controller_then_node_pool(karpenter):
    """Deploy in this order; CloudFormation deletes in reverse, so the NodePool goes while Karpenter runs.
    The CRD chart needs no identity, so it deploys in parallel with the service account."""
    resources = karpenter.to_json()["Resources"]

    def key_of(predicate):
        return next(key for key, resource in resources.items() if predicate(resource))

    service_account = key_of(lambda r: r["Type"] == MANIFEST and '"kind":"ServiceAccount"' in str(r["Properties"]["Manifest"]))
    crd = key_of(lambda r: r["Type"] == HELM and r["Properties"]["Chart"] == "karpenter-crd")
    controller = key_of(lambda r: r["Type"] == HELM and r["Properties"]["Chart"] == "karpenter")
    node_pool = key_of(lambda r: r["Type"] == MANIFEST and "NodePool" in str(r["Properties"]["Manifest"]))
    access = key_of(lambda r: r["Type"] == "AWS::EKS::AccessEntry")
    assert {crd, service_account} <= set(resources[controller]["DependsOn"])
    assert service_account not in resources[crd].get("DependsOn", [])
    assert {controller, access} <= set(resources[node_pool]["DependsOn"])
    # The controller's permissions outlive the NodePool too: they come before the controller.
    policies = set(karpenter.find_resources("AWS::IAM::ManagedPolicy"))
    assert policies <= set(resources[controller]["DependsOn"])
