"""Synthesizing the app under test configurations, and reading what it produced."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import aws_cdk as cdk
from aws_cdk import assertions

from eks_scaling.parse_settings import parse_config
from eks_scaling.pipeline_config import parse_pipeline
from stacks.eks_scaling_stack import EksScalingStack, add_eks_scaling_stack
from stacks.nag import add_nag_checks
from stacks.pipeline_stack import PipelineStack
from tests.context import with_defaults
from tests.deploy_graph import read_templates

ADMIN_ARN = "arn:aws:iam::111122223333:role/PlatformAdmin"

# Enough instance types for Karpenter's spot-to-spot consolidation to act (eks_scaling/setting_checks.py).
FIFTEEN_TYPES = ("c5.large,c5.xlarge,c5.2xlarge,c5a.large,c5a.xlarge,c5a.2xlarge,c6a.large,c6a.xlarge,c6a.2xlarge,"
                 "m5.large,m5.xlarge,m5.2xlarge,m5a.large,m5a.xlarge,m6a.large")
EXISTING_CLUSTER = {
    "vpcId": "vpc-0123456789abcdef0", "availabilityZones": ["eu-west-1a", "eu-west-1b"],
    "privateSubnetIds": ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"],
    "securityGroupId": "sg-0123456789abcdef0",
    "oidcProviderArn": "arn:aws:iam::111122223333:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/0123456789ABCDEF",
}

# Overrides of the built-in defaults, written as a user would type them with -c (strings). Together they
# cover every matrix row and every non-default branch of the parent stack.
CONFIGS: dict[str, dict[str, Any]] = {
    "default": {},
    "k8s-1.33-ca-irsa": {
        "kubernetesVersion": "1.33",
        "endpointAccess": "public-and-private",
        "publicAccessCidrs": "203.0.113.0/24,198.51.100.0/24",
        "nodeAutoscaler": "cluster-autoscaler",
        "workloadIdentity": "irsa",
        "testerReplicas": "150",
        "loadGenerators": "true",
        # Headroom as placeholder pods on Cluster Autoscaler's nodes, and its scale-down threshold.
        "headroom": "2",
        "headroomCpu": "500m",
        "headroomMemory": "512Mi",
        "clusterAutoscalerScaleDownUtilizationPercent": "40",
        "podinfoHpaBehavior": '{"scaleDown": {"stabilizationWindowSeconds": 120, "selectPolicy": "Min", '
                              '"policies": [{"type": "Percent", "value": 50, "periodSeconds": 60}]}}',
    },
    "k8s-1.34-env-private": {
        "kubernetesVersion": "1.34",
        "account": "111122223333",
        "region": "eu-west-1",
        "availabilityZones": "eu-west-1a,eu-west-1b",
        "endpointAccess": "private",
        "adminPrincipalArns": ADMIN_ARN,
        "natGateways": "2",
        "controlPlaneLogging": "api,audit",
        "enableMetricsServer": "false",
        "nodeAutoscaler": "none",
        "enablePrometheus": "false",
        "enableKeda": "false",
        "vpcFlowLogs": "false",
        "logRetentionDays": "30",
        # A production-like stage keeps its audit log (and the key that reads it) after teardown.
        "retainControlPlaneLogs": "true",
    },
    # Every demo Fargate can run on Fargate (their load generators stay on nodes); Karpenter's nodes are
    # Graviton only, where the amd64-only php-apache could not run but on Fargate does.
    "fargate": {
        "fargateWorkloads": "php-apache,podinfo,podinfo-keda",
        "karpenterInstanceTypes": "m7g.large,c7g.large",
        "loadGenerators": "true",
    },
    # EKS Auto Mode's built-in NodePools in place of Karpenter: the inflate demo and the pod demos on them.
    "auto-mode": {
        "nodeAutoscaler": "auto-mode",
        "inflateReplicas": "5",
        "loadGenerators": "true",
    },
    # Auto Mode with the app's own NodePool (autoModeNodePool) on Auto Mode's NodeClass: the chapter's inflate
    # on it, a Spot pool in front of the on-demand one; the pod demos off, so it costs little synth time.
    "auto-mode-node-pool": {
        "nodeAutoscaler": "auto-mode",
        "autoModeNodePool": "true",
        "inflateReplicas": "5",
        "karpenterCapacityTypes": "on-demand,spot",
        "karpenterInstanceTypes": "m5.large,m5.xlarge,c6a.large",
        "karpenterConsolidationPolicy": "WhenEmptyOrUnderutilized",
        "karpenterDisruptionBudgets": '[{"nodes": "20%"}]',
        "karpenterExpireAfter": "336h",
        "enableMetricsServer": "false",
        "enablePrometheus": "false",
        "enableKeda": "false",
    },
    # The scaling layers on a cluster the app does not own: both node autoscalers, Pod Identity through the
    # cluster's own agent, every demo; no VPC, cluster, system node group or add-on of the app's.
    "existing-cluster": {
        "clusterName": "prod",
        # No OIDC provider (Pod Identity needs none); the controllers on the cluster's own node group.
        "existingCluster": json.dumps({
            **{key: value for key, value in EXISTING_CLUSTER.items() if key != "oidcProviderArn"},
            "controllerNodeLabel": "eks.amazonaws.com/nodegroup=controllers",
            "controllerNodeTaint": "dedicated=controllers:NoSchedule",
        }),
        "nodeAutoscaler": "both",
        "inflateReplicas": "2",
        "testerReplicas": "3",
        "loadGenerators": "true",
    },
    "k8s-1.36-both-arm-public": {
        "kubernetesVersion": "1.36",
        "nodeAutoscaler": "both",
        "inflateReplicas": "5",
        "karpenterCapacityTypes": "on-demand,spot",
        "systemNodeInstanceTypes": "m7g.large,c7g.large",
        # Open to the internet, as the operator acknowledged: the endpoint rule warns instead of failing.
        "endpointAccess": "public",
        "acknowledgedWarnings": "eks-scaling:open-endpoint",
        # Every scaling control that is not the chapter's: the alpha CapacityBuffer, a Spot NodePool in
        # front of the on-demand one, Balanced consolidation with budgets, behaviours with tolerance (1.36).
        "headroom": "4",
        "headroomMechanism": "capacity-buffer",
        "karpenterConsolidationPolicy": "Balanced",
        "karpenterSpotToSpotConsolidation": "true",
        # Spot-to-spot consolidation needs 15 cheaper types than the node it replaces to act.
        "karpenterInstanceTypes": FIFTEEN_TYPES,
        "karpenterDisruptionBudgets": '[{"nodes": "20%", "reasons": ["Empty", "Drifted"]}, '
                                      '{"nodes": "0", "schedule": "0 9 * * mon-fri", "duration": "8h"}]',
        "karpenterExpireAfter": "168h",
        "karpenterTerminationGracePeriod": "2h",
        "karpenterSpotNodePoolWeight": "80",
        "phpApacheHpaBehavior": '{"scaleUp": {"tolerance": "0.05"}, "scaleDown": {"stabilizationWindowSeconds": 60}}',
        "kedaHpaBehavior": '{"scaleUp": {"policies": [{"type": "Pods", "value": 2, "periodSeconds": 30}]}}',
        "kedaFallbackBehavior": "currentReplicasIfHigher",
        "kedaInitialCooldownPeriod": "120",
        "kedaMinReplicas": "0",
        "kedaActivationThreshold": "1",
        "loadGenerators": "true",  # what brings podinfo-keda back from zero
    },
}


# The base of every setting change (tests/test_update_safety.py, tests/test_deploy_model.py): everything
# on, so that every setting has something to change.
UPDATE_BASE = {
    "account": "111122223333", "region": "eu-west-1", "availabilityZones": "eu-west-1a,eu-west-1b",
    "nodeAutoscaler": "both", "inflateReplicas": "1", "testerReplicas": "1", "loadGenerators": "true",
    "adminPrincipalArns": "arn:aws:iam::111122223333:role/Admin", "systemNodeDesiredSize": "3",
}


def update_templates(overrides: dict[str, str], outdir: Path) -> dict[str, dict[str, Any]]:
    """The app's templates under UPDATE_BASE and overrides; no cdk-nag and no asset staging, for speed."""
    context = {**with_defaults({**UPDATE_BASE, **overrides}), "aws:cdk:disable-asset-staging": True}
    app = cdk.App(outdir=str(outdir), context=context)
    add_eks_scaling_stack(app, parse_config(app.node.get_all_context()))
    app.synth()
    return read_templates(outdir)


