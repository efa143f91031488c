"""The chapter's Provisioner on Karpenter v1: an EC2NodeClass and a NodePool (manifests/karpenter-node-pool.yaml)."""

from __future__ import annotations

from typing import Mapping, Sequence

from aws_cdk import aws_eks_v2 as eks
from constructs import Construct

from cdk_constructs.manifests import load_manifest


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
        ami_alias: str,
        instance_types: Sequence[str],
        capacity_types: Sequence[str],
        cpu_limit: int,
        memory_limit: str,
        consolidate_after: str,
        labels: Mapping[str, str],
        taints: Sequence[Mapping[str, str]],
    ) -> None:
        super().__init__(scope, construct_id)
        self.manifest = eks.KubernetesManifest(
            self, "Manifest",
            cluster=cluster,
            manifest=load_manifest(
                "karpenter-node-pool",
                name=name,
                clusterName=cluster_name,
                nodeRole=node_role_name,
                securityGroupId=security_group_id,
                amiAlias=ami_alias,
                instanceTypes=list(instance_types),
                capacityTypes=list(capacity_types),
                cpuLimit=cpu_limit,
                memoryLimit=memory_limit,
                consolidateAfter=consolidate_after,
                labels=dict(labels),
                taints=[dict(taint) for taint in taints],
            ),
        )
