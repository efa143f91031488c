"""Settings that are each valid but conflict with each other, refused with one line saying why."""

from __future__ import annotations

import json
from typing import Any

from eks_scaling.instance_types import instance_type
from eks_scaling.quantities import CPU, MEMORY, cpu_millicores, memory_mib
from eks_scaling.setting_parsers import (OPEN_ENDPOINT_WARNING, OPEN_TO_ALL, ConfigError, blocks_all_disruption,
                                         has_tolerance)
from eks_scaling.versions import BUSYBOX_IMAGE, NGINX_IMAGE, PAUSE_IMAGE, PHP_APACHE_IMAGE, PODINFO_IMAGE, Image


def check_karpenter_limits(v: dict[str, Any]) -> None:
    """A NodePool limit below the smallest allowed instance type lets Karpenter launch nothing."""
    types = [instance_type(name) for name in v["karpenterInstanceTypes"]]
    fewest_cpus = min(types, key=lambda row: row.vcpus)
    least_memory = min(types, key=lambda row: row.memory_mib)
    if v["karpenterCpuLimit"] < fewest_cpus.vcpus:
        raise ConfigError(f"invalid setting karpenterCpuLimit={v['karpenterCpuLimit']}: expected at least "
                          f"{fewest_cpus.vcpus}, the vCPUs of {fewest_cpus.name}, the smallest of "
                          "karpenterInstanceTypes (below it Karpenter can launch no node)")
    if memory_mib(v["karpenterMemoryLimit"]) < least_memory.memory_mib:
        raise ConfigError(f"invalid setting karpenterMemoryLimit={json.dumps(v['karpenterMemoryLimit'])}: expected "
                          f"at least {MEMORY.to_text(least_memory.memory_mib)}, the memory of {least_memory.name}, the smallest "
                          "of karpenterInstanceTypes (below it Karpenter can launch no node)")


def check_endpoint(v: dict[str, Any]) -> None:
    """A public endpoint names who may reach it; one open to the whole internet must be acknowledged."""
    mode, cidrs = v["endpointAccess"], v["publicAccessCidrs"]
    if cidrs and mode != "public-and-private":
        # public: nodes reach the endpoint from the NAT gateway's address, unknown at synth.
        raise ConfigError(f"invalid setting publicAccessCidrs={json.dumps(list(cidrs))}: "
                          "CIDRs can be restricted only with endpointAccess=public-and-private "
                          f"(with {mode}, nodes or users would be locked out)")
    if mode == "public-and-private" and not cidrs:
        raise ConfigError("setting publicAccessCidrs is empty: endpointAccess=public-and-private needs the networks "
                          "allowed to reach the public endpoint (your own, e.g. 203.0.113.7/32), "
                          "or use endpointAccess=private, the default")
    if (mode == "public" or OPEN_TO_ALL[0] in cidrs) and OPEN_ENDPOINT_WARNING not in v["acknowledgedWarnings"]:
        raise ConfigError(f"invalid setting endpointAccess={mode}"
                          + (f" with publicAccessCidrs={json.dumps(list(cidrs))}" if cidrs else "")
                          + ": the cluster's API endpoint would be open to the whole internet (0.0.0.0/0); name "
                          "your own networks in publicAccessCidrs, or add "
                          f'"{OPEN_ENDPOINT_WARNING}" to acknowledgedWarnings to accept it')


def _architectures(instance_types: tuple[str, ...]) -> frozenset[str]:
    """Kubernetes' names (kubernetes.io/arch) of the instance types' architectures."""
    return frozenset("amd64" if instance_type(name).architecture == "x86_64" else "arm64" for name in instance_types)


