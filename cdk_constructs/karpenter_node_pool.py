"""The chapter's Provisioner on Karpenter v1: an EC2NodeClass and its NodePool in one manifest (under EKS
Auto Mode, the NodePool alone, on Auto Mode's NodeClass), the Spot NodePool (when there is one) in its
own (manifests/karpenter-node-class.yaml, karpenter-node-pool.yaml; eks_scaling/autoscaling_objects.py).

The Spot NodePool has its own resource because `kubectl apply --prune` never prunes a NodePool (kubectl's
default prune allowlist, pkg/util/prune/prune.go, has no karpenter.sh kinds): turning Spot off must
delete its resource, whose Delete runs `kubectl delete` while Karpenter still runs."""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from aws_cdk import aws_eks_v2 as eks
from constructs import Construct

from eks_scaling.autoscaling_objects import SPOT_NODE_POOL, node_pools
from eks_scaling.manifests import load_manifest
from eks_scaling.settings import KarpenterConfig


class NodePools(Construct):
    """The NodePools of `settings` on the node class `node_class_ref` (default: the EC2NodeClass `name`),
    applied with `node_class` (the objects of that class, if the app deploys it)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        cluster: eks.ICluster,
        name: str,
        settings: KarpenterConfig,
        labels: Mapping[str, str],
        taints: Sequence[Mapping[str, str]],
        node_class: Sequence[dict[str, Any]] = (),
        node_class_ref: Mapping[str, str] | None = None,
        spot_name: str = SPOT_NODE_POOL,
    ) -> None:
        super().__init__(scope, construct_id)
        pools = node_pools(settings, name=name, labels=labels, taints=taints, node_class_ref=node_class_ref,
                           spot_name=spot_name)
        spot = [pool for pool in pools if pool["metadata"]["name"] == spot_name]
        self.manifest = eks.KubernetesManifest(
            self, "Manifest", cluster=cluster, manifest=[*node_class, *(pool for pool in pools if pool not in spot)],
        )
        if spot:
            # overwrite: `kubectl apply` on Create adopts a Spot NodePool an earlier version of this app put
            # in the manifest above. No order against the EC2NodeClass: Karpenter holds a class's delete
            # while NodeClaims still use it (aws/karpenter-provider-aws pkg/controllers/nodeclass/termination/
            # controller.go, Finalize), and the deploy chain stays within budget.
            eks.KubernetesManifest(self, "SpotManifest", cluster=cluster, manifest=spot, overwrite=True)


class KarpenterNodePool(NodePools):
    """The NodePools on an EC2NodeClass of the same name, applied together (NodePools' other props)."""

    def __init__(self, scope: Construct, construct_id: str, *, name: str, cluster_name: str, node_role_name: str,
                 security_group_id: str, settings: KarpenterConfig, **pools: Any) -> None:
        node_class = load_manifest("karpenter-node-class", name=name, clusterName=cluster_name,
                                   nodeRole=node_role_name, securityGroupId=security_group_id,
                                   amiAlias=settings.ami_alias)
        super().__init__(scope, construct_id, name=name, settings=settings, node_class=node_class, **pools)
