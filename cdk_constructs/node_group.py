"""A managed node group on AL2023 with IMDSv2 required (one hop) and an encrypted gp3 root volume."""

from __future__ import annotations

import hashlib
import json
from typing import Mapping, Sequence

from aws_cdk import Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_eks_v2 as eks
from constructs import Construct

_TAINT_EFFECTS = {"NoSchedule": eks.TaintEffect.NO_SCHEDULE, "PreferNoSchedule": eks.TaintEffect.PREFER_NO_SCHEDULE,
                  "NoExecute": eks.TaintEffect.NO_EXECUTE}


class ManagedNodeGroup(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        cluster: eks.ICluster,
        kubernetes_version: str,
        instance_types: Sequence[str],
        arm: bool,
        min_size: int,
        desired_size: int,
        max_size: int,
        labels: Mapping[str, str],
        taints: Sequence[Mapping[str, str]] = (),
        name_prefix: str | None = None,
        root_volume_gib: int = 50,
    ) -> None:
        """name_prefix: name the group `<prefix>-<hash of its create-only inputs>` (else CloudFormation names it)."""
        super().__init__(scope, construct_id)
        launch_template = ec2.LaunchTemplate(
            self, "LaunchTemplate",
            require_imdsv2=True,
            # 1 hop: pods (other than hostNetwork ones such as aws-node and the Pod Identity agent) cannot
            # reach IMDS and the node role; controllers get their region from their values instead.
            http_put_response_hop_limit=1,
            block_devices=[ec2.BlockDevice(
                device_name="/dev/xvda",
                volume=ec2.BlockDeviceVolume.ebs(
                    root_volume_gib, encrypted=True, volume_type=ec2.EbsDeviceVolumeType.GP3),
            )],
        )
        ami_type = eks.NodegroupAmiType.AL2023_ARM_64_STANDARD if arm else eks.NodegroupAmiType.AL2023_X86_64_STANDARD
        private = ec2.SubnetType.PRIVATE_WITH_EGRESS
        # InstanceTypes, AmiType and Subnets are create-only on AWS::EKS::Nodegroup: a change replaces the
        # group, which CloudFormation refuses for a fixed name. Hashing them (the subnets by their zones)
        # gives the replacement a new name. CapacityType, DiskSize and RemoteAccess are left at their defaults.
        create_only = [list(instance_types), ami_type.value,
                       Stack.of(self).resolve(cluster.vpc.select_subnets(subnet_type=private).availability_zones)]
        self.name = (f"{name_prefix}-{hashlib.sha256(json.dumps(create_only).encode()).hexdigest()[:8]}"
                     if name_prefix else None)
        self.nodegroup = eks.Nodegroup(
            self, "Nodegroup",
            cluster=cluster,
            nodegroup_name=self.name,
            ami_type=ami_type,
            instance_types=[ec2.InstanceType(name) for name in instance_types],
            min_size=min_size,
            desired_size=desired_size,
            max_size=max_size,
            labels=dict(labels),
            taints=[eks.TaintSpec(key=taint["key"], value=taint["value"], effect=_TAINT_EFFECTS[taint["effect"]])
                    for taint in taints],
            launch_template_spec=eks.LaunchTemplateSpec(
                id=launch_template.launch_template_id, version=launch_template.latest_version_number,
            ),
            subnets=ec2.SubnetSelection(subnet_type=private),
        )
        # The cluster's version, so raising kubernetesVersion upgrades the group too (Version updates in
        # place, after the cluster it references); unset, the group would stay on the version it started with.
        cfn_group = self.nodegroup.node.default_child
        assert isinstance(cfn_group, eks.CfnNodegroup)
        cfn_group.version = kubernetes_version
