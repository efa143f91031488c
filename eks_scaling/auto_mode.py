"""EKS Auto Mode (nodeAutoscaler=auto-mode): its built-in NodePools add the workloads' nodes, and the app's
own Karpenter, Cluster Autoscaler and headroom are not deployed.

Facts from the Amazon EKS user guide (docs.aws.amazon.com/eks/latest/userguide/):
- set-builtin-node-pools.html: two built-in NodePools, `system` (CriticalAddonsOnly taint, amd64 and arm64)
  and `general-purpose` (amd64 only); both on-demand only, C, M and R families of generation 5 or newer,
  the default NodeClass; they cannot be modified, only enabled or disabled.
- associate-workload.html: Auto Mode nodes carry `eks.amazonaws.com/compute-type: auto`, the label that
  keeps a workload on them in a cluster that also has managed node groups (the app's system nodes).
- create-node-pool.html: a NodePool of one's own is a karpenter.sh/v1 NodePool whose nodeClassRef names
  Auto Mode's NodeClass (group eks.amazonaws.com, kind NodeClass; `default` is the one Auto Mode creates
  with its built-in pools). Its requirements take well-known keys (node.kubernetes.io/instance-type,
  karpenter.sh/capacity-type, kubernetes.io/arch, topology.kubernetes.io/zone) and Auto Mode's own
  eks.amazonaws.com/instance-* keys in place of self-managed Karpenter's karpenter.k8s.aws/instance-*. The
  app's pool (autoModeNodePool) uses only the first two. Checked on the page's opening (well-known keys and
  eks.amazonaws.com/ keys); its key-by-key table was read only in a third-party copy, so the two keys the app
  uses are UNVERIFIED against the page itself. UNVERIFIED too: whether Auto Mode honours
  consolidationPolicy Balanced (a Karpenter 1.x addition the page does not list), so it is refused here.
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
NODE_CLASS_REF = {"group": "eks.amazonaws.com", "kind": "NodeClass", "name": "default"}
# The karpenter* settings the app's own NodePool carries under Auto Mode; the rest configure the self-managed
# controller (its requests, feature gates) or its EC2NodeClass (the AMI), which Auto Mode runs itself.
NODE_POOL_SETTINGS = frozenset({
    "karpenterInstanceTypes", "karpenterCapacityTypes", "karpenterCpuLimit", "karpenterMemoryLimit",
    "karpenterConsolidateAfter", "karpenterConsolidationPolicy", "karpenterDisruptionBudgets",
    "karpenterExpireAfter", "karpenterTerminationGracePeriod", "karpenterSpotNodePoolWeight",
})
GENERAL_PURPOSE_ARCHITECTURES = frozenset({"amd64"})


def check_auto_mode(v: dict[str, Any]) -> None:
    """What the built-in NodePools cannot do is refused with the reason, not silently ignored; with
    autoModeNodePool, the app's own NodePool carries the NODE_POOL_SETTINGS."""
    if v["nodeAutoscaler"] != "auto-mode":
        if v["autoModeNodePool"]:
            raise ConfigError(f"invalid setting autoModeNodePool=true with nodeAutoscaler={v['nodeAutoscaler']}: "
                              "it adds a NodePool to EKS Auto Mode; set nodeAutoscaler=auto-mode")
        return
    if v["autoModeNodePool"] and v["karpenterConsolidationPolicy"] == "Balanced":
        raise ConfigError("invalid setting karpenterConsolidationPolicy=\"Balanced\" with nodeAutoscaler=auto-mode: "
                          "Auto Mode's node pool page does not list Balanced; use WhenEmpty or WhenEmptyOrUnderutilized")
    for key in SETTINGS:
        if v["autoModeNodePool"] and key in NODE_POOL_SETTINGS:
            continue
        if key.startswith("karpenter") and v[key] != SETTINGS[key](key, DEFAULTS[key]):
            raise ConfigError(f"invalid setting {key}={json.dumps(v[key])} with nodeAutoscaler=auto-mode: Auto Mode's "
                              "built-in NodePools cannot be modified (on-demand C, M and R instances of generation 5 "
                              "or newer, amd64 for workloads); leave it at its default, set autoModeNodePool=true for a NodePool "
                              "of the app's own (which takes karpenter* settings of the NodePool only), or use "
                              "nodeAutoscaler=karpenter")
    if v["headroom"]:
        raise ConfigError(f"invalid setting headroom={v['headroom']} with nodeAutoscaler=auto-mode: the app sizes "
                          "headroom against the instance types and limits of a NodePool it deploys, and Auto Mode's "
                          "built-in NodePools have neither setting; use nodeAutoscaler=karpenter")
