"""The existingCluster setting: deploy only the scaling layers onto a cluster the app does not own.

What aws_eks_v2 needs to import a cluster (aws-cdk-lib 2.275.0 aws-eks-v2/lib/cluster.d.ts ClusterAttributes;
cluster.js ImportedCluster): its name, its VPC (to place the kubectl provider and the node groups), its
cluster security group (Karpenter's EC2NodeClass selects it), an OIDC provider for IRSA (optional: Pod
Identity, the default, needs none), and a kubectl
provider: an imported cluster takes a provider object and ignores kubectlProviderOptions, so the app
builds one (cdk_constructs/existing_cluster.py). What is checked here is what can be checked offline:
the shape of every id here, and in existing_cluster_checks.py the settings that would configure a cluster
the app does not create.
This module must not import aws-cdk-lib (the config parser reads it).
"""

from __future__ import annotations

import json
from typing import Any, Callable

from eks_scaling.placement import Placement, tolerating
from eks_scaling.placements import SYSTEM
from eks_scaling.setting_parsers import ConfigError, json_object
from eks_scaling.settings import ExistingClusterConfig
from eks_scaling.typed_text import ascii_pattern, full_match

_PATTERNS = {
    "vpcId": (ascii_pattern(r"vpc-[0-9a-f]{8}([0-9a-f]{9})?"), "a VPC id such as vpc-0123456789abcdef0"),
    "securityGroupId": (ascii_pattern(r"sg-[0-9a-f]{8}([0-9a-f]{9})?"), "the cluster security group's id (sg-...)"),
    "oidcProviderArn": (ascii_pattern(r"arn:aws(-cn|-us-gov)?:iam::[0-9]{12}:oidc-provider/oidc\.eks\.([a-z0-9-]+)"
                                      r"\.amazonaws\.com(\.cn)?/id/[0-9A-F]+"),
                        "the cluster's IAM OIDC provider ARN (arn:aws:iam::<account>:oidc-provider/oidc.eks...)"),
}
_SUBNET = ascii_pattern(r"subnet-[0-9a-f]{8}([0-9a-f]{9})?")
_ZONE = ascii_pattern(r"[a-z]{2}(-gov)?-[a-z]+-[0-9][a-z]")
_FIELDS = ("vpcId", "availabilityZones", "privateSubnetIds", "securityGroupId")
_OPTIONAL = ("oidcProviderArn", "controllerNodeLabel", "controllerNodeTaint")
# Kubernetes label and taint syntax (kubernetes/kubernetes staging/src/k8s.io/apimachinery/pkg/util/
# validation/validation.go, IsQualifiedName and IsValidLabelValue; pkg/apis/core/validation ValidateTaint):
# an optional DNS-subdomain prefix and a name of up to 63 characters; a taint's value a label value.
_NAME = r"([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)"
_KEY = rf"(([a-z0-9]([-a-z0-9.]{{0,251}}[a-z0-9])?)/)?{_NAME}"
_LABEL = ascii_pattern(rf"(?P<key>{_KEY})=(?P<value>{_NAME}?)")
_TAINT = ascii_pattern(rf"(?P<key>{_KEY})(={_NAME}?)?:(?P<effect>NoSchedule|PreferNoSchedule|NoExecute)")

def existing_cluster(key: str, raw: Any) -> ExistingClusterConfig | None:
    value = json_object(key, raw)
    if not value:
        return None

    def fail(allowed: str) -> ConfigError:
        return ConfigError(f"invalid setting {key}={json.dumps(value)}: {allowed}")

    missing = [field for field in _FIELDS if field not in value]
    unknown = sorted(set(value) - set(_FIELDS) - set(_OPTIONAL))
    if unknown or missing:
        raise fail(f"expected the fields {', '.join(_FIELDS)} and optionally {', '.join(_OPTIONAL)}"
                   + (f"; unknown: {', '.join(unknown)}" if unknown else f"; missing: {', '.join(missing)}"))
    for field, (pattern, what) in _PATTERNS.items():
        if field in value and not full_match(pattern, value[field]):
            raise fail(f"{field} must be {what}")
    zones, subnets = value["availabilityZones"], value["privateSubnetIds"]
    if not (isinstance(zones, list) and all(full_match(_ZONE, zone) for zone in zones)):
        raise fail("availabilityZones must list the zones of the private subnets, such as eu-west-1a")
    if not (isinstance(subnets, list) and all(full_match(_SUBNET, subnet) for subnet in subnets)):
        raise fail("privateSubnetIds must list subnet ids (subnet-...)")
    if len(subnets) != len(zones) or len(zones) < 2 or len(set(zones)) != len(zones):
        raise fail("give one private subnet per zone, in the same order, in two or more zones "
                   "(EKS needs subnets in two zones; Karpenter's controller spreads over two)")
    oidc = value.get("oidcProviderArn")
    region = full_match(_PATTERNS["oidcProviderArn"][0], oidc).group(2) if oidc else None
    if region and any(not zone.startswith(region) for zone in zones):
        raise fail(f"the zones must be in the cluster's region, {region} (from oidcProviderArn)")
    return ExistingClusterConfig(vpc_id=value["vpcId"], availability_zones=tuple(zones),
                                 private_subnet_ids=tuple(subnets), security_group_id=value["securityGroupId"],
                                 oidc_provider_arn=oidc,
                                 controller_placement=_controller_placement(value, fail))


def _controller_placement(value: dict[str, Any], fail: Callable[[str], ConfigError]) -> Placement:
    """The app's own system nodes' label and taint (eks_scaling/placements.py) unless the fields say otherwise."""
    selector, tolerations = SYSTEM.node_selector, SYSTEM.tolerations
    if "controllerNodeLabel" in value:
        label = full_match(_LABEL, value["controllerNodeLabel"])
        if not label:
            raise fail("controllerNodeLabel must be one Kubernetes label, key=value, such as role=system")
        selector = {label["key"]: label["value"]}
    if "controllerNodeTaint" in value:
        taint = full_match(_TAINT, value["controllerNodeTaint"])
        if not (taint or value["controllerNodeTaint"] == "none"):
            raise fail("controllerNodeTaint must be the controller nodes' taint, key[=value]:NoSchedule|"
                       "PreferNoSchedule|NoExecute, or none")
        tolerations = (tolerating(taint.groupdict()),) if taint else ()
    return Placement(selector, tolerations)