@dataclass
class Synth:
    """One synthesized configuration: the stack, its assembly, and cached assertion templates."""

    stack: EksScalingStack
    outdir: Path
    _templates: dict[str, assertions.Template] = field(default_factory=dict)

    @property
    def template(self) -> assertions.Template:
        return self._cached("parent", lambda: assertions.Template.from_stack(self.stack))

    def nested(self, name: str) -> assertions.Template:
        return self._cached(name, lambda: assertions.Template.from_stack(getattr(self.stack, name)))

    def template_files(self) -> dict[str, dict[str, Any]]:
        """Every CloudFormation template of the assembly (parent and nested), by file name."""
        return {path.name: json.loads(path.read_text()) for path in sorted(self.outdir.glob("*.template.json"))}

    def _cached(self, key: str, make: Callable[[], assertions.Template]) -> assertions.Template:
        if key not in self._templates:
            self._templates[key] = make()
        return self._templates[key]


def synthesize(overrides: dict[str, Any], outdir: Path) -> Synth:
    # A test App does not read cdk.json: pass the feature flags and the configuration's settings in.
    app = cdk.App(outdir=str(outdir), context=with_defaults(overrides))
    add_nag_checks(app)  # an unacknowledged cdk-nag finding fails synth, and so the tests
    stack = add_eks_scaling_stack(app, parse_config(app.node.get_all_context()))
    app.synth()
    return Synth(stack=stack, outdir=outdir)


