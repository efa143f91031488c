"""Karpenter's scheduler for new NodeClaims: which pending pods one claim takes and which instance types
it keeps. Upstream: kubernetes-sigs/karpenter at the commit aws/karpenter-provider-aws v1.14.1 pins
(6e7eab7a0f48), pkg/controllers/provisioning/scheduling/nodeclaim.go."""

from __future__ import annotations

from planner.engine.nodes import Shape, WorkloadState


def claim(shapes: dict[str, Shape], waiting: list[WorkloadState],
          need: dict[str, int]) -> tuple[dict[str, int], list[str]]:
    """One new NodeClaim as Karpenter's scheduler fills it: pods are added while at least one instance type
    still holds them all, and the claim keeps every such type (nodeclaim.go CanAdd, lines 213-233: the
    claim's InstanceTypeOptions filtered by the pods' requests, failing only when none is left; Add, line
    250, keeps that list). Pods of one workload are identical, so each workload adds as many as
    the roomiest remaining type takes. Returns the pods taken by workload and the types left, in `shapes`'
    order; no pods when no type holds a single one."""
    types, counts, cpu, memory, pods = list(shapes), {}, 0.0, 0.0, 0
    for state in waiting:
        spec = state.spec
        if not need[spec.name]:
            continue
        rooms = {name: shapes[name].room(spec.cpu_request, spec.memory_request, pods, cpu, memory) for name in types}
        count = min(need[spec.name], max(rooms.values(), default=0))
        if count:
            counts[spec.name] = count
            types = [name for name in types if rooms[name] >= count]
            cpu, memory, pods = cpu + count * spec.cpu_request, memory + count * spec.memory_request, pods + count
    return counts, types
