"""Nested stack: the app's own NodePool under EKS Auto Mode (autoModeNodePool), on Auto Mode's NodeClass."""

from __future__ import annotations

from aws_cdk import NestedStack
from aws_cdk import aws_eks_v2 as eks
from constructs import Construct

from cdk_constructs.karpenter_node_pool import NodePools
from eks_scaling.auto_mode import NODE_CLASS_REF
from eks_scaling.settings import KarpenterConfig
from stacks.karpenter_stack import NODE_LABELS


class AutoModeNodePoolStack(NestedStack):
    """Auto Mode's Karpenter runs off the cluster for its whole life, so the NodePool needs no controller
    before it, and on teardown Auto Mode terminates the pool's nodes when the NodePool goes."""

    def __init__(self, scope: Construct, construct_id: str, *, cluster: eks.ICluster,
                 settings: KarpenterConfig) -> None:
        super().__init__(scope, construct_id, description="The app's own NodePool on EKS Auto Mode")
        # The label the inflate demo selects, as on the self-managed Karpenter's nodes; no taint (no
        # Cluster Autoscaler runs beside Auto Mode). Names of their own: switching from nodeAutoscaler=karpenter
        # creates these before CloudFormation deletes Karpenter's `default` and `spot`, and
        # `kubectl create` of a NodePool of the same name would fail (tests/test_update_safety.py).
        self.node_pool = NodePools(self, "NodePool", cluster=cluster, name="auto-mode", spot_name="auto-mode-spot",
                                   settings=settings, labels=NODE_LABELS, taints=[], node_class_ref=NODE_CLASS_REF)