PIPELINE = {
    "account": "111111111111",
    "region": "eu-west-1",
    "repository": "acme/eks-scaling",
    "branch": "main",
    "connectionArn": "arn:aws:codeconnections:eu-west-1:111111111111:connection/0b7c5a9e-8f3d-4b1a-9c2e-5d6f7a8b9c0d",
    # The Verify step's fixed address, which each verified stage's endpoint allows.
    "verifyEgress": {"allocationId": "eipalloc-0123456789abcdef0", "address": "198.51.100.7"},
    "stages": [
        {"name": "staging", "account": "222222222222", "region": "eu-west-1",
         "settings": {"clusterName": "eks-staging", "nodeAutoscaler": "both",
                      "availabilityZones": ["eu-west-1a", "eu-west-1b"], "endpointAccess": "public-and-private",
                      "publicAccessCidrs": ["203.0.113.0/24", "198.51.100.7/32"]}},
        {"name": "prod", "account": "333333333333", "region": "us-east-1", "approval": True,
         "settings": {"clusterName": "eks-prod", "availabilityZones": ["us-east-1a", "us-east-1b"],
                      "endpointAccess": "public-and-private", "publicAccessCidrs": ["198.51.100.0/24"]}},
    ],
}


def synthesize_pipeline(pipeline: dict[str, Any], outdir: Path) -> "PipelineStack":
    app = cdk.App(outdir=str(outdir), context=with_defaults({"pipeline": pipeline}))
    add_nag_checks(app)
    config = parse_pipeline(app.node.get_all_context())
    stack = PipelineStack(app, "EksScalingPipeline", pipeline=config,
                          env=cdk.Environment(account=config.account, region=config.region))
    app.synth()
    return stack


def show_reference(reference: dict[str, Any]) -> str:
    if "Ref" in reference:
        return f"REF:{reference['Ref']}"
    return "GETATT:" + ".".join(reference["Fn::GetAtt"])


def resolve(value: Any, render: Callable[[dict[str, Any]], str] = show_reference) -> Any:
    """A template value as text: Fn::Join flattened, each Ref/Fn::GetAtt replaced by render(reference)."""
    if isinstance(value, dict) and "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return separator.join(resolve(part, render) for part in parts)
    if isinstance(value, dict) and ("Ref" in value or "Fn::GetAtt" in value):
        return render(value)
    return value


def manifest_objects(resource: dict[str, Any],
                     render: Callable[[dict[str, Any]], str] = show_reference) -> list[dict[str, Any]]:
    """The Kubernetes objects of a KubernetesManifest custom resource."""
    return json.loads(resolve(resource["Properties"]["Manifest"], render))


def manifest_objects_by_name(template: "assertions.Template") -> dict[str, tuple[str, dict[str, Any]]]:
    """kind/name -> (resource key, object) for every KubernetesManifest object of a template."""
    return {f'{obj["kind"]}/{obj["metadata"]["name"]}': (key, obj)
            for key, resource in template.find_resources("Custom::AWSCDK-EKS-KubernetesResource").items()
            for obj in manifest_objects(resource)}


def chart_values(resource: dict[str, Any]) -> dict[str, Any]:
    """The values of a HelmChart custom resource."""
    return json.loads(resolve(resource["Properties"]["Values"]))
