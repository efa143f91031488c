"""The synth-time baseline (docs/architecture.md, "Budgets"): a bare aws_eks_v2 cluster, one node group, kubectl provider."""

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_eks_v2 as eks
from aws_cdk.lambda_layer_kubectl_v35 import KubectlV35Layer

from eks_scaling.cdk_json import cdk_json_context

app = cdk.App(context={key: value for key, value in cdk_json_context().items() if key.startswith("@")})
stack = cdk.Stack(app, "BareCluster")
cluster = eks.Cluster(
    stack, "Cluster",
    version=eks.KubernetesVersion.V1_35,
    default_capacity_type=eks.DefaultCapacityType.NODEGROUP,
    default_capacity=0,
    kubectl_provider_options=eks.KubectlProviderOptions(kubectl_layer=KubectlV35Layer(stack, "Kubectl")),
)
cluster.add_nodegroup_capacity("Nodes", instance_types=[ec2.InstanceType("m5.large")], min_size=2)
app.synth()