def check_demo_homes(v: dict[str, Any], karpenter_on: bool, autoscaler_on: bool) -> None:
    """Every demo runs on nodes of an architecture its image is published for. Pod demos run on
    Karpenter's nodes if it runs, else on Cluster Autoscaler's group, else (nodeAutoscaler=none) on the
    system nodes, then the cluster's only nodes (see AppConfig.dedicated_system_nodes)."""
    pod_demos: list[tuple[str, Image]] = [("php-apache", PHP_APACHE_IMAGE)] if v["enableMetricsServer"] else []
    if v["nodeAutoscaler"] == "auto-mode":
        pod_demos = []  # on Auto Mode's amd64 general-purpose pool, where every demo image is published
    pod_demos += [("podinfo", PODINFO_IMAGE)] if v["enablePrometheus"] else []
    pod_demos += [("the load generators", BUSYBOX_IMAGE)] if v["loadGenerators"] else []
    ca_home = ("caNodeInstanceTypes", v["caNodeInstanceTypes"])
    karpenter_home = ("karpenterInstanceTypes", v["karpenterInstanceTypes"])
    pod_home = (karpenter_home if karpenter_on else ca_home if autoscaler_on
                else ("systemNodeInstanceTypes", v["systemNodeInstanceTypes"]))
    # Fargate's demos run on Fargate, whose architecture eks_scaling/fargate_settings.py checks.
    homes = [(name, image, pod_home) for name, image in pod_demos if name not in v["fargateWorkloads"]]
    own_pool = karpenter_on or (v["nodeAutoscaler"] == "auto-mode" and v["autoModeNodePool"])
    homes += [("inflate", PAUSE_IMAGE, karpenter_home)] if own_pool else []
    homes += [("tester", NGINX_IMAGE, ca_home)] if autoscaler_on else []
    for name, image, (key, instance_types) in homes:
        if not image.architectures & _architectures(instance_types):
            raise ConfigError(f"invalid setting {key}={json.dumps(list(instance_types))}: {name} runs there, and "
                              f"its image {image.repository} is published for "
                              f"{', '.join(sorted(image.architectures))} only")


# kubernetes-sigs/karpenter pkg/controllers/disruption/consolidation.go, MinInstanceTypesForSpotToSpotConsolidation:
# single-node spot-to-spot consolidation needs this many cheaper instance types than the node it replaces.
MIN_SPOT_TO_SPOT_INSTANCE_TYPES = 15


def check_disruption(v: dict[str, Any]) -> None:
    """NodePool and Cluster Autoscaler settings that would fight each other."""
    blocking = [budget for budget in v["karpenterDisruptionBudgets"] if blocks_all_disruption(budget)]
    if blocking and v["karpenterExpireAfter"] != "Never":
        raise ConfigError(f"invalid settings karpenterDisruptionBudgets={json.dumps(list(v['karpenterDisruptionBudgets']))} "
                          f"with karpenterExpireAfter={v['karpenterExpireAfter']}: a budget of 0 nodes does not stop "
                          "expiry (Karpenter v1 expires nodes regardless of budgets); set karpenterExpireAfter=Never, "
                          "or allow some disruption")
    spot = "spot" in v["karpenterCapacityTypes"]
    if v["karpenterSpotToSpotConsolidation"] and not spot:
        raise ConfigError("invalid setting karpenterSpotToSpotConsolidation=true: karpenterCapacityTypes has no spot, "
                          "so there is no Spot node to replace")
    if v["karpenterSpotToSpotConsolidation"] and v["karpenterConsolidationPolicy"] == "WhenEmpty":
        raise ConfigError("invalid setting karpenterSpotToSpotConsolidation=true with karpenterConsolidationPolicy="
                          "WhenEmpty: spot-to-spot consolidation replaces underutilized nodes, which WhenEmpty never "
                          "consolidates; use WhenEmptyOrUnderutilized or Balanced")
    types = v["karpenterInstanceTypes"]
    if v["karpenterSpotToSpotConsolidation"] and len(types) < MIN_SPOT_TO_SPOT_INSTANCE_TYPES:
        raise ConfigError(f"invalid setting karpenterSpotToSpotConsolidation=true with {len(types)} "
                          f"karpenterInstanceTypes: Karpenter replaces a Spot node with a cheaper one only when at least "
                          f"{MIN_SPOT_TO_SPOT_INSTANCE_TYPES} cheaper types could take its pods; list "
                          f"{MIN_SPOT_TO_SPOT_INSTANCE_TYPES} or more")


