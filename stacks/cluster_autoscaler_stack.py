"""Nested stack: the managed node group Cluster Autoscaler scales, and Cluster Autoscaler itself."""

from __future__ import annotations

from aws_cdk import NestedStack
from aws_cdk import aws_eks_v2 as eks
from constructs import Construct

from cdk_constructs.cluster_autoscaler import ClusterAutoscaler
from cdk_constructs.node_group import ManagedNodeGroup
from eks_scaling.controller_footprints import CLUSTER_AUTOSCALER_RESOURCES
from eks_scaling.placement import Placement
from eks_scaling.settings import ClusterAutoscalerConfig
from eks_scaling.versions import VersionRow

# The node group's name starts with this, then a hash of its create-only inputs (see ManagedNodeGroup).
NODEGROUP_NAME_PREFIX = "ca-workers"
# Workloads meant for Cluster Autoscaler's nodes select them by this label.
NODE_LABELS = {"role": NODEGROUP_NAME_PREFIX}


class ClusterAutoscalerStack(NestedStack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        cluster: eks.ICluster,
        cluster_name: str,
        settings: ClusterAutoscalerConfig,
        versions: VersionRow,
        identity_type: eks.IdentityType,
        system: Placement,
    ) -> None:
        super().__init__(scope, construct_id, description="Cluster Autoscaler and the node group it scales")
        nodes = settings.nodes
        workers = ManagedNodeGroup(
            self, "Workers",
            cluster=cluster, kubernetes_version=versions.kubernetes, name_prefix=NODEGROUP_NAME_PREFIX,
            instance_types=nodes.instance_types, arm=nodes.arm,
            min_size=nodes.min_size, desired_size=nodes.desired_size, max_size=nodes.max_size,
            labels=NODE_LABELS,
        )
        self.workers = workers.nodegroup
        self.autoscaler = ClusterAutoscaler(
            self, "ClusterAutoscaler",
            cluster=cluster,
            cluster_name=cluster_name,
            nodegroup_name=workers.name,
            nodegroup_arn=workers.nodegroup.nodegroup_arn,
            resources=CLUSTER_AUTOSCALER_RESOURCES,
            chart_version=versions.cluster_autoscaler_chart,
            image_repository=versions.cluster_autoscaler_image.repository,
            image_tag=versions.cluster_autoscaler_image.pinned_tag,
            identity_type=identity_type,
            placement=system,
            expander=settings.expander,
            scale_down_unneeded_time=settings.scale_down_unneeded_time,
            scale_down_utilization_percent=settings.scale_down_utilization_percent,
        )
