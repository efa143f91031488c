"""The aws-ebs-csi-driver EKS add-on with its own identity: PVCs need it on current EKS."""

from __future__ import annotations

import json

from aws_cdk import CfnJson
from aws_cdk import aws_eks_v2 as eks
from aws_cdk import aws_iam as iam
from constructs import Construct

from cdk_constructs.ebs_volumes_gone import VOLUME_TAG_KEY
from cdk_constructs.pod_identity import identity_pod_annotations, trust_conditions
from eks_scaling.placement import Placement

NAMESPACE = "kube-system"
SERVICE_ACCOUNT = "ebs-csi-controller-sa"


class EbsCsiDriver(Construct):
    """The add-on's controller gets AmazonEBSCSIDriverPolicy through Pod Identity or IRSA.

    The add-on creates its service account itself, so the role is bound through the add-on's own
    podIdentityAssociations / serviceAccountRoleArn instead of an eks.ServiceAccount. Its version is
    left to EKS, which installs the default version for the cluster's Kubernetes minor.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        cluster: eks.ICluster,
        identity_type: eks.IdentityType,
        placement: Placement,
    ) -> None:
        super().__init__(scope, construct_id)
        pod_identity = identity_type == eks.IdentityType.POD_IDENTITY
        self.role = iam.Role(
            self, "Role",
            assumed_by=self._pod_identity_principal(cluster) if pod_identity else self._irsa_principal(cluster),
            managed_policies=[iam.ManagedPolicy.from_aws_managed_policy_name("service-role/AmazonEBSCSIDriverPolicy")],
        )
        self.addon = eks.CfnAddon(
            self, "Addon",
            addon_name="aws-ebs-csi-driver",
            cluster_name=cluster.cluster_name,
            pod_identity_associations=[eks.CfnAddon.PodIdentityAssociationProperty(
                role_arn=self.role.role_arn, service_account=SERVICE_ACCOUNT)] if pod_identity else None,
            service_account_role_arn=None if pod_identity else self.role.role_arn,
            # Every volume it creates carries VOLUME_TAG_KEY=<cluster>: the teardown waits for those.
            # controller.podAnnotations: the add-on's configuration schema takes the chart's value
            # (kubernetes-sigs/aws-ebs-csi-driver charts/aws-ebs-csi-driver/values.yaml).
            configuration_values=json.dumps({"controller": {
                **placement.pod_fields(), "extraVolumeTags": {VOLUME_TAG_KEY: cluster.cluster_name},
                "podAnnotations": identity_pod_annotations(identity_type)}}),
            resolve_conflicts="OVERWRITE",
        )

    @staticmethod
    def _pod_identity_principal(cluster: eks.ICluster) -> iam.IPrincipal:
        return iam.SessionTagsPrincipal(iam.ServicePrincipal("pods.eks.amazonaws.com")).with_conditions(
            trust_conditions(cluster_arn=cluster.cluster_arn, namespace=NAMESPACE, service_account=SERVICE_ACCOUNT))

    def _irsa_principal(self, cluster: eks.ICluster) -> iam.IPrincipal:
        provider = cluster.open_id_connect_provider
        issuer = provider.open_id_connect_provider_issuer
        # The issuer is a token inside the condition keys: CfnJson resolves it at deploy time.
        conditions = CfnJson(self, "IrsaConditions", value={
            f"{issuer}:sub": f"system:serviceaccount:{NAMESPACE}:{SERVICE_ACCOUNT}",
            f"{issuer}:aud": "sts.amazonaws.com",
        })
        return iam.OpenIdConnectPrincipal(provider, conditions={"StringEquals": conditions})
