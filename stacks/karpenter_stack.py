"""Nested stack: Karpenter, and the chapter's NodePool and EC2NodeClass."""

from __future__ import annotations

from aws_cdk import NestedStack
from aws_cdk import aws_eks_v2 as eks
from constructs import Construct

from cdk_constructs.karpenter import Karpenter
from cdk_constructs.karpenter_node_pool import KarpenterNodePool
from eks_scaling.autoscaling_objects import capacity_buffer
from eks_scaling.controller_footprints import KARPENTER_REPLICAS
from eks_scaling.placement import Placement, tolerating
from eks_scaling.settings import HeadroomConfig, KarpenterConfig
from eks_scaling.versions import VersionRow

# With nodeAutoscaler=both, Karpenter's nodes carry this taint: only workloads that tolerate it
# (the demos) land there, and Cluster Autoscaler never counts on those nodes.
DEDICATED_TAINT = {"key": "dedicated", "value": "karpenter", "effect": "NoSchedule"}
# Every node of Karpenter's NodePool carries these labels: workloads meant for them select them, and
# tolerate the taint (a no-op without Cluster Autoscaler).
NODE_LABELS = {"type": "karpenter"}
PLACEMENT = Placement(NODE_LABELS, (tolerating(DEDICATED_TAINT),))


class KarpenterStack(NestedStack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        cluster: eks.ICluster,
        cluster_name: str,
        settings: KarpenterConfig,
        headroom: HeadroomConfig,
        versions: VersionRow,
        identity_type: eks.IdentityType,
        system: Placement,
        dedicated: bool,
    ) -> None:
        super().__init__(scope, construct_id, description="Karpenter, its NodePool and EC2NodeClass")
        self.controller = Karpenter(
            self, "Karpenter",
            cluster=cluster,
            cluster_name=cluster_name,
            version=versions.karpenter,
            identity_type=identity_type,
            placement=system,
            controller_cpu=settings.controller_cpu,
            controller_memory=settings.controller_memory,
            replicas=KARPENTER_REPLICAS,
            feature_gates={
                "spotToSpotConsolidation": settings.spot_to_spot_consolidation,
                "capacityBuffer": headroom.mechanism == "capacity-buffer",
            },
        )
        self.node_pool = KarpenterNodePool(
            self, "NodePool",
            cluster=cluster,
            name="default",
            cluster_name=cluster_name,
            node_role_name=self.controller.node_role.role_name,
            security_group_id=cluster.cluster_security_group_id,
            settings=settings,
            labels=NODE_LABELS,
            taints=[DEDICATED_TAINT] if dedicated else [],
        )
        # Deleted first on teardown: Karpenter, still running, terminates its nodes through finalizers.
        self.node_pool.node.add_dependency(self.controller.chart, self.controller.node_access)
        if headroom.slots and headroom.mechanism == "capacity-buffer":
            # After the controller (the CRD, and the gate on): deleted first, while Karpenter still runs.
            buffer = eks.KubernetesManifest(self, "CapacityBuffer", cluster=cluster,
                                            manifest=capacity_buffer(headroom, PLACEMENT))
            buffer.node.add_dependency(self.controller.chart)
