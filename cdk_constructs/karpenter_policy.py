"""Karpenter's controller permissions, statement for statement.

Source: aws/karpenter-provider-aws at v1.14.1,
website/content/en/docs/getting-started/getting-started-with-karpenter/cloudformation.yaml:
the six managed policies NodeLifecycle, IAMIntegration, EKSIntegration, Interruption, ZonalShift and
ResourceDiscovery, with the same Sids, resources and conditions.
"""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import aws_iam as iam


def controller_policies(stack: Stack, *, cluster_name: str, node_role_arn: str,
                        queue_arn: str) -> dict[str, list[iam.PolicyStatement]]:
    """Upstream's policy name -> its statements, for one cluster, node role and interruption queue."""
    partition, region, account = stack.partition, stack.region, stack.account
    ec2 = f"arn:{partition}:ec2:{region}"
    owned = {f"aws:ResourceTag/kubernetes.io/cluster/{cluster_name}": "owned"}
    request_owned = {
        f"aws:RequestTag/kubernetes.io/cluster/{cluster_name}": "owned",
        "aws:RequestTag/eks:eks-cluster-name": cluster_name,
    }
    nodepool_tagged = {"aws:ResourceTag/karpenter.sh/nodepool": "*"}
    nodepool_requested = {"aws:RequestTag/karpenter.sh/nodepool": "*"}
    launched = [f"{ec2}:*:{kind}/*" for kind in
                ("fleet", "instance", "volume", "network-interface", "launch-template", "spot-instances-request")]
    instance_profiles = f"arn:{partition}:iam::{account}:instance-profile/*"
    cluster_arn = f"arn:{partition}:eks:{region}:{account}:cluster/{cluster_name}"
    region_owned = {"aws:ResourceTag/topology.kubernetes.io/region": region}
    nodeclass_tagged = {"aws:ResourceTag/karpenter.k8s.aws/ec2nodeclass": "*"}

    return {
        "NodeLifecycle": [
            iam.PolicyStatement(
                sid="AllowScopedEC2InstanceAccessActions",
                resources=[f"{ec2}::image/*", f"{ec2}::snapshot/*", f"{ec2}:*:security-group/*",
                           f"{ec2}:*:subnet/*", f"{ec2}:*:capacity-reservation/*", f"{ec2}:*:placement-group/*"],
                actions=["ec2:RunInstances", "ec2:CreateFleet"],
            ),
            iam.PolicyStatement(
                sid="AllowScopedEC2LaunchTemplateAccessActions",
                resources=[f"{ec2}:*:launch-template/*"],
                actions=["ec2:RunInstances", "ec2:CreateFleet"],
                conditions={"StringEquals": owned, "StringLike": nodepool_tagged},
            ),
            iam.PolicyStatement(
                sid="AllowScopedEC2InstanceActionsWithTags",
                resources=launched,
                actions=["ec2:RunInstances", "ec2:CreateFleet", "ec2:CreateLaunchTemplate"],
                conditions={"StringEquals": request_owned, "StringLike": nodepool_requested},
            ),
            iam.PolicyStatement(
                sid="AllowScopedResourceCreationTagging",
                resources=launched,
                actions=["ec2:CreateTags"],
                conditions={
                    "StringEquals": {**request_owned,
                                     "ec2:CreateAction": ["RunInstances", "CreateFleet", "CreateLaunchTemplate"]},
                    "StringLike": nodepool_requested,
                },
            ),
            iam.PolicyStatement(
                sid="AllowScopedResourceTagging",
                resources=[f"{ec2}:*:instance/*"],
                actions=["ec2:CreateTags"],
                conditions={
                    "StringEquals": owned,
                    "StringLike": nodepool_tagged,
                    "StringEqualsIfExists": {"aws:RequestTag/eks:eks-cluster-name": cluster_name},
                    "ForAllValues:StringEquals": {
                        "aws:TagKeys": ["eks:eks-cluster-name", "karpenter.sh/nodeclaim", "Name"]},
                },
            ),
            iam.PolicyStatement(
                sid="AllowScopedDeletion",
                resources=[f"{ec2}:*:instance/*", f"{ec2}:*:launch-template/*"],
                actions=["ec2:TerminateInstances", "ec2:DeleteLaunchTemplate"],
                conditions={"StringEquals": owned, "StringLike": nodepool_tagged},
            ),
        ],
        "IAMIntegration": [
            iam.PolicyStatement(
                sid="AllowPassingInstanceRole",
                resources=[node_role_arn],
                actions=["iam:PassRole"],
                conditions={"StringEquals": {"iam:PassedToService": ["ec2.amazonaws.com", "ec2.amazonaws.com.cn"]}},
            ),
            iam.PolicyStatement(
                sid="AllowScopedInstanceProfileCreationActions",
                resources=[instance_profiles],
                actions=["iam:CreateInstanceProfile"],
                conditions={
                    "StringEquals": {**request_owned, "aws:RequestTag/topology.kubernetes.io/region": region},
                    "StringLike": {"aws:RequestTag/karpenter.k8s.aws/ec2nodeclass": "*"},
                },
            ),
            iam.PolicyStatement(
                sid="AllowScopedInstanceProfileTagActions",
                resources=[instance_profiles],
                actions=["iam:TagInstanceProfile"],
                conditions={
                    "StringEquals": {**owned, **region_owned, **request_owned,
                                     "aws:RequestTag/topology.kubernetes.io/region": region},
                    "StringLike": {**nodeclass_tagged, "aws:RequestTag/karpenter.k8s.aws/ec2nodeclass": "*"},
                },
            ),
            iam.PolicyStatement(
                sid="AllowScopedInstanceProfileActions",
                resources=[instance_profiles],
                actions=["iam:AddRoleToInstanceProfile", "iam:RemoveRoleFromInstanceProfile",
                         "iam:DeleteInstanceProfile"],
                conditions={"StringEquals": {**owned, **region_owned}, "StringLike": nodeclass_tagged},
            ),
        ],
        "EKSIntegration": [
            iam.PolicyStatement(sid="AllowAPIServerEndpointDiscovery", resources=[cluster_arn],
                                actions=["eks:DescribeCluster"]),
        ],
        "Interruption": [
            iam.PolicyStatement(sid="AllowInterruptionQueueActions", resources=[queue_arn],
                                actions=["sqs:DeleteMessage", "sqs:GetQueueUrl", "sqs:ReceiveMessage"]),
        ],
        "ZonalShift": [
            iam.PolicyStatement(
                sid="AllowZonalShiftStatusReadOnly",
                resources=["*"],
                actions=["arc-zonal-shift:GetManagedResource"],
                conditions={"StringEquals": {"arc-zonal-shift:ResourceIdentifier": cluster_arn}},
            ),
        ],
        "ResourceDiscovery": [
            iam.PolicyStatement(
                sid="AllowRegionalReadActions",
                resources=["*"],
                actions=["ec2:DescribeCapacityReservations", "ec2:DescribeImages", "ec2:DescribeInstances",
                         "ec2:DescribeInstanceStatus", "ec2:DescribeInstanceTypeOfferings",
                         "ec2:DescribeInstanceTypes", "ec2:DescribeLaunchTemplates", "ec2:DescribePlacementGroups",
                         "ec2:DescribeSecurityGroups", "ec2:DescribeSpotPriceHistory", "ec2:DescribeSubnets"],
                conditions={"StringEquals": {"aws:RequestedRegion": region}},
            ),
            iam.PolicyStatement(sid="AllowSSMReadActions",
                                resources=[f"arn:{partition}:ssm:{region}::parameter/aws/service/*"],
                                actions=["ssm:GetParameter"]),
            iam.PolicyStatement(sid="AllowPricingReadActions", resources=["*"], actions=["pricing:GetProducts"]),
            iam.PolicyStatement(sid="AllowUnscopedInstanceProfileListAction", resources=["*"],
                                actions=["iam:ListInstanceProfiles"]),
            iam.PolicyStatement(sid="AllowInstanceProfileReadActions", resources=[instance_profiles],
                                actions=["iam:GetInstanceProfile"]),
        ],
    }
