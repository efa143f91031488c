"""The project's own synth-time rule: no EKS API endpoint open to the whole internet, unless acknowledged.

cdk-nag 3.0.2's AwsSolutions-EKS1 matches `aws_eks.CfnCluster` by class (and aws_eks's old custom
resource), while aws_eks_v2 (aws-cdk-lib 2.275.0) builds its own `aws_eks_v2.CfnCluster`: nothing flags
an open `aws_eks_v2` endpoint. This rule reads every `AWS::EKS::Cluster`, whichever construct made it.
"""

from __future__ import annotations

from typing import Any

import jsii
from aws_cdk import Annotations, CfnResource, IAspect, Stack
from constructs import IConstruct

RULE_ID = "eks-scaling:EKS-open-endpoint"
# Metadata type that marks a cluster whose open endpoint the operator accepted, with the reason.
_ACKNOWLEDGED = "eks-scaling:open-endpoint-acknowledged"


def acknowledge_open_endpoint(cluster: CfnResource, reason: str) -> None:
    cluster.node.add_metadata(_ACKNOWLEDGED, reason)


def is_open_to_all(vpc_config: dict[str, Any]) -> bool:
    """EKS's defaults: public access on, and from 0.0.0.0/0 when no CIDRs are given."""
    public = _get(vpc_config, "endpointPublicAccess", True)
    return public is not False and "0.0.0.0/0" in (_get(vpc_config, "publicAccessCidrs", None) or ["0.0.0.0/0"])


@jsii.implements(IAspect)
class OpenEndpointRule:
    def visit(self, node: IConstruct) -> None:
        if not isinstance(node, CfnResource) or node.cfn_resource_type != "AWS::EKS::Cluster":
            return
        vpc_config = Stack.of(node).resolve(getattr(node, "resources_vpc_config", None)) or {}
        if not is_open_to_all(vpc_config):
            return
        reasons = [entry.data for entry in node.node.metadata if entry.type == _ACKNOWLEDGED]
        message = f"[{RULE_ID}] the EKS API endpoint is open to 0.0.0.0/0"
        if reasons:
            Annotations.of(node).add_warning_v2(RULE_ID, f"{message}, acknowledged: {reasons[0]}")
        else:
            Annotations.of(node).add_error(f"{message}: restrict publicAccessCidrs or make it private")


def _get(config: dict[str, Any], camel: str, default: Any) -> Any:
    """A field as Stack.resolve returns it: camelCase from a jsii struct, PascalCase from raw JSON."""
    for key in (camel, camel[0].upper() + camel[1:]):
        if key in config:
            return config[key]
    return default
