"""The fargateWorkloads setting: which demos run on Fargate, refused at synth where Fargate cannot run them."""

from __future__ import annotations

import json
from typing import Any

from eks_scaling.fargate import FARGATE_ARCHITECTURE, FARGATE_WORKLOADS, NOT_ON_FARGATE, fargate_problems
from eks_scaling.setting_parsers import ConfigError, _fail, _list


def fargate_workloads(key: str, raw: Any) -> tuple[str, ...]:
    names = _list(key, raw)
    for name in names:
        if name in NOT_ON_FARGATE:
            raise _fail(key, raw, f"{name} cannot run on Fargate: {NOT_ON_FARGATE[name]}")
        if name not in FARGATE_WORKLOADS:
            raise _fail(key, raw, f"{name!r} is not a demo of this app; allowed: " + ", ".join(FARGATE_WORKLOADS))
    return names


def check_fargate(v: dict[str, Any]) -> None:
    """Each Fargate demo is deployed, and its pods as the app deploys them are pods Fargate runs."""
    for name in v["fargateWorkloads"]:
        workload = FARGATE_WORKLOADS[name]
        where = f"invalid setting fargateWorkloads={json.dumps(list(v['fargateWorkloads']))}: {name}"
        if not v[workload.deployed_by]:
            raise ConfigError(f"{where} is deployed only with {workload.deployed_by}=true")
        if FARGATE_ARCHITECTURE not in workload.image.architectures:
            raise ConfigError(f"{where}'s image {workload.image.repository} is not published for "
                              f"{FARGATE_ARCHITECTURE}, the only architecture of Fargate on EKS")
        problems = fargate_problems(workload.objects())
        if problems:
            raise ConfigError(f"{where} cannot run on Fargate: {problems[0]}")
