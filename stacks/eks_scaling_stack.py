"""The parent stack: network, cluster, system node group, kubectl provider, one NestedStack per capability."""

from __future__ import annotations

import hashlib
import importlib
import json
from typing import Callable

from aws_cdk import Annotations, Aspects, CfnOutput, Duration, Environment, NestedStack, RemovalPolicy, Stack, Tags
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_eks_v2 as eks
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct, IDependable

from cdk_constructs.encrypted_logs import EncryptedLogs, EncryptEveryLogGroup
from cdk_constructs.existing_cluster import ExistingCluster
from cdk_constructs.fargate_profile import FargateProfile
from cdk_constructs.node_group import ManagedNodeGroup
from eks_scaling.auto_mode import AUTO_MODE_PLACEMENT, BUILT_IN_NODE_POOLS
from eks_scaling.fargate import FARGATE_PLACEMENT, FARGATE_WORKLOADS
from eks_scaling.manifests import load_manifest
from eks_scaling.placement import Placement
from eks_scaling.placements import SYSTEM, SYSTEM_NODE_LABELS, SYSTEM_TAINT
from eks_scaling.setting_parsers import NO_ADMIN_ACCESS_WARNING, OPEN_ENDPOINT_WARNING
from eks_scaling.settings import AppConfig
from eks_scaling.subnet_layout import private_cidr, public_cidr
from eks_scaling.versions import MATRIX, VersionRow
from stacks.auto_mode_stack import AutoModeNodePoolStack
from stacks.cluster_autoscaler_stack import NODE_LABELS as CA_NODE_LABELS
from stacks.cluster_autoscaler_stack import ClusterAutoscalerStack
from stacks.endpoint_rule import acknowledge_open_endpoint
from stacks.karpenter_stack import PLACEMENT as KARPENTER_PLACEMENT
from stacks.karpenter_stack import KarpenterStack
from stacks.keda_stack import KedaStack
from stacks.metrics_stack import MetricsStack
from stacks.nag import acknowledge
from stacks.prometheus_stack import PrometheusStack
from stacks.workloads_stack import PHP_APACHE_LOAD, PODINFO_KEDA_LOAD, PODINFO_LOAD, WorkloadsStack

# The Kubernetes group of the pipeline's verifier: bound to manifests/verifier-rbac.yaml's ClusterRole.
VERIFIER_GROUP = "eks-scaling-verifier"

_IDENTITY_TYPES = {"pod-identity": eks.IdentityType.POD_IDENTITY, "irsa": eks.IdentityType.IRSA}

_LOG_TYPES = {
    "api": eks.ClusterLoggingTypes.API,
    "audit": eks.ClusterLoggingTypes.AUDIT,
    "authenticator": eks.ClusterLoggingTypes.AUTHENTICATOR,
    "controllerManager": eks.ClusterLoggingTypes.CONTROLLER_MANAGER,
    "scheduler": eks.ClusterLoggingTypes.SCHEDULER,
}


def add_eks_scaling_stack(scope: Construct, config: AppConfig, *,
                          verifier_account: str | None = None) -> "EksScalingStack":
    """The EKS scaling stack for a parsed config, in an app or a pipeline stage."""
    # Env-agnostic unless both are configured: then synth still needs no lookup (AZs are named).
    env = Environment(account=config.account, region=config.region) if config.account else None
    return EksScalingStack(scope, "EksScalingStack", config=config, env=env, verifier_account=verifier_account,
                           description=f"EKS cluster {config.cluster.name} with every layer of autoscaling")


def verifier_role_name(cluster_name: str, region: str) -> str:
    """The role a delivery pipeline assumes to verify a deployed cluster: unique per cluster and region."""
    digest = hashlib.sha256(f"{cluster_name}/{region}".encode()).hexdigest()[:8]
    return f"eks-scaling-verify-{cluster_name[:32]}-{digest}"


def verify_step_role_name(cluster_name: str, account: str, region: str) -> str:
    """The pipeline's Verify step's CodeBuild role, the only principal the verifier role trusts.

    Named, so that the stage (another account) can name it in its trust policy; unique per verified
    cluster, so that pipelines sharing an account do not collide.
    """
    digest = hashlib.sha256(f"{account}/{region}/{cluster_name}".encode()).hexdigest()[:8]
    return f"eks-scaling-verify-step-{cluster_name[:24]}-{digest}"


