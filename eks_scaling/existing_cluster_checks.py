"""Settings that cannot apply to a cluster the app does not own (existingCluster), refused with the reason."""

from __future__ import annotations

import json
from typing import Any

from eks_scaling.setting_parsers import ConfigError
from eks_scaling.setting_table import DEFAULTS, SETTINGS

# Settings of the network and cluster the app creates: an existing cluster has its own.
OWN_CLUSTER_SETTINGS = ("endpointAccess", "publicAccessCidrs", "adminPrincipalArns", "controlPlaneLogging",
                        "natGateways", "vpcFlowLogs", "retainControlPlaneLogs", "availabilityZones",
                        "fargateWorkloads")


def check_existing_cluster(v: dict[str, Any]) -> None:
    """Settings that cannot apply to a cluster the app does not own are refused with the reason."""
    if v["existingCluster"] is None:
        return
    where = "with existingCluster set"
    for key in OWN_CLUSTER_SETTINGS:
        if v[key] != SETTINGS[key](key, DEFAULTS[key]):
            raise ConfigError(f"invalid setting {key}={json.dumps(v[key])} {where}: it configures the network or "
                              "cluster the app creates (or, for fargateWorkloads, a Fargate profile, which "
                              "aws_eks_v2 adds only to a cluster it owns); leave it at its default")
    if v["nodeAutoscaler"] == "auto-mode":
        raise ConfigError(f"invalid setting nodeAutoscaler=auto-mode {where}: Auto Mode is a property of the "
                          "cluster; turn it on there and deploy the app without existingCluster's node autoscalers")
    if v["workloadIdentity"] == "irsa" and v["existingCluster"].oidc_provider_arn is None:
        raise ConfigError(f"invalid setting workloadIdentity=irsa {where}: IRSA trusts the cluster's IAM OIDC "
                          "provider; give its ARN as existingCluster's oidcProviderArn, or use workloadIdentity="
                          "pod-identity with the cluster's eks-pod-identity-agent add-on")
