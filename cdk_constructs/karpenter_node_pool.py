"""The chapter's Provisioner on Karpenter v1: an EC2NodeClass and its NodePools, in one manifest
(manifests/karpenter-node-class.yaml, karpenter-node-pool.yaml; eks_scaling/autoscaling_objects.py)."""

from __future__ import annotations

from typing import Mapping, Sequence

from aws_cdk import aws_eks_v2 as eks
from constructs import Construct

from eks_scaling.autoscaling_objects import node_pools
from eks_scaling.manifests import load_manifest
from eks_scaling.settings import KarpenterConfig


class KarpenterNodePool(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        cluster: eks.ICluster,
        name: str,
        cluster_name: str,
        node_role_name: str,
        security_group_id: str,
        settings: KarpenterConfig,
        labels: Mapping[str, str],
        taints: Sequence[Mapping[str, str]],
    ) -> None:
        super().__init__(scope, construct_id)
        node_class = load_manifest("karpenter-node-class", name=name, clusterName=cluster_name,
                                   nodeRole=node_role_name, securityGroupId=security_group_id,
                                   amiAlias=settings.ami_alias)
        self.manifest = eks.KubernetesManifest(
            self, "Manifest", cluster=cluster,
            manifest=[*node_class, *node_pools(settings, name=name, labels=labels, taints=taints)],
        )