class EksScalingStack(Stack):
    """`verifier_account`: the account of a pipeline whose post-deploy step may read the cluster."""

    def __init__(self, scope: Construct, construct_id: str, *, config: AppConfig,
                 verifier_account: str | None = None, **kwargs) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.config = config
        if config.region:
            # Env-specific: answer the stack's own AZ lookup with the zones the VPC uses, before any
            # child exists, so that synth needs no lookup (and no credentials).
            self.node.set_context(f"availability-zones:account={config.account}:region={config.region}",
                                  list(config.network.availability_zones))
        self.versions = MATRIX[config.cluster.kubernetes_version]
        self._warn_caveats(self.versions)

        self.logs = EncryptedLogs(self, "Logs", retention_days=config.log_retention_days,
                                  retain_key=config.retain_control_plane_logs)
        Aspects.of(self).add(EncryptEveryLogGroup(self.logs))
        # Where the controllers run: the app's system node group, or the existing cluster's own.
        self.system = config.existing_cluster.controller_placement if config.existing_cluster else SYSTEM
        if config.existing_cluster:
            existing = ExistingCluster(self, "Cluster", name=config.cluster.name, settings=config.existing_cluster,
                                       versions=self.versions)
            self.vpc, self.cluster, self.system_nodegroup = existing.vpc, existing.cluster, None
            self.ready: IDependable = existing.access  # the controllers' node group is the cluster's own
        else:
            self.vpc = self._vpc()
            self.cluster = self._cluster()
            self.network_policy_support = self._network_policy_support()
            self.system_nodegroup = self.ready = self._system_nodegroup()
            # Nodes join with the CNI's network policy agent already configured.
            self.system_nodegroup.node.add_dependency(self.network_policy_support)
            self._hold_coredns()
        self.fargate = FargateProfile(
            self, "Fargate", cluster=self.cluster, cluster_name=config.cluster.name, vpc=self.vpc,
            workloads=[FARGATE_WORKLOADS[name] for name in config.fargate_workloads],
        ) if config.fargate_workloads else None

        self.metrics = self._capability(config.enable_metrics_server, lambda: MetricsStack(
            self, "Metrics",
            cluster=self.cluster, versions=self.versions, system=self.system, demos=self._demos("php-apache"),
            hpa_behavior=config.scaling_behavior.php_apache,
        ), demo="php-apache")
        self.karpenter = self._capability(config.enable_karpenter, lambda: KarpenterStack(
            self, "Karpenter",
            cluster=self.cluster, cluster_name=config.cluster.name, settings=config.karpenter,
            headroom=config.headroom, versions=self.versions, identity_type=self.identity_type, system=self.system,
            dedicated=config.enable_cluster_autoscaler,
        ), calls_aws=True)
        self.auto_mode_node_pool = self._capability(config.enable_auto_mode and config.auto_mode_node_pool,
                                                    lambda: AutoModeNodePoolStack(
            self, "AutoModeNodePool", cluster=self.cluster, settings=config.karpenter,
        ))
        self.cluster_autoscaler = self._capability(config.enable_cluster_autoscaler, lambda: ClusterAutoscalerStack(
            self, "ClusterAutoscaler",
            cluster=self.cluster, cluster_name=config.cluster.name, settings=config.cluster_autoscaler,
            versions=self.versions, identity_type=self.identity_type, system=self.system,
        ), calls_aws=True)
        self.prometheus = self._capability(config.enable_prometheus, lambda: PrometheusStack(
            self, "Prometheus",
            cluster=self.cluster, settings=config.prometheus, versions=self.versions,
            identity_type=self.identity_type, system=self.system, demos=self._demos("podinfo"),
            hpa_behavior=config.scaling_behavior.podinfo,
        ), calls_aws=True, demo="podinfo")
        self.keda = self._capability(config.enable_keda, lambda: KedaStack(
            self, "Keda", cluster=self.cluster, versions=self.versions, system=self.system,
            demos=self._demos("podinfo-keda"), scaling=config.scaling_behavior,
        ), demo="podinfo-keda")
        self.workloads = self._workloads()
        if verifier_account:
            self._verifier_access(verifier_account)
        else:
            self._warn_without_admins()

        CfnOutput(self, "ClusterName", value=self.cluster.cluster_name)
        CfnOutput(self, "UpdateKubeconfigCommand",
                  value=f"aws eks update-kubeconfig --name {self.cluster.cluster_name} --region {self.region}")
        if self.system_nodegroup:
            CfnOutput(self, "SystemNodegroupName", value=self.system_nodegroup.nodegroup_name)

    def _verifier_access(self, account: str) -> None:
        """A role only the pipeline's Verify step may assume, reading what scripts/verify_cluster.py reads."""
        cluster_name, region = self.config.cluster.name, self.config.region or self.region
        step_role_name = verify_step_role_name(cluster_name, self.config.account or self.account, region)
        step_role = f"arn:{self.partition}:iam::{account}:role/{step_role_name}"
        role = iam.Role(
            self, "VerifierRole",
            role_name=verifier_role_name(cluster_name, region),
            # The account principal with a condition, not the role ARN itself: IAM would pin a role
            # principal to the role's unique id, and a recreated step role would lose access.
            assumed_by=iam.AccountPrincipal(account).with_conditions({"ArnEquals": {"aws:PrincipalArn": step_role}}),
            description="Post-deploy verification of the EKS scaling cluster (read-only)",
        )
        role.add_to_policy(iam.PolicyStatement(actions=["eks:DescribeCluster"], resources=[self.cluster.cluster_arn]))
        # Kubernetes RBAC through a group, no EKS access policy (AmazonEKSAdminViewPolicy reads every
        # Secret). Same construct path as the grant_access entry it replaces: the entry updates in place.
        access = eks.AccessEntry(self.cluster, "VerifierAccess", cluster=self.cluster, principal=role.role_arn,
                                 access_policies=[])
        access.node.default_child.add_property_override("KubernetesGroups", [VERIFIER_GROUP])
        eks.KubernetesManifest(self, "VerifierRbac", cluster=self.cluster,
                               manifest=load_manifest("verifier-rbac", group=VERIFIER_GROUP))
        self.verifier_role = role

    def _workloads(self) -> NestedStack | None:
        """The demos of the node autoscalers deployed, and the load generators of the pod demos deployed."""
        node_autoscalers = [stack for stack in (self.karpenter, self.auto_mode_node_pool, self.cluster_autoscaler)
                            if stack]
        headroom = self.config.headroom
        placeholders = headroom.slots and headroom.mechanism == "placeholder-pods"
        loaded = [(stack, target) for stack, target in
                  ((self.metrics, PHP_APACHE_LOAD), (self.prometheus, PODINFO_LOAD), (self.keda, PODINFO_KEDA_LOAD))
                  if stack and self.config.load_generators]
        # On the app's own NodePool where there is one (its label type=karpenter), as the chapter's test expects.
        inflate = (KARPENTER_PLACEMENT if self.karpenter or self.auto_mode_node_pool
                   else AUTO_MODE_PLACEMENT if self.config.enable_auto_mode else None)
        workloads = self._capability(bool(node_autoscalers or loaded or inflate), lambda: WorkloadsStack(
            self, "Workloads",
            cluster=self.cluster,
            inflate_replicas=self.config.inflate_replicas,
            inflate_placement=inflate,
            tester_replicas=self.config.tester_replicas,
            tester_placement=Placement(CA_NODE_LABELS) if self.cluster_autoscaler else None,
            # Headroom goes where the bursts go: where the pod demos run.
            headroom=headroom if placeholders else None,
            headroom_placement=self._demos(),
            load_targets=[target for _, target in loaded],
            load_placement=self._demos() if loaded else None,
        ))
        if workloads:
            # Deleted first on teardown: no demo pod holds a node up, no generator outlives its target.
            workloads.node.add_dependency(*node_autoscalers, *(stack for stack, _ in loaded))
        return workloads

    def _demos(self, demo: str | None = None) -> Placement:
        """Where the pod-scaling demos and load generators run: on Fargate for the demos fargateWorkloads names,
        else on nodes an autoscaler adds, never on the tainted system nodes. Karpenter's nodes when it runs
        (with both, the tester alone fills Cluster Autoscaler's group up to its maximum, as in the chapter),
        else Cluster Autoscaler's group."""
        if demo in self.config.fargate_workloads:
            return FARGATE_PLACEMENT
        if self.config.enable_auto_mode:
            return AUTO_MODE_PLACEMENT
        if self.config.enable_karpenter:
            return KARPENTER_PLACEMENT
        if self.config.enable_cluster_autoscaler:
            return Placement(CA_NODE_LABELS)
        return Placement(self.system.node_selector)  # nodeAutoscaler=none: the only nodes, left untainted

    @property
    def identity_type(self) -> eks.IdentityType:
        return _IDENTITY_TYPES[self.config.workload_identity]

    def _capability(self, enabled: bool, make: Callable[[], NestedStack], *,
                    calls_aws: bool = False, demo: str | None = None) -> NestedStack | None:
        """A capability's nested stack, deployed once the system nodes (where controllers run) exist,
        for controllers that call AWS through Pod Identity, once the Pod Identity agent runs, and for a
        demo on Fargate, once its profile exists (Fargate takes only pods created after it)."""
        if not enabled:
            return None
        stack = make()
        stack.node.add_dependency(self.ready)
        if demo in self.config.fargate_workloads:
            stack.node.add_dependency(self.fargate)
        if calls_aws and self.config.workload_identity == "pod-identity" and not self.config.existing_cluster:
            # Reading this property creates the agent add-on, so only capabilities that need it do. An
            # existing cluster runs its own agent (docs/deploying.md): its imported form has no such
            # property, so aws_eks_v2's ServiceAccount creates the association and no add-on (aws-cdk-lib
            # 2.275.0 aws-eks-v2/lib/service-account.js reads cluster.eksPodIdentityAgent; cluster.js
            # defines it on Cluster only, not on ImportedCluster).
            stack.node.add_dependency(self.cluster.eks_pod_identity_agent)
        return stack

    def _warn_without_admins(self) -> None:
        """Whoever deploys gets no Kubernetes access unless adminPrincipalArns names them."""
        if (self.config.existing_cluster or self.config.cluster.admin_principal_arns
                or NO_ADMIN_ACCESS_WARNING in self.config.acknowledged_warnings):
            return
        # One form: CDK appends the id ("[ack: <id>]"), and acknowledgedWarnings takes it as the CLI prints it.
        Annotations.of(self).add_warning_v2(NO_ADMIN_ACCESS_WARNING, (
            f"adminPrincipalArns is empty: nobody can use kubectl on cluster {self.config.cluster.name}; set it to "
            "your IAM role or user ARN (docs/settings.md), or put this warning's id in acknowledgedWarnings"))

    def _warn_caveats(self, versions: VersionRow) -> None:
        for warning_id, message in self.config.version_warnings(versions):
            Annotations.of(self).add_warning_v2(warning_id, message)


    def _vpc(self) -> ec2.Vpc:
        network = self.config.network
        if self.config.region:
            placement = {"availability_zones": list(self.config.network.availability_zones)}
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
        if self.config.region:  # zones named: CIDRs by zone (env-agnostic zones never move)
            for subnets, cidr in ((vpc.public_subnets, public_cidr), (vpc.private_subnets, private_cidr)):
                for subnet in subnets:
                    cfn_subnet = subnet.node.default_child
                    assert isinstance(cfn_subnet, ec2.CfnSubnet)
                    cfn_subnet.cidr_block = cidr(subnet.availability_zone)
        for subnet in vpc.private_subnets:
            Tags.of(subnet).add("karpenter.sh/discovery", self.config.cluster.name)
        if network.flow_logs:
            vpc.add_flow_log("FlowLog", destination=ec2.FlowLogDestination.to_cloud_watch_logs(
                self.logs.log_group("FlowLogs")))
        else:
            acknowledge(vpc.node.default_child, "VPC7", "VPC flow logs are turned off by the vpcFlowLogs setting")
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
            **self._capacity(),
            kubectl_provider_options=eks.KubectlProviderOptions(kubectl_layer=kubectl_layer),
            secrets_encryption_key=secrets_key,
            cluster_logging=[_LOG_TYPES[name] for name in settings.logging],
            endpoint_access=_endpoint_access(settings.endpoint_access, settings.public_access_cidrs),
            output_config_command=False,
        )
        if OPEN_ENDPOINT_WARNING in self.config.acknowledged_warnings:
            acknowledge_open_endpoint(cluster.node.default_child,
                                      f"acknowledgedWarnings names {OPEN_ENDPOINT_WARNING}")
        if settings.logging:
            # EKS writes to this group when it exists: created first, it gets the key and the retention.
            cluster.node.add_dependency(self.logs.log_group("ControlPlaneLogs", name=f"/aws/eks/{settings.name}/cluster",
                                                            retain=self.config.retain_control_plane_logs))
        admin = eks.AccessPolicy.from_access_policy_name(
            "AmazonEKSClusterAdminPolicy", access_scope_type=eks.AccessScopeType.CLUSTER,
        )
        for arn in settings.admin_principal_arns:
            # Id from the ARN, so reordering the list does not replace access entries.
            cluster.grant_access(f"Admin{hashlib.sha256(arn.encode()).hexdigest()[:8]}", arn, [admin])
        return cluster

    def _network_policy_support(self) -> eks.Addon:
        """The vpc-cni add-on with its network policy agent on, so that NetworkPolicies are enforced
        (EKS user guide, "Restrict Pod network traffic with Kubernetes network policies": configuration
        value enableNetworkPolicy). It replaces the self-managed CNI EKS installs at creation, whose
        settings are the defaults (ResolveConflicts OVERWRITE)."""
        addon = eks.Addon(self, "VpcCni", cluster=self.cluster, addon_name="vpc-cni",
                          configuration_values={"enableNetworkPolicy": "true"})
        addon.node.default_child.add_property_override("ResolveConflicts", "OVERWRITE")
        return addon

    def _hold_coredns(self) -> None:
        """CoreDNS, which EKS installs unmanaged, taken over as an add-on and held to the system nodes:
        unheld, a rescheduled CoreDNS pod may land on a node Karpenter or Cluster Autoscaler then removes,
        and the system-fit check counts it on the system nodes. nodeSelector and tolerations are in the
        coredns add-on's configuration schema (aws eks describe-addon-configuration --addon-name coredns)."""
        addon = eks.CfnAddon(
            self, "CoreDns", addon_name="coredns", cluster_name=self.cluster.cluster_name,
            configuration_values=json.dumps(SYSTEM.pod_fields()),
            resolve_conflicts="OVERWRITE",  # adopt the unmanaged Deployment EKS created with the cluster
        )
        addon.node.add_dependency(self.system_nodegroup)  # ACTIVE only once its pods run

    def _capacity(self) -> dict:
        """Auto Mode with its built-in NodePools (aws_eks_v2 adds the cluster role's Auto Mode policies, the
        node role, block storage and load balancing); else off: our node groups, Karpenter and Cluster
        Autoscaler manage the nodes. The system node group runs the controllers either way."""
        if self.config.enable_auto_mode:
            return {"default_capacity_type": eks.DefaultCapacityType.AUTOMODE,
                    "compute": eks.ComputeConfig(node_pools=list(BUILT_IN_NODE_POOLS))}
        return {"default_capacity_type": eks.DefaultCapacityType.NODEGROUP, "default_capacity": 0}

    def _system_nodegroup(self) -> eks.Nodegroup:
        nodes = self.config.system_nodes
        return ManagedNodeGroup(
            self, "SystemNodes",
            cluster=self.cluster, kubernetes_version=self.versions.kubernetes, instance_types=nodes.instance_types,
            arm=nodes.arm, min_size=nodes.min_size, desired_size=nodes.desired_size, max_size=nodes.max_size,
            labels=SYSTEM_NODE_LABELS, taints=[SYSTEM_TAINT] if self.config.dedicated_system_nodes else [],
        ).nodegroup


def _endpoint_access(mode: str, cidrs: tuple[str, ...]) -> eks.EndpointAccess:
    # Settings give CIDRs only with public-and-private (eks_scaling/setting_checks.py, check_endpoint).
    if mode == "private":
        return eks.EndpointAccess.PRIVATE
    if mode == "public":
        return eks.EndpointAccess.PUBLIC
    return eks.EndpointAccess.PUBLIC_AND_PRIVATE.only_from(*cidrs)
