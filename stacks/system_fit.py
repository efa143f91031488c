"""Do the controllers fit the system nodes? Checked at synth, so a deploy cannot hang on a Pending pod.

The system group can shrink to its minimum size, and it may launch the smallest of its instance types,
so the check packs every controller pod (stacks/controller_footprints.py) onto `systemNodeMinSize`
nodes shaped like the smallest type in each dimension: allocatable as Karpenter v1.14.1 computes it
(capacity less the VM's overhead, kube-reserved and the hard eviction threshold), less what the
DaemonSets request on every node. Pods with required hostname anti-affinity go one to a node.
This module must not import aws-cdk-lib.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from stacks.config import AppConfig
from stacks.controller_footprints import Footprint, daemonsets, system_controllers
from stacks.instance_types import (
    EVICTION_HARD_MEMORY_MIB,
    VM_MEMORY_OVERHEAD_PERCENT,
    instance_type,
    kube_reserved_cpu_millicores,
    kube_reserved_memory_mib,
)
from stacks.setting_parsers import ConfigError


@dataclass(frozen=True)
class NodeRoom:
    """What one system node leaves for controller pods."""

    cpu_millicores: int
    memory_mib: int
    pods: int
    explained: str  # how the numbers were reached, for the error message


def node_room(config: AppConfig) -> NodeRoom:
    types = [instance_type(name) for name in config.system_nodes.instance_types]
    vcpus = min(row.vcpus for row in types)
    memory = min(row.memory_mib for row in types)
    max_pods = min(row.max_pods for row in types)
    reserved_cpu, reserved_memory = kube_reserved_cpu_millicores(vcpus), kube_reserved_memory_mib(max_pods)
    vm_overhead = int(memory * VM_MEMORY_OVERHEAD_PERCENT)
    per_node = daemonsets(config)
    ds_cpu = sum(pod.cpu_millicores for pod in per_node)
    ds_memory = sum(pod.memory_mib for pod in per_node)
    room = NodeRoom(
        cpu_millicores=vcpus * 1000 - reserved_cpu - ds_cpu,
        memory_mib=memory - vm_overhead - reserved_memory - EVICTION_HARD_MEMORY_MIB - ds_memory,
        pods=max_pods - len(per_node),
        explained="",
    )
    smallest = min(types, key=lambda row: (row.vcpus, row.memory_mib)).name
    explained = (f"the smallest system type ({smallest}: {vcpus} vCPU, {memory}Mi, {max_pods} pods) leaves "
                 f"{room.cpu_millicores}m, {room.memory_mib}Mi and {room.pods} pods per node after kube-reserved "
                 f"({reserved_cpu}m, {reserved_memory}Mi), VM overhead ({vm_overhead}Mi), the eviction threshold "
                 f"({EVICTION_HARD_MEMORY_MIB}Mi) and {len(per_node)} DaemonSets ({ds_cpu}m, {ds_memory}Mi)")
    return NodeRoom(room.cpu_millicores, room.memory_mib, room.pods, explained)


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
