"""A managed node group on AL2023 with IMDSv2 required and an encrypted gp3 root volume."""

from __future__ import annotations

from typing import Mapping, Sequence

from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_eks_v2 as eks
from constructs import Construct


class ManagedNodeGroup(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        cluster: eks.ICluster,
        instance_types: Sequence[str],
        arm: bool,
        min_size: int,
        desired_size: int,
        max_size: int,
        labels: Mapping[str, str],
        nodegroup_name: str | None = None,
        root_volume_gib: int = 50,
    ) -> None:
        super().__init__(scope, construct_id)
        launch_template = ec2.LaunchTemplate(
            self, "LaunchTemplate",
            require_imdsv2=True,
            # 2 hops: controllers on these nodes may read their region from IMDS, as on EKS's own template.
            http_put_response_hop_limit=2,
            block_devices=[ec2.BlockDevice(
                device_name="/dev/xvda",
                volume=ec2.BlockDeviceVolume.ebs(
                    root_volume_gib, encrypted=True, volume_type=ec2.EbsDeviceVolumeType.GP3),
            )],
        )
        self.nodegroup = eks.Nodegroup(
            self, "Nodegroup",
            cluster=cluster,
            nodegroup_name=nodegroup_name,
            ami_type=eks.NodegroupAmiType.AL2023_ARM_64_STANDARD if arm else eks.NodegroupAmiType.AL2023_X86_64_STANDARD,
            instance_types=[ec2.InstanceType(name) for name in instance_types],
            min_size=min_size,
            desired_size=desired_size,
            max_size=max_size,
            labels=dict(labels),
            launch_template_spec=eks.LaunchTemplateSpec(
                id=launch_template.launch_template_id, version=launch_template.latest_version_number,
            ),
            subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS),
        )
