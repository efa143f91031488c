"""The parent stack: network, cluster, system node group, kubectl provider, one NestedStack per capability."""

from __future__ import annotations

import hashlib
import importlib

from aws_cdk import Annotations, CfnOutput, Duration, RemovalPolicy, Stack, Tags
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_eks_v2 as eks
from aws_cdk import aws_kms as kms
from constructs import Construct

from stacks.config import AppConfig
from stacks.metrics_stack import MetricsStack
from stacks.versions import MATRIX, VersionRow

# Controllers select the system node group by this label (ARCHITECTURE.md rule 6).
SYSTEM_NODE_LABELS = {"role": "system"}

_LOG_TYPES = {
    "api": eks.ClusterLoggingTypes.API,
    "audit": eks.ClusterLoggingTypes.AUDIT,
    "authenticator": eks.ClusterLoggingTypes.AUTHENTICATOR,
    "controllerManager": eks.ClusterLoggingTypes.CONTROLLER_MANAGER,
    "scheduler": eks.ClusterLoggingTypes.SCHEDULER,
}


class EksScalingStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, *, config: AppConfig, **kwargs) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.config = config
        self.versions = MATRIX[config.cluster.kubernetes_version]
        self._warn_caveats(self.versions)

        self.vpc = self._vpc()
        self.cluster = self._cluster()
        self.system_nodegroup = self._system_nodegroup()

        self.metrics: MetricsStack | None = None
        if config.enable_metrics_server:
            self.metrics = MetricsStack(
                self, "Metrics",
                cluster=self.cluster, versions=self.versions, system_node_labels=SYSTEM_NODE_LABELS,
            )
            # Charts wait for Ready pods, so they need nodes to land on.
            self.metrics.node.add_dependency(self.system_nodegroup)

        CfnOutput(self, "ClusterName", value=self.cluster.cluster_name)
        CfnOutput(self, "UpdateKubeconfigCommand",
                  value=f"aws eks update-kubeconfig --name {self.cluster.cluster_name} --region {self.region}")
        CfnOutput(self, "SystemNodegroupName", value=self.system_nodegroup.nodegroup_name)

    def _warn_caveats(self, versions: VersionRow) -> None:
        for caveat in versions.caveats():
            if caveat.component in self.config.enabled_components:
                Annotations.of(self).add_warning_v2(f"eks-scaling:{caveat.component}", caveat.message)

    def _vpc(self) -> ec2.Vpc:
        network = self.config.network
        if self.config.region:
            # Env-specific: name the AZs so that synth needs no lookup (and no credentials).
            zones = list(network.availability_zones) or [f"{self.config.region}a", f"{self.config.region}b"]
            placement = {"availability_zones": zones}
        else:
            placement = {"max_azs": 2}
        vpc = ec2.Vpc(
            self, "Vpc",
            nat_gateways=network.nat_gateways,
            subnet_configuration=[
                ec2.SubnetConfiguration(name="Public", subnet_type=ec2.SubnetType.PUBLIC, cidr_mask=24),
                # Large private subnets: the VPC CNI gives every pod a VPC address.
                ec2.SubnetConfiguration(name="Private", subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS, cidr_mask=19),
            ],
            **placement,
        )
        for subnet in vpc.private_subnets:
            Tags.of(subnet).add("karpenter.sh/discovery", self.config.cluster.name)
        return vpc

    def _cluster(self) -> eks.Cluster:
        settings = self.config.cluster
        layer_module = importlib.import_module(self.versions.kubectl_layer_module)
        kubectl_layer = getattr(layer_module, self.versions.kubectl_layer_class)(self, "KubectlLayer")
        secrets_key = kms.Key(
            self, "SecretsKey", enable_key_rotation=True, description=f"EKS secrets encryption for {settings.name}",
            # The key only protects this cluster's secrets: schedule its deletion with the cluster.
            removal_policy=RemovalPolicy.DESTROY, pending_window=Duration.days(7),
        )
        cluster = eks.Cluster(
            self, "Cluster",
            cluster_name=settings.name,
            version=eks.KubernetesVersion.of(settings.kubernetes_version),
            vpc=self.vpc,
            vpc_subnets=[ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS)],
            # Auto Mode off: our own node group, and (later) our own Karpenter and Cluster Autoscaler.
            default_capacity_type=eks.DefaultCapacityType.NODEGROUP,
            default_capacity=0,
            kubectl_provider_options=eks.KubectlProviderOptions(kubectl_layer=kubectl_layer),
            secrets_encryption_key=secrets_key,
            cluster_logging=[_LOG_TYPES[name] for name in settings.logging],
            endpoint_access=_endpoint_access(settings.endpoint_access, settings.public_access_cidrs),
            output_config_command=False,
        )
        admin = eks.AccessPolicy.from_access_policy_name(
            "AmazonEKSClusterAdminPolicy", access_scope_type=eks.AccessScopeType.CLUSTER,
        )
        for arn in settings.admin_principal_arns:
            # Id from the ARN, so reordering the list does not replace access entries.
            cluster.grant_access(f"Admin{hashlib.sha256(arn.encode()).hexdigest()[:8]}", arn, [admin])
        return cluster

    def _system_nodegroup(self) -> eks.Nodegroup:
        nodes = self.config.system_nodes
        launch_template = ec2.LaunchTemplate(
            self, "SystemNodeLaunchTemplate",
            require_imdsv2=True,
            # 2 hops: controllers on these nodes may read their region from IMDS, as on EKS's own template.
            http_put_response_hop_limit=2,
            block_devices=[ec2.BlockDevice(
                device_name="/dev/xvda",
                volume=ec2.BlockDeviceVolume.ebs(50, encrypted=True, volume_type=ec2.EbsDeviceVolumeType.GP3),
            )],
        )
        return self.cluster.add_nodegroup_capacity(
            "SystemNodes",
            ami_type=(eks.NodegroupAmiType.AL2023_ARM_64_STANDARD if nodes.arm
                      else eks.NodegroupAmiType.AL2023_X86_64_STANDARD),
            instance_types=[ec2.InstanceType(name) for name in nodes.instance_types],
            min_size=nodes.min_size,
            desired_size=nodes.desired_size,
            max_size=nodes.max_size,
            labels=SYSTEM_NODE_LABELS,
            launch_template_spec=eks.LaunchTemplateSpec(
                id=launch_template.launch_template_id, version=launch_template.latest_version_number,
            ),
            subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS),
        )


def _endpoint_access(mode: str, cidrs: tuple[str, ...]) -> eks.EndpointAccess:
    # Config allows CIDRs other than 0.0.0.0/0 only with public-and-private (see stacks/config.py).
    if mode == "private":
        return eks.EndpointAccess.PRIVATE
    if mode == "public":
        return eks.EndpointAccess.PUBLIC
    return eks.EndpointAccess.PUBLIC_AND_PRIVATE.only_from(*cidrs)
