"""A Fargate profile for the demos a setting names: its pod execution role and the cluster's private subnets."""

from __future__ import annotations

from typing import Sequence

from aws_cdk import Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_eks_v2 as eks
from aws_cdk import aws_iam as iam
from constructs import Construct

from eks_scaling.fargate import FargateWorkload


class FargateProfile(Construct):
    """One profile, one selector per workload (a profile takes up to five; aws_eks_v2 refuses more).

    The profile is unnamed: its selectors, subnets and role are create-only (AWS::EKS::FargateProfile), so
    a change replaces it, which CloudFormation can do only under a new name.
    """

    def __init__(self, scope: Construct, construct_id: str, *, cluster: eks.Cluster, cluster_name: str,
                 vpc: ec2.IVpc, workloads: Sequence[FargateWorkload]) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        # The trust policy the EKS user guide gives (pod-execution-role.html): Fargate of this cluster's
        # profiles only, against the confused deputy.
        source = f"arn:{stack.partition}:eks:{stack.region}:{stack.account}:fargateprofile/{cluster_name}/*"
        self.pod_execution_role = iam.Role(
            self, "PodExecutionRole",
            assumed_by=iam.ServicePrincipal("eks-fargate-pods.amazonaws.com").with_conditions(
                {"ArnLike": {"aws:SourceArn": source}}),
            managed_policies=[iam.ManagedPolicy.from_aws_managed_policy_name("AmazonEKSFargatePodExecutionRolePolicy")],
            description=f"Fargate pod execution role of EKS cluster {cluster_name}",
        )
        self.profile = eks.FargateProfile(
            self, "Profile",
            cluster=cluster,
            pod_execution_role=self.pod_execution_role,
            # Fargate pods get no public IP: private subnets only (the guide and aws_eks_v2's default).
            vpc=vpc, subnet_selection=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS),
            selectors=[eks.Selector(namespace=workload.namespace, labels=dict(workload.labels))
                       for workload in workloads],
        )