def check_headroom(v: dict[str, Any]) -> None:
    """Headroom that no node can hold, or that no autoscaler would provision, is rejected."""
    slots, cpu, memory = v["headroom"], cpu_millicores(v["headroomCpu"]), memory_mib(v["headroomMemory"])
    karpenter = v["nodeAutoscaler"] in ("karpenter", "both")
    if v["headroomMechanism"] == "capacity-buffer" and not karpenter:
        # The CRD ships with the Karpenter chart only (the cluster-autoscaler chart 9.59.0 has no CRDs, though
        # its ClusterRole reads capacitybuffers), and Cluster Autoscaler acts on buffers only behind
        # --capacity-buffer-controller-enabled and --capacity-buffer-pod-injection-enabled (kubernetes/autoscaler
        # cluster-autoscaler/config/flags/flags.go, off by default, from 1.34), which the app does not set.
        raise ConfigError(f"invalid setting headroomMechanism=capacity-buffer with nodeAutoscaler={v['nodeAutoscaler']}: "
                          "the CapacityBuffer CRD comes with Karpenter's chart, and the app does not turn on Cluster "
                          "Autoscaler's capacity-buffer flags (off by default); use placeholder-pods")
    if not slots:
        return
    if v["nodeAutoscaler"] == "none":
        raise ConfigError(f"invalid setting headroom={slots}: with nodeAutoscaler=none nothing provisions nodes "
                          "for headroom")
    types_key = "karpenterInstanceTypes" if karpenter else "caNodeInstanceTypes"
    largest = max((instance_type(name) for name in v[types_key]), key=lambda row: (row.vcpus, row.memory_mib))
    if cpu > largest.vcpus * 1000 or memory > largest.memory_mib:
        raise ConfigError(f"invalid settings headroomCpu={v['headroomCpu']} headroomMemory={v['headroomMemory']}: "
                          f"one slot must fit one node, and the largest of {types_key} is {largest.name} "
                          f"({largest.vcpus} vCPUs, {MEMORY.to_text(largest.memory_mib)})")
    if karpenter:
        limit_cpu, limit_memory, where = (v["karpenterCpuLimit"] * 1000, memory_mib(v["karpenterMemoryLimit"]),
                                          "the NodePool's limits (karpenterCpuLimit, karpenterMemoryLimit)")
    else:
        limit_cpu, limit_memory = (v["caNodeMaxSize"] * largest.vcpus * 1000, v["caNodeMaxSize"] * largest.memory_mib)
        where = f"caNodeMaxSize={v['caNodeMaxSize']} nodes of {largest.name}"
    if slots * cpu > limit_cpu or slots * memory > limit_memory:
        raise ConfigError(f"invalid setting headroom={slots}: {slots} slots of {v['headroomCpu']} CPU and "
                          f"{v['headroomMemory']} need {CPU.to_text(slots * cpu)} CPU and "
                          f"{MEMORY.to_text(slots * memory)}, more than {where} allow")


def check_scaling_behavior(v: dict[str, Any]) -> None:
    """The configurable HPA tolerance is beta (on) from Kubernetes 1.35, alpha (off) in 1.33-1.34
    (kubernetes/kubernetes pkg/features/kube_features.go, HPAConfigurableTolerance)."""
    for key in ("phpApacheHpaBehavior", "podinfoHpaBehavior", "kedaHpaBehavior"):
        if has_tolerance(v[key]) and v["kubernetesVersion"] in ("1.33", "1.34"):
            raise ConfigError(f"invalid setting {key}={json.dumps(v[key])}: tolerance needs Kubernetes 1.35 or "
                              f"later (HPAConfigurableTolerance is alpha and off in {v['kubernetesVersion']})")
    if v["kedaActivationThreshold"] and v["kedaMinReplicas"]:
        raise ConfigError(f"invalid setting kedaActivationThreshold={v['kedaActivationThreshold']} with "
                          f"kedaMinReplicas={v['kedaMinReplicas']}: activation only decides scaling from and to "
                          "zero; set kedaMinReplicas=0 to use it")
    if v["enableKeda"] and v["kedaMinReplicas"] == 0 and not v["loadGenerators"]:
        raise ConfigError("invalid setting kedaMinReplicas=0 without loadGenerators=true: at zero podinfo-keda has "
                          "no pod to count requests, and only the load generator's pods bring it back")
