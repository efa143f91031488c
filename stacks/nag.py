"""cdk-nag (AwsSolutions) over the whole app, and every acknowledged finding with its reason.

Each entry of ACKNOWLEDGMENTS names one kind of construct by its path and one rule, with the reason
that finding is accepted there. The aspect acknowledges it on that construct only, finding by finding
(IAM4 per managed policy, IAM5 per wildcard resource or action), so a new finding, or the same rule
anywhere else, still fails synth.
"""

from __future__ import annotations

import json
import re
from typing import Any

import jsii
from aws_cdk import Acknowledgment, Aspects, CfnResource, IAspect, Stack, Validations
from aws_cdk import aws_iam as iam
from cdk_nag import AwsSolutionsChecks
from constructs import Construct, IConstruct

from stacks.endpoint_rule import OpenEndpointRule

_NODE_ROLE = ("EKS worker nodes need these AWS managed policies (AmazonEKSWorkerNodePolicy, AmazonEKS_CNI_Policy, "
              "ECR pull); AWS maintains them with the node's requirements")
_CDK_PIPELINES = ("CDK Pipelines' own role: read/write of the pipeline's artifact objects and its own CodeBuild "
                  "log group and report groups, which CDK scopes by wildcard suffix")

# (construct path pattern, rule, reason)
ACKNOWLEDGMENTS: list[tuple[str, str, str]] = [
    # aws_eks_v2 internals
    (r"/Cluster/Role/Resource$", "IAM4",
     "the EKS cluster role needs AmazonEKSClusterPolicy, the managed policy EKS documents for it, and with Auto "
     "Mode its Compute, BlockStorage, LoadBalancing and Networking policies (aws_eks_v2 adds them)"),
    (r"/Cluster/ClusternodePoolRole/Resource$", "IAM4",
     "Auto Mode's node role: AmazonEKSWorkerNodePolicy and ECR read-only, as aws_eks_v2 creates it for the "
     "built-in NodePools"),
    (r"/Cluster/KubectlProvider/Handler/ServiceRole/Resource$", "IAM4",
     "aws_eks_v2's kubectl handler: Lambda basic and VPC execution, and read-only ECR pulls of OCI charts"),
    (r"/Cluster/KubectlProvider/Handler/Resource$", "L1",
     "aws_eks_v2 pins the kubectl handler's runtime to the one its kubectl/helm layer is built for"),
    (r"/Cluster/KubectlProvider/Provider/framework-onEvent/ServiceRole/Resource$", "IAM4",
     "the custom-resource framework's Lambda: basic and VPC execution managed policies"),
    (r"/Cluster/KubectlProvider/Provider/framework-onEvent/ServiceRole/DefaultPolicy/Resource$", "IAM5",
     "the framework invokes any version of its own kubectl handler (<handler ARN>:*), nothing else"),
    # node roles
    (r"/(SystemNodes|Workers)/Nodegroup/NodeGroupRole/Resource$", "IAM4", _NODE_ROLE),
    (r"/Fargate/PodExecutionRole/Resource$", "IAM4",
     "AmazonEKSFargatePodExecutionRolePolicy is the policy the EKS user guide gives Fargate's pod execution role"),
    (r"/Karpenter/Karpenter/NodeRole/Resource$", "IAM4",
     _NODE_ROLE + "; AmazonSSMManagedInstanceCore as Karpenter's getting-started template gives its nodes"),
    # Karpenter: upstream's policies, statement for statement
    (r"/Karpenter/Karpenter/NodeLifecyclePolicy/Resource$", "IAM5",
     "Karpenter's upstream NodeLifecycle policy: instances, fleets, volumes and launch templates it creates "
     "do not exist yet, so resources are region-scoped types, and every mutation is conditioned on the "
     "kubernetes.io/cluster/<cluster> and karpenter.sh/nodepool tags"),
    (r"/Karpenter/Karpenter/IAMIntegrationPolicy/Resource$", "IAM5",
     "Karpenter creates instance profiles with generated names: scoped by the cluster, region and "
     "ec2nodeclass tags, as upstream's IAMIntegration policy does"),
    (r"/Karpenter/Karpenter/ResourceDiscoveryPolicy/Resource$", "IAM5",
     "read-only discovery of instance types, prices, AMIs, subnets and security groups, limited to this "
     "region as in upstream's ResourceDiscovery policy"),
    (r"/Karpenter/Karpenter/ZonalShiftPolicy/Resource$", "IAM5",
     "arc-zonal-shift:GetManagedResource supports no resource ARN; conditioned on this cluster's ARN as upstream"),
    (r"/Karpenter/Karpenter/Interruption/Queue/Resource$", "SQS3",
     "Karpenter's interruption queue: events are consumed within seconds or expire after 300 s by design; "
     "a dead-letter queue would only keep stale interruption notices"),
    # Cluster Autoscaler and the EBS CSI driver
    (r"/ClusterAutoscaler/ClusterAutoscaler/ServiceAccount/Role/DefaultPolicy/Resource$", "IAM5",
     "describe actions support no resource ARN (upstream's recommended policy); scaling is limited to "
     "ASGs tagged for this cluster and the ca-workers node group"),
    (r"/EbsCsiDriver/Role/Resource$", "IAM4",
     "AmazonEBSCSIDriverPolicy is the policy AWS documents and maintains for the EBS CSI driver"),
    (r"/EbsVolumesGone/Handler/ServiceRole/Resource$", "IAM4",
     "the teardown wait's Lambda: AWSLambdaBasicExecutionRole, which allows writing to any log group of the "
     "account (the function writes only to its own, encrypted group)"),
    (r"/EbsVolumesGone/Handler/ServiceRole/DefaultPolicy/Resource$", "IAM5",
     "ec2:DescribeVolumes supports no resource-level permissions; read-only, to find this cluster's volumes"),
    # CDK Pipelines internals
    (r"/Pipeline/Assets/FileRole/DefaultPolicy/Resource$", "IAM5",
     "CDK Pipelines' asset publishing role: CodeBuild log groups and report groups by CDK's wildcard suffix, "
     "the pipeline's artifact objects; its builds only of the asset project (narrowed in pipeline_stack.py)"),
    (r"/Pipeline/Pipeline/Role/DefaultPolicy/Resource$", "IAM5",
     "the CodePipeline role: artifact objects, and KMS use on * for the cross-region replication keys CDK "
     "creates in its support stacks, whose ARNs the pipeline stack does not know"),
    (r"/Pipeline/Pipeline/Build/Synth/CdkBuildProject/Role/DefaultPolicy/Resource$", "IAM5", _CDK_PIPELINES),
    (r"/Pipeline/Pipeline/Source/[^/]+/CodePipelineActionRole/DefaultPolicy/Resource$", "IAM5", _CDK_PIPELINES),
    (r"/EksScalingPipeline/VerifyRole-[^/]+/DefaultPolicy/Resource$", "IAM5",
     _CDK_PIPELINES + "; the Verify step's own role, named so that the stage's verifier role trusts only it"),
    (r"/Pipeline/Pipeline/[^/]+/Verify-[^/]+/Verify-[^/]+/PolicyDocument/Resource$", "IAM5",
     "CodeBuild in a VPC (the Verify step's fixed-egress network): the describe actions CodeBuild needs "
     "support no resource ARN; ENI create/delete are conditioned on the network's VPC (ec2:Vpc) and "
     "CreateNetworkInterfacePermission on its subnet"),
    (r"/Pipeline/UpdatePipeline/SelfMutation/Role/DefaultPolicy/Resource$", "IAM5",
     _CDK_PIPELINES + "; self-mutation also assumes the CDK bootstrap roles (role/*) and reads stacks"),
    (r"/Pipeline/Pipeline/ArtifactsBucket/Resource$|/CrossRegionCodePipelineReplicationBucket/Resource$", "S1",
     "pipeline artifact buckets hold transient build artifacts, encrypted with the pipeline's KMS key and "
     "TLS-only, written and read only by the pipeline's roles; there is no object-level access log: CloudTrail "
     "records the bucket's management events, object reads and writes only if the account's trail records S3 "
     "data events, which the app does not set up (docs/compliance.md)"),
]


