"""EKS Pod Identity trust narrowed to one service account of one cluster.

The agent assumes the role with session tags naming the cluster, namespace and service account; the
documented trust policy (FACTS.md, "EKS Pod Identity trust") allows sts:AssumeRole and sts:TagSession for
pods.eks.amazonaws.com, and conditions on those request tags keep every other service account (of this
or any other cluster in the account) from assuming it.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import aws_iam as iam


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
