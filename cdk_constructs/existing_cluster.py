"""A cluster the app does not own, imported so that the nested stacks deploy onto it.

aws_eks_v2's imported cluster takes a kubectl provider object and ignores kubectlProviderOptions
(aws-cdk-lib 2.275.0 aws-eks-v2/lib/cluster.js, ImportedCluster), and a provider needs the cluster it
serves: a first, provider-less reference builds the provider, the second reference carries it. The
provider's role gets cluster-admin through an access entry (the cluster must use the EKS API or
API_AND_CONFIG_MAP authentication mode); every Kubernetes object of the app waits for that entry.
"""

from __future__ import annotations

import importlib

from aws_cdk import Annotations
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_eks_v2 as eks
from aws_cdk import aws_iam as iam
from constructs import Construct

from eks_scaling.settings import ExistingClusterConfig
from eks_scaling.versions import VersionRow


class ExistingCluster(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, name: str, settings: ExistingClusterConfig,
                 versions: VersionRow) -> None:
        super().__init__(scope, construct_id)
        self.vpc = ec2.Vpc.from_vpc_attributes(
            self, "Vpc", vpc_id=settings.vpc_id, availability_zones=list(settings.availability_zones),
            private_subnet_ids=list(settings.private_subnet_ids),
        )
        for subnet in self.vpc.private_subnets:
            # Nothing the app deploys routes through them: no route table id is needed.
            Annotations.of(subnet).acknowledge_warning("@aws-cdk/aws-ec2:noSubnetRouteTableId",
                                                       "the app adds no routes to an existing cluster's subnets")
        attributes = {"cluster_name": name, "vpc": self.vpc, "cluster_security_group_id": settings.security_group_id}
        if settings.oidc_provider_arn:  # IRSA's; Pod Identity goes through the cluster's own agent
            attributes["open_id_connect_provider"] = iam.OpenIdConnectProvider.from_open_id_connect_provider_arn(
                self, "Oidc", settings.oidc_provider_arn)
        reference = eks.Cluster.from_cluster_attributes(self, "Reference", **attributes)
        layer_module = importlib.import_module(versions.kubectl_layer_module)
        # In the private subnets, with the cluster security group: it reaches a private endpoint too.
        provider = eks.KubectlProvider(
            self, "KubectlProvider", cluster=reference, private_subnets=list(self.vpc.private_subnets),
            kubectl_layer=getattr(layer_module, versions.kubectl_layer_class)(self, "KubectlLayer"),
        )
        self.cluster = eks.Cluster.from_cluster_attributes(self, "Imported", kubectl_provider=provider, **attributes)
        self.access = eks.AccessEntry(
            self, "KubectlAccess", cluster=self.cluster, principal=provider.role.role_arn,
            access_policies=[eks.AccessPolicy.from_access_policy_name(
                "AmazonEKSClusterAdminPolicy", access_scope_type=eks.AccessScopeType.CLUSTER)],
        )
