"""EKS Auto Mode (nodeAutoscaler=auto-mode): its built-in NodePools add the workloads' nodes, and the app's
own Karpenter, Cluster Autoscaler and headroom are not deployed.

Facts from the Amazon EKS user guide (docs.aws.amazon.com/eks/latest/userguide/):
- set-builtin-node-pools.html: two built-in NodePools, `system` (CriticalAddonsOnly taint, amd64 and arm64)
  and `general-purpose` (amd64 only); both on-demand only, C, M and R families of generation 5 or newer,
  the default NodeClass; they cannot be modified, only enabled or disabled.
- associate-workload.html: Auto Mode nodes carry `eks.amazonaws.com/compute-type: auto`, the label that
  keeps a workload on them in a cluster that also has managed node groups (the app's system nodes).
This module must not import aws-cdk-lib (the config parser reads it).
"""

from __future__ import annotations

import json
from typing import Any

from eks_scaling.placement import Placement
from eks_scaling.setting_parsers import ConfigError
from eks_scaling.setting_table import DEFAULTS, SETTINGS

AUTO_MODE_PLACEMENT = Placement({"eks.amazonaws.com/compute-type": "auto"})
BUILT_IN_NODE_POOLS = ("system", "general-purpose")
GENERAL_PURPOSE_ARCHITECTURES = frozenset({"amd64"})


def check_auto_mode(v: dict[str, Any]) -> None:
    """What the built-in NodePools cannot do is refused with the reason, not silently ignored."""
    if v["nodeAutoscaler"] != "auto-mode":
        return
    for key in SETTINGS:
        if key.startswith("karpenter") and v[key] != SETTINGS[key](key, DEFAULTS[key]):
            raise ConfigError(f"invalid setting {key}={json.dumps(v[key])} with nodeAutoscaler=auto-mode: Auto Mode's "
                              "built-in NodePools cannot be modified (on-demand C, M and R instances of generation 5 "
                              "or newer, amd64 for workloads); leave it at its default, or use nodeAutoscaler=karpenter")
    if v["headroom"]:
        raise ConfigError(f"invalid setting headroom={v['headroom']} with nodeAutoscaler=auto-mode: the app sizes "
                          "headroom against the instance types and limits of a NodePool it deploys, and Auto Mode's "
                          "built-in NodePools have neither setting; use nodeAutoscaler=karpenter")
