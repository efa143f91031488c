"""EKS Pod Identity trust narrowed to one service account of one cluster.

The agent assumes the role with session tags naming the cluster, namespace and service account; the
documented trust policy (FACTS.md, "EKS Pod Identity trust") allows sts:AssumeRole and sts:TagSession for
pods.eks.amazonaws.com, and conditions on those request tags keep every other service account (of this
or any other cluster in the account) from assuming it.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import aws_eks_v2 as eks
from aws_cdk import aws_iam as iam

# On the controller pods that have an IAM role. A pod's credentials configuration is fixed when it is
# admitted (the IRSA webhook, aws/amazon-eks-pod-identity-webhook, and the Pod Identity webhook inject
# environment and token volumes at pod creation): when workloadIdentity changes, this annotation changes
# the pod template, so the Deployment rolls new pods instead of keeping ones whose next refresh is denied.
IDENTITY_ANNOTATION = "eks-scaling/workload-identity"


def trust_conditions(*, cluster_name: str, namespace: str, service_account: str) -> dict[str, Any]:
    return {"StringEquals": {
        "aws:RequestTag/eks-cluster-name": cluster_name,
        "aws:RequestTag/kubernetes-namespace": namespace,
        "aws:RequestTag/kubernetes-service-account": service_account,
    }}


def narrow_service_account_trust(role: iam.IRole, **names: str) -> None:
    """Add the conditions to the one trust statement eks.ServiceAccount writes for Pod Identity."""
    cfn_role = role.node.default_child
    assert isinstance(cfn_role, iam.CfnRole)
    cfn_role.add_property_override("AssumeRolePolicyDocument.Statement.0.Condition", trust_conditions(**names))


def identity_pod_annotations(identity_type: eks.IdentityType) -> dict[str, str]:
    return {IDENTITY_ANNOTATION: "pod-identity" if identity_type == eks.IdentityType.POD_IDENTITY else "irsa"}