def add_nag_checks(app: Construct) -> None:
    """Run AwsSolutions over the app; findings not acknowledged here fail synth."""
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    acknowledge_known_findings(app)


def acknowledge_known_findings(scope: Construct) -> None:
    """Aspects stop at Stage boundaries: each pipeline stage calls this for itself. The project's own
    rule for EKS endpoints runs here too."""
    Aspects.of(scope).add(_Acknowledge())
    Aspects.of(scope).add(OpenEndpointRule())


def acknowledge(scope: IConstruct, rule: str, reason: str) -> None:
    Validations.of(scope).acknowledge(Acknowledgment(id=f"AwsSolutions::AwsSolutions-{rule}", reason=reason))


@jsii.implements(IAspect)
class _Acknowledge:
    def visit(self, node: IConstruct) -> None:
        if not isinstance(node, CfnResource):
            return
        for pattern, rule, reason in ACKNOWLEDGMENTS:
            if re.search(pattern, "/" + node.node.path):
                for finding in _findings(node, rule):
                    acknowledge(node, finding, reason)


def _findings(node: CfnResource, rule: str) -> list[str]:
    """The rule ids cdk-nag reports for this resource: IAM4/IAM5 carry the policy or wildcard."""
    stack = Stack.of(node)
    if rule == "IAM4" and isinstance(node, iam.CfnRole):
        return [f"IAM4[Policy::{_render(arn)}]" for arn in stack.resolve(node.managed_policy_arns) or []]
    if rule == "IAM5":
        document = stack.resolve(node.policy_document)
        return sorted({f"IAM5[{finding}]" for statement in document.get("Statement", [])
                       for finding in _wildcards(statement)})
    return [rule]


def _wildcards(statement: dict[str, Any]) -> list[str]:
    actions = statement.get("Action", [])
    resources = statement.get("Resource", [])
    return ([f"Action::{action}" for action in (actions if isinstance(actions, list) else [actions]) if "*" in action]
            + [f"Resource::{_render(resource)}" for resource in (resources if isinstance(resources, list) else [resources])
               if "*" in _render(resource)])


def _render(value: Any) -> str:
    """A template value as cdk-nag prints it: references as <AWS::Region>, <Id.Attr>, <Id>."""
    if isinstance(value, str):
        return value
    if "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return separator.join(_render(part) for part in parts)
    if "Ref" in value:
        return f"<{value['Ref']}>"
    if "Fn::GetAtt" in value:
        return f"<{'.'.join(value['Fn::GetAtt'])}>"
    return json.dumps(value, separators=(",", ":"))
