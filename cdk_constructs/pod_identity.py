"""EKS Pod Identity trust narrowed to one service account of one cluster.

The agent assumes the role with session tags naming the cluster, namespace and service account; the
documented trust policy (FACTS.md, "EKS Pod Identity trust") allows sts:AssumeRole and sts:TagSession for
pods.eks.amazonaws.com, and conditions on those request tags keep every other service account (of this
or any other cluster in the account) from assuming it.
"""

from __future__ import annotations

import json
from typing import Any

from aws_cdk import CfnResource
from aws_cdk import aws_eks_v2 as eks
from aws_cdk import aws_iam as iam
from constructs import Construct

# On the controller pods that have an IAM role. A pod's credentials configuration is fixed when it is
# admitted (the IRSA webhook, aws/amazon-eks-pod-identity-webhook, and the Pod Identity webhook inject
# environment and token volumes at pod creation): when workloadIdentity changes, this annotation changes
# the pod template, so the Deployment rolls new pods instead of keeping ones whose next refresh is denied.
IDENTITY_ANNOTATION = "eks-scaling/workload-identity"


def trust_conditions(*, cluster_arn: str, namespace: str, service_account: str) -> dict[str, Any]:
    """On the cluster's ARN, not its name: a cluster of the same name in another account or region (the
    agent tags both, eks-cluster-arn and eks-cluster-name) cannot assume the role."""
    return {"StringEquals": {
        "aws:RequestTag/eks-cluster-arn": cluster_arn,
        "aws:RequestTag/kubernetes-namespace": namespace,
        "aws:RequestTag/kubernetes-service-account": service_account,
    }}


def narrow_service_account_trust(role: iam.IRole, **names: str) -> None:
    """Add the conditions to the one trust statement eks.ServiceAccount writes for Pod Identity."""
    cfn_role = role.node.default_child
    assert isinstance(cfn_role, iam.CfnRole)
    cfn_role.add_property_override("AssumeRolePolicyDocument.Statement.0.Condition", trust_conditions(**names))


def controller_service_account(scope: Construct, *, cluster: eks.ICluster, name: str, namespace: str,
                               identity_type: eks.IdentityType) -> eks.ServiceAccount:
    """A controller's service account with its role: with Pod Identity, the trust narrowed to this account
    and no IRSA annotation on it."""
    account = eks.ServiceAccount(scope, "ServiceAccount", cluster=cluster, name=name, namespace=namespace,
                                 identity_type=identity_type)
    if identity_type == eks.IdentityType.POD_IDENTITY:
        narrow_service_account_trust(account.role, cluster_arn=cluster.cluster_arn, namespace=namespace,
                                     service_account=name)
        drop_irsa_annotation(account, name=name, namespace=namespace)
    return account


def identity_pod_annotations(identity_type: eks.IdentityType) -> dict[str, str]:
    return {IDENTITY_ANNOTATION: "pod-identity" if identity_type == eks.IdentityType.POD_IDENTITY else "irsa"}


def drop_irsa_annotation(service_account: eks.ServiceAccount, *, name: str, namespace: str) -> None:
    """eks.ServiceAccount annotates the account with its role for IRSA whatever the identity type
    (aws-cdk-lib 2.275.0 aws-eks-v2 ServiceAccount). With Pod Identity the annotation would still make
    the IRSA webhook inject a web-identity token the role's trust does not accept, and the SDKs try web
    identity before the Pod Identity agent's container credentials: the manifest keeps only the name and
    labels (the prune label the construct derives from its manifest's address, its app name label)."""
    manifest = next(child for child in service_account.node.find_all() if isinstance(child, eks.KubernetesManifest))
    resource = next(child for child in manifest.node.find_all() if isinstance(child, CfnResource))
    labels = {f"aws.cdk.eks/prune-{manifest.node.addr}": "", "app.kubernetes.io/name": name}
    account = {"apiVersion": "v1", "kind": "ServiceAccount",
               "metadata": {"name": name, "namespace": namespace, "labels": labels}}
    resource.add_property_override("Manifest", json.dumps([account], separators=(",", ":")))
