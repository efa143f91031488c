"""Cluster Autoscaler from its chart, scaling only the managed node group meant for it."""

from __future__ import annotations

from typing import Any, Mapping

from aws_cdk import Duration, Stack
from aws_cdk import aws_eks_v2 as eks
from aws_cdk import aws_iam as iam
from constructs import Construct

from cdk_constructs.pod_identity import controller_service_account, identity_pod_annotations
from eks_scaling.autoscaling_objects import PLACEHOLDER_PRIORITY
from eks_scaling.placement import Placement
from eks_scaling.scaler_metrics import scrape_annotations

REPOSITORY = "https://kubernetes.github.io/autoscaler"
SERVICE_ACCOUNT = "cluster-autoscaler"
# Chart 9.59.0 templates/service.yaml: port service.servicePort (8085) to the container's 8085.
METRICS_PORT = 8085

# kubernetes/autoscaler: cluster-autoscaler/cloudprovider/aws/README.md, "Full Cluster Autoscaler
# Features Policy (Recommended)", master of 2026-08-22; its eks:DescribeNodegroup is granted on the one
# node group Cluster Autoscaler scales instead (policy_statements).
DESCRIBE_ACTIONS = (
    "autoscaling:DescribeAutoScalingGroups",
    "autoscaling:DescribeAutoScalingInstances",
    "autoscaling:DescribeLaunchConfigurations",
    "autoscaling:DescribeScalingActivities",
    "ec2:DescribeImages",
    "ec2:DescribeInstanceTypes",
    "ec2:DescribeLaunchTemplateVersions",
    "ec2:GetInstanceTypesFromInstanceRequirements",
)
# The image is distroless static:nonroot (cluster-autoscaler/Dockerfile at cluster-autoscaler-1.35.2),
# user 65532: it runs under the restricted profile.
POD_SECURITY_CONTEXT = {"runAsNonRoot": True, "runAsUser": 65532, "runAsGroup": 65532,
                        "seccompProfile": {"type": "RuntimeDefault"}}
CONTAINER_SECURITY_CONTEXT = {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                              "capabilities": {"drop": ["ALL"]}}


def policy_statements(stack: Stack, *, cluster_name: str, nodegroup_name: str,
                      nodegroup_arn: str) -> list[iam.PolicyStatement]:
    """The chapter's tag-scoped policy, narrowed to one node group by the tag EKS puts on its ASG; the
    node group's description (scale from zero) only of that node group."""
    return [
        iam.PolicyStatement(sid="DescribeForAutoDiscovery", actions=list(DESCRIBE_ACTIONS), resources=["*"]),
        iam.PolicyStatement(sid="DescribeOwnNodeGroup", actions=["eks:DescribeNodegroup"], resources=[nodegroup_arn]),
        iam.PolicyStatement(
            sid="ScaleOwnNodeGroupOnly",
            actions=["autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup"],
            resources=[f"arn:{stack.partition}:autoscaling:{stack.region}:{stack.account}"
                       ":autoScalingGroup:*:autoScalingGroupName/*"],
            conditions={"StringEquals": {
                "autoscaling:ResourceTag/k8s.io/cluster-autoscaler/enabled": "true",
                f"aws:ResourceTag/k8s.io/cluster-autoscaler/{cluster_name}": "owned",
                "aws:ResourceTag/eks:nodegroup-name": nodegroup_name,
            }},
        ),
    ]


class ClusterAutoscaler(Construct):
    """Service account with its role, then the chart; it discovers only `nodegroup_name`'s ASG."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        cluster: eks.ICluster,
        cluster_name: str,
        nodegroup_name: str,
        nodegroup_arn: str,
        chart_version: str,
        image_repository: str,
        image_tag: str,
        identity_type: eks.IdentityType,
        placement: Placement,
        expander: str,
        scale_down_unneeded_time: str,
        scale_down_utilization_percent: int,
        resources: Mapping[str, Any],
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        self.service_account = controller_service_account(self, cluster=cluster, name=SERVICE_ACCOUNT,
                                                          namespace="kube-system", identity_type=identity_type)
        for statement in policy_statements(stack, cluster_name=cluster_name, nodegroup_name=nodegroup_name,
                                           nodegroup_arn=nodegroup_arn):
            self.service_account.add_to_principal_policy(statement)

        self.chart = eks.HelmChart(
            self, "Chart",
            cluster=cluster,
            chart="cluster-autoscaler",
            repository=REPOSITORY,
            version=chart_version,
            release="cluster-autoscaler",
            namespace="kube-system",
            wait=True,
            timeout=Duration.minutes(10),
            values={
                "cloudProvider": "aws",
                "awsRegion": stack.region,
                "autoDiscovery": {
                    "clusterName": cluster_name,
                    # Tag key=value pairs: EKS tags a managed node group's ASG with its name, so the
                    # system node group (same cluster tags) is never discovered.
                    "tags": [
                        "k8s.io/cluster-autoscaler/enabled",
                        f"k8s.io/cluster-autoscaler/{cluster_name}",
                        f"eks:nodegroup-name={nodegroup_name}",
                    ],
                },
                "rbac": {"serviceAccount": {"create": False, "name": SERVICE_ACCOUNT}},
                "image": {"repository": image_repository, "tag": image_tag},
                "extraArgs": {
                    "balance-similar-node-groups": True,
                    "skip-nodes-with-system-pods": False,
                    "expander": expander,
                    "scale-down-unneeded-time": scale_down_unneeded_time,
                    "scale-down-utilization-threshold": scale_down_utilization_percent / 100,
                    # Explicit, because the headroom PriorityClass sits exactly at it (flags.go default
                    # -10; pods below it are ignored for scale-up): see autoscaling_objects.PLACEHOLDER_PRIORITY.
                    "expendable-pods-priority-cutoff": PLACEHOLDER_PRIORITY,
                    # node_group_{min,max,target}_count for the node-group-at-max alert (flags.go, default false).
                    "emit-per-nodegroup-metrics": True,
                },
                "service": {"annotations": scrape_annotations(METRICS_PORT)},
                "podAnnotations": {"cluster-autoscaler.kubernetes.io/safe-to-evict": "false",
                                   **identity_pod_annotations(identity_type)},
                "resources": dict(resources),
                "securityContext": POD_SECURITY_CONTEXT,
                "containerSecurityContext": CONTAINER_SECURITY_CONTEXT,
                **placement.pod_fields(),
            },
        )
        self.chart.node.add_dependency(self.service_account)
