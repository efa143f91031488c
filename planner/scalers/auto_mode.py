"""EKS Auto Mode, planned as the Karpenter it runs: the built-in general-purpose NodePool's fixed settings
in place of the app's karpenter* settings, and Auto Mode's per-instance management fee on its nodes.

The pool (EKS user guide, set-builtin-node-pools.html): on-demand C, M and R instances of generation 5 or
newer, amd64, no limits (auto-cost-control.html: the built-in pools set no `limits`). Its disruption
settings are not published with it: expireAfter 336h is the user guide's NodePool example
(create-node-pool.html); consolidation is taken as Karpenter v1's NodePool defaults
(WhenEmptyOrUnderutilized, the CRD's 10 % budget) after 30 s. UNVERIFIED against a live cluster's
`kubectl get nodepool general-purpose -o yaml`.
"""

from __future__ import annotations

import re
from dataclasses import replace

from eks_scaling.instance_types import DEFAULT_PRICE_REGION, INSTANCE_TYPES
from eks_scaling.settings import AppConfig
from planner.engine import assumptions as A

_FAMILY = re.compile(r"[cmr]([0-9]+)[a-z-]*\.", re.ASCII)  # matched at the start of the name


def general_purpose_types() -> tuple[str, ...]:
    """The instance types of the table the general-purpose pool may launch (priced in us-east-1)."""
    found = []
    for name, spec in INSTANCE_TYPES.items():
        family = _FAMILY.match(name)
        if family and int(family.group(1)) >= 5 and spec.architecture == "x86_64" \
                and DEFAULT_PRICE_REGION in spec.on_demand_usd_per_hour:
            found.append(name)
    return tuple(sorted(found))


def as_karpenter(config: AppConfig) -> AppConfig:
    """The configuration the planner's Karpenter simulates for nodeAutoscaler=auto-mode: the app's own NodePool
    (its karpenter* settings) with autoModeNodePool, else the built-in general-purpose pool."""
    if config.auto_mode_node_pool:
        return replace(config, node_autoscaler="karpenter")
    pool = replace(config.karpenter, instance_types=general_purpose_types(), capacity_types=("on-demand",),
                   cpu_limit=10**9, memory_limit=f"{10**9}Gi", consolidation_policy="WhenEmptyOrUnderutilized",
                   consolidate_after="30s", expire_after="336h", disruption_budgets=(),
                   termination_grace_period=None, spot_to_spot_consolidation=False)
    return replace(config, node_autoscaler="karpenter", karpenter=pool)


def management_fee(node_hours: dict[str, float], system_hours: dict[str, float], prices: dict[str, float],
                   share: float = A.AUTO_MODE_FEE_SHARE) -> float:
    """USD of Auto Mode's fee: a share of the on-demand price of every instance it launched (not the app's
    system node group, which is a managed node group). A Spot node ("<type> spot", from the app's own NodePool)
    pays it on its type's on-demand price too: the fee is priced per instance type, not per purchase option."""
    return sum((hours - system_hours.get(kind, 0.0)) * prices[kind.removesuffix(" spot")] * share
               for kind, hours in node_hours.items())
