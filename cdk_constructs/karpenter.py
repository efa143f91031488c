"""Karpenter: node role, controller identity, interruption queue, and its two charts in order."""

from __future__ import annotations

from typing import Mapping

from aws_cdk import Duration, Stack
from aws_cdk import aws_eks_v2 as eks
from aws_cdk import aws_iam as iam
from constructs import Construct

from cdk_constructs.interruption_queue import InterruptionQueue
from cdk_constructs.karpenter_policy import controller_policies
from cdk_constructs.pod_identity import controller_service_account, identity_pod_annotations
from eks_scaling.placement import Placement
from eks_scaling.scaler_metrics import scrape_annotations

REGISTRY = "oci://public.ecr.aws/karpenter"
SERVICE_ACCOUNT = "karpenter"
# charts/karpenter/values.yaml controller.metrics.port at v1.14.1.
METRICS_PORT = 8080
NODE_MANAGED_POLICIES = (
    "AmazonEKS_CNI_Policy",
    "AmazonEKSWorkerNodePolicy",
    "AmazonEC2ContainerRegistryPullOnly",
    "AmazonSSMManagedInstanceCore",
)


class Karpenter(Construct):
    """service account (+ role and policies) and karpenter-crd chart, side by side -> karpenter chart.

    Custom resources (NodePool, EC2NodeClass) go after `chart` and `node_access`, so that
    CloudFormation deletes them while the controller still runs and its nodes can still be drained.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        cluster: eks.ICluster,
        cluster_name: str,
        version: str,
        identity_type: eks.IdentityType,
        placement: Placement,
        controller_cpu: str,
        controller_memory: str,
        replicas: int,
        feature_gates: Mapping[str, bool],
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)

        self.node_role = iam.Role(
            self, "NodeRole",
            assumed_by=iam.ServicePrincipal("ec2.amazonaws.com"),
            managed_policies=[iam.ManagedPolicy.from_aws_managed_policy_name(name) for name in NODE_MANAGED_POLICIES],
        )
        # Nodes launched outside managed node groups join through an EC2_LINUX access entry.
        self.node_access = eks.AccessEntry(
            self, "NodeAccess",
            cluster=cluster, principal=self.node_role.role_arn,
            access_entry_type=eks.AccessEntryType.EC2_LINUX, access_policies=[],
        )
        self.interruption = InterruptionQueue(self, "Interruption")

        self.service_account = controller_service_account(self, cluster=cluster, name=SERVICE_ACCOUNT,
                                                          namespace="kube-system", identity_type=identity_type)
        policies = [
            iam.ManagedPolicy(self, f"{name}Policy", statements=statements, roles=[self.service_account.role])
            for name, statements in controller_policies(
                stack, cluster_name=cluster_name, node_role_arn=self.node_role.role_arn,
                queue_arn=self.interruption.queue.queue_arn,
            ).items()
        ]

        self.crd_chart = eks.HelmChart(
            self, "CrdChart",
            cluster=cluster, chart="karpenter-crd", repository=f"{REGISTRY}/karpenter-crd", version=version,
            release="karpenter-crd", namespace="kube-system",
        )

        resources = {"cpu": controller_cpu, "memory": controller_memory}
        # CRD ownership: the karpenter-crd release owns the CRDs (its templates/), so Helm upgrades them
        # with the version matrix and deletes them on teardown. No `skip_crds` here, because it would be
        # a no-op: the aws-eks-v2 kubectl handler (aws-cdk-lib 2.275.0, kubectl-handler/helm/__init__.py)
        # reads SkipCrds but never passes --skip-crds to `helm upgrade --install`. So on this release's
        # first install, Helm applies the karpenter chart's crds/ (v1.14.1: symlinks to pkg/apis/crds,
        # the very files karpenter-crd templates) over them; Helm 4 (v4.1.4 in the v33-v35 kubectl layers,
        # v4.2.3 in v36) does it by server-side apply under the same field manager `helm` (pkg/action/install.go installCRDs,
        # pkg/kube/client.go), so the schema is unchanged but the karpenter-crd release's labels and
        # annotations are dropped until its next upgrade re-applies them. Helm never upgrades or
        # deletes crds/, so this release never owns them.
        self.chart = eks.HelmChart(
            self, "Chart",
            cluster=cluster, chart="karpenter", repository=f"{REGISTRY}/karpenter", version=version,
            release="karpenter", namespace="kube-system",
            wait=True,
            timeout=Duration.minutes(10),
            values={
                # featureGates: the chart's alpha gates this app sets (charts/karpenter/values.yaml at
                # v1.14.1: spotToSpotConsolidation and capacityBuffer, both off by default).
                "settings": {"clusterName": cluster_name, "interruptionQueue": self.interruption.queue.queue_name,
                             "featureGates": dict(feature_gates)},
                "serviceAccount": {"create": False, "name": SERVICE_ACCOUNT},
                "podAnnotations": identity_pod_annotations(identity_type),
                # The chart's Service exposes port http-metrics at controller.metrics.port (8080).
                "service": {"annotations": scrape_annotations(METRICS_PORT)},
                "replicas": replicas,
                "podDisruptionBudget": {"name": "karpenter", "maxUnavailable": 1},
                **placement.pod_fields(),
                "nodeSelector": {"kubernetes.io/os": "linux", **placement.node_selector},  # the chart's default, kept
                "controller": {
                    "resources": {"requests": resources, "limits": resources},
                    # The SDK finds no region in the pod (IMDS is one hop away, out of pods' reach) and
                    # would ask IMDS (v1.14.1 pkg/operator/operator.go, NewOperator): give it the region.
                    "env": [{"name": "AWS_REGION", "value": stack.region}],
                },
            },
        )
        # The CRDs need no identity: only the controller waits for both, so they deploy in parallel.
        self.chart.node.add_dependency(self.crd_chart, self.service_account, *policies)
