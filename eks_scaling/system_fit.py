"""Do the controllers fit the system nodes? Checked at synth, so a deploy cannot hang on a Pending pod.

The system group can shrink to its minimum size, and it may launch the smallest of its instance types,
so the check packs every controller pod (controller_footprints.py) onto `systemNodeMinSize`
nodes shaped like the smallest type in each dimension: allocatable as Karpenter v1.14.1 computes it
(eks_scaling.instance_types.allocatable, which the planner uses too), less what the
DaemonSets request on every node. Pods with required hostname anti-affinity go one to a node.
This module must not import aws-cdk-lib.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

from eks_scaling.controller_footprints import Footprint, daemonsets, system_controllers
from eks_scaling.instance_types import allocatable, instance_type
from eks_scaling.setting_parsers import ConfigError
from eks_scaling.settings import AppConfig

# Held back on every node for what the footprints cannot know: requests that grow with an EKS add-on's
# version (the add-ons are not pinned), a DaemonSet EKS adds, rounding in the kubelet's own arithmetic.
MARGIN_PERCENT = 2


@dataclass(frozen=True)
class NodeRoom:
    """What one system node leaves for controller pods."""

    cpu_millicores: int
    memory_mib: int
    pods: int
    explained: str  # how the numbers were reached, for the error message


def node_room(config: AppConfig) -> NodeRoom:
    types = [instance_type(name) for name in config.system_nodes.instance_types]
    rooms = [allocatable(row) for row in types]
    per_node = daemonsets(config)
    ds_cpu = sum(pod.cpu_millicores for pod in per_node)
    ds_memory = sum(pod.memory_mib for pod in per_node)
    least_cpu, least_memory = (min(room.cpu_millicores for room in rooms), min(room.memory_mib for room in rooms))
    margin_cpu, margin_memory = (math.ceil(least_cpu * MARGIN_PERCENT / 100),
                                 math.ceil(least_memory * MARGIN_PERCENT / 100))
    cpu = least_cpu - ds_cpu - margin_cpu
    memory = least_memory - ds_memory - margin_memory
    pods = min(room.pods for room in rooms) - len(per_node)
    smallest_row, smallest = min(zip(types, rooms), key=lambda pair: (pair[1].cpu_millicores, pair[1].memory_mib))
    explained = (f"the smallest system type ({smallest_row.name}: {smallest_row.vcpus} vCPU, {smallest_row.memory_mib}Mi, "
                 f"{smallest_row.max_pods} pods) leaves {cpu}m, {memory}Mi and {pods} pods per node after kube-reserved "
                 f"and the eviction threshold ({smallest.reserved_cpu_millicores}m, {smallest.reserved_memory_mib}Mi), "
                 f"VM overhead ({smallest_row.memory_mib - smallest.capacity_memory_mib}Mi), {len(per_node)} "
                 f"DaemonSets ({ds_cpu}m, {ds_memory}Mi) and a {MARGIN_PERCENT} % margin ({margin_cpu}m, {margin_memory}Mi)")
    return NodeRoom(cpu, memory, pods, explained)


def _settings(config: AppConfig) -> str:
    nodes = config.system_nodes
    return (f"invalid settings systemNodeMinSize={nodes.min_size}, "
            f"systemNodeInstanceTypes={json.dumps(list(nodes.instance_types))}")


def _place(pods: list[Footprint], nodes: int, room: NodeRoom) -> Footprint | None:
    """First fit, largest first; the first pod that finds no node, or None when all fit."""
    free = [[room.cpu_millicores, room.memory_mib, room.pods, set()] for _ in range(nodes)]
    for pod in sorted(pods, key=lambda p: (p.cpu_millicores, p.memory_mib), reverse=True):
        for node in free:
            if node[0] >= pod.cpu_millicores and node[1] >= pod.memory_mib and node[2] >= 1 \
                    and not (pod.one_per_node and pod.name in node[3]):
                node[0] -= pod.cpu_millicores
                node[1] -= pod.memory_mib
                node[2] -= 1
                node[3].add(pod.name)
                break
        else:
            return pod
    return None


def check_system_fit(config: AppConfig) -> None:
    """Raise a one-line ConfigError, with the numbers, when the controllers cannot all be scheduled."""
    nodes = config.system_nodes.min_size
    controllers = system_controllers(config)
    for controller in controllers:
        if controller.one_per_node and controller.replicas > nodes:
            raise ConfigError(f"{_settings(config)}: {controller.name} runs {controller.replicas} replicas, one per "
                              f"node (required pod anti-affinity), and the system node group can shrink to {nodes}; "
                              f"set systemNodeMinSize and systemNodeDesiredSize to at least {controller.replicas}")
    room = node_room(config)
    pods = [controller for controller in controllers for _ in range(controller.replicas)]
    unplaced = _place(pods, nodes, room)
    if unplaced is not None:
        listed = ", ".join(f"{c.name} {c.replicas}x{c.cpu_millicores}m/{c.memory_mib}Mi" for c in controllers)
        total_cpu = sum(pod.cpu_millicores for pod in pods)
        total_memory = sum(pod.memory_mib for pod in pods)
        raise ConfigError(f"{_settings(config)}: the controllers do not fit {nodes} system nodes ({unplaced.name} "
                          f"stays Pending): they request {total_cpu}m, {total_memory}Mi in {len(pods)} pods "
                          f"({listed}), and {room.explained}; raise systemNodeMinSize or choose larger "
                          "systemNodeInstanceTypes")
