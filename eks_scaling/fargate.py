"""Fargate: which demos may run there, what Fargate refuses in a pod, and how it sizes one.

Facts from the Amazon EKS user guide (docs.aws.amazon.com/eks/latest/userguide/):
- fargate.html, "AWS Fargate considerations": no DaemonSets, no privileged containers, no HostPort or
  HostNetwork, no EBS volumes (only EFS); pods must match a profile when they are scheduled, else they
  stay Pending; one pod per Fargate node.
- fargate-pod-configuration.html, "Pod CPU and memory": a pod is sized from its requests, the larger of
  the largest init container's and the sum of the long-running containers', plus 256 MB for kubelet,
  kube-proxy and containerd, rounded up to the next vCPU/memory configuration of FARGATE_CONFIGURATIONS;
  without requests it gets the smallest (0.25 vCPU, 0.5 GB).
- Fargate on EKS runs x86_64 only: Graviton is an open request (aws/containers-roadmap#1629).
This module must not import aws-cdk-lib (the config parser reads it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from eks_scaling.manifests import load_manifest
from eks_scaling.placement import Placement
from eks_scaling.quantities import cpu_millicores, memory_mib
from eks_scaling.versions import PHP_APACHE_IMAGE, PODINFO_IMAGE, Image

# The label every Fargate node carries; selecting it keeps a Fargate workload off every EC2 node even if
# its profile were missing (it then stays Pending, which the alert on pending pods reports).
FARGATE_PLACEMENT = Placement({"eks.amazonaws.com/compute-type": "fargate"})
FARGATE_ARCHITECTURE = "amd64"
KUBERNETES_MEMORY_MIB = 256  # what Fargate adds to a pod's memory (fargate-pod-configuration.html)
_GIB = 1024


def _range(vcpus: float, low_gib: float, high_gib: float, step_gib: float) -> list[tuple[int, int]]:
    count = int((high_gib - low_gib) / step_gib) + 1
    return [(int(vcpus * 1000), int((low_gib + i * step_gib) * _GIB)) for i in range(count)]


# Every (millicores, MiB) a Fargate pod can get, smallest first (fargate-pod-configuration.html; the guide
# writes GB, and Fargate's configurations are binary: 0.5 GB is 512 MiB).
FARGATE_CONFIGURATIONS: tuple[tuple[int, int], ...] = tuple(sorted(
    [(250, 512), (250, 1024), (250, 2048)] + _range(0.5, 1, 4, 1) + _range(1, 2, 8, 1) + _range(2, 4, 16, 1)
    + _range(4, 8, 30, 1) + _range(8, 16, 60, 4) + _range(16, 32, 120, 8)))


@dataclass(frozen=True)
class FargateWorkload:
    """A demo Fargate can run: its profile selector (namespace and pod labels, so that the load generator in
    the same namespace stays on nodes), the setting deploying it, and its manifest as the app fills it in."""

    namespace: str
    labels: Mapping[str, str]
    deployed_by: str
    image: Image
    manifest: str
    values: Mapping[str, str]

    def objects(self) -> list[dict[str, Any]]:
        """The demo's Kubernetes objects as deployed on Fargate."""
        return load_manifest(self.manifest, namespace=self.namespace, image=self.image.reference, **self.values,
                             **FARGATE_PLACEMENT.for_image(self.image.architectures).pod_fields())


FARGATE_WORKLOADS: dict[str, FargateWorkload] = {
    "php-apache": FargateWorkload("php-apache", {"run": "php-apache"}, "enableMetricsServer", PHP_APACHE_IMAGE,
                                  "php-apache", {}),
    "podinfo": FargateWorkload("podinfo", {"app": "podinfo"}, "enablePrometheus", PODINFO_IMAGE, "podinfo",
                               {"name": "podinfo"}),
    "podinfo-keda": FargateWorkload("podinfo-keda", {"app": "podinfo-keda"}, "enableKeda", PODINFO_IMAGE, "podinfo",
                                    {"name": "podinfo-keda"}),
}

# What the app runs that Fargate cannot, and why.
NOT_ON_FARGATE: dict[str, str] = {
    "inflate": "it exists to make Karpenter add EC2 nodes; on Fargate it would show no node scaling",
    "tester": "it exists to make Cluster Autoscaler add EC2 nodes; on Fargate it would show no node scaling",
    "prometheus": "its server and alertmanager mount EBS volumes, which Fargate pods cannot",
    "node-exporter": "it is a DaemonSet, and Fargate runs no DaemonSets",
}

_POD_KINDS = ("Deployment", "StatefulSet", "ReplicaSet", "Job", "DaemonSet", "Pod")
_NODE_VOLUMES = ("persistentVolumeClaim", "hostPath", "awsElasticBlockStore")


def fargate_problems(objects: Iterable[Mapping[str, Any]]) -> list[str]:
    """Why the pods of these Kubernetes objects cannot run on Fargate (empty: they can)."""
    problems = []
    for obj in objects:
        if obj.get("kind") not in _POD_KINDS:
            continue
        name = f"{obj['kind']} {obj['metadata']['name']}"
        if obj["kind"] == "DaemonSet":
            problems.append(f"{name} is a DaemonSet")
        spec = obj["spec"] if obj["kind"] == "Pod" else obj["spec"]["template"]["spec"]
        if spec.get("hostNetwork"):
            problems.append(f"{name} uses the host network")
        problems += [f"{name} mounts a {kind} volume" for volume in spec.get("volumes", [])
                     for kind in _NODE_VOLUMES if kind in volume]
        for container in [*spec.get("initContainers", []), *spec["containers"]]:
            where = f"{name} container {container['name']}"
            if container.get("securityContext", {}).get("privileged"):
                problems.append(f"{where} is privileged")
            if any("hostPort" in port for port in container.get("ports", [])):
                problems.append(f"{where} uses a host port")
            requests = container.get("resources", {}).get("requests", {})
            if "cpu" not in requests or "memory" not in requests:
                problems.append(f"{where} requests no cpu or no memory (Fargate sizes the pod from its requests)")
    return problems


def pod_requests(spec: Mapping[str, Any]) -> tuple[int, int]:
    """(millicores, MiB) Fargate sizes a pod spec from: the larger of init and summed long-running requests."""
    def requested(container: Mapping[str, Any]) -> tuple[int, int]:
        requests = container.get("resources", {}).get("requests", {})
        memory = requests.get("memory")
        return cpu_millicores(requests.get("cpu", "0")), memory_mib(memory) if memory else 0

    running = [requested(container) for container in spec["containers"]]
    init = [requested(container) for container in spec.get("initContainers", [])]
    return (max(sum(cpu for cpu, _ in running), max((cpu for cpu, _ in init), default=0)),
            max(sum(mib for _, mib in running), max((mib for _, mib in init), default=0)))


def fargate_size(millicores: int, mib: int) -> tuple[int, int] | None:
    """The configuration Fargate gives a pod requesting this much: (millicores, MiB), None if none is large enough."""
    needed = mib + KUBERNETES_MEMORY_MIB
    return next(((cpu, memory) for cpu, memory in FARGATE_CONFIGURATIONS if cpu >= millicores and memory >= needed),
                None)
