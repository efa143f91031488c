"""What every controller and DaemonSet the app runs asks of the system nodes: replicas and requests.

The one place these numbers live: the stacks pass replicas and resources from here to the constructs,
the scheduling-fit check (eks_scaling/system_fit.py) reads them, and a test compares them with the
synthesized chart values. Numbers the app does not set are the chart's or add-on's defaults at the
pinned version, named per entry. This module must not import aws-cdk-lib.
"""

from __future__ import annotations

from dataclasses import dataclass

from eks_scaling.quantities import cpu_millicores, memory_mib
from eks_scaling.settings import AppConfig


@dataclass(frozen=True)
class Footprint:
    name: str
    replicas: int  # per node for a DaemonSet
    cpu_millicores: int  # requests of one pod, all containers
    memory_mib: int
    one_per_node: bool  # required pod anti-affinity on kubernetes.io/hostname
    source: str


# Karpenter chart v1.14.1 (charts/karpenter/values.yaml): replicas 2, required anti-affinity on hostname,
# a zone spread (maxSkew 1, DoNotSchedule); the app sets requests = limits from its settings.
KARPENTER_REPLICAS = 2
# metrics-server chart 3.13.1 values.yaml: requests 100m / 200Mi; the app runs two replicas with a PDB.
METRICS_SERVER_REPLICAS = 2
# prometheus-adapter chart 5.3.0 values.yaml: replicas 1, resources {}; the app runs two with a PDB.
PROMETHEUS_ADAPTER_REPLICAS = 2

# Requests (and memory limits) the app sets where the chart sets none, so that every controller has them.
# Cluster Autoscaler: the example in chart 9.59.0's values.yaml (100m / 300Mi).
CLUSTER_AUTOSCALER_RESOURCES = {"requests": {"cpu": "100m", "memory": "300Mi"}, "limits": {"memory": "300Mi"}}
# Prometheus with the demos' few series: well inside these; the limit leaves room for compaction.
PROMETHEUS_SERVER_RESOURCES = {"requests": {"cpu": "200m", "memory": "512Mi"}, "limits": {"memory": "1Gi"}}
ALERTMANAGER_RESOURCES = {"requests": {"cpu": "10m", "memory": "32Mi"}, "limits": {"memory": "64Mi"}}
# The server pod's config-reloader sidecar (the chart sets no resources): it only watches two files.
CONFIG_RELOADER_RESOURCES = {"requests": {"cpu": "10m", "memory": "32Mi"}, "limits": {"memory": "64Mi"}}
KUBE_STATE_METRICS_RESOURCES = {"requests": {"cpu": "10m", "memory": "64Mi"}, "limits": {"memory": "128Mi"}}
# prometheus-adapter: the example in chart 5.3.0's values.yaml (100m / 128Mi).
PROMETHEUS_ADAPTER_RESOURCES = {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "128Mi"}}


def _footprint(name: str, replicas: int, resources: dict, source: str) -> Footprint:
    requests = resources["requests"]
    return Footprint(name, replicas, cpu_millicores(requests["cpu"]), memory_mib(requests["memory"]), False, source)


def system_controllers(config: AppConfig) -> tuple[Footprint, ...]:
    """Every Deployment pinned to the system nodes, for the capabilities the config enables."""
    found = [
        # EKS's CoreDNS: 2 replicas with upstream's requests, 100m / 70Mi (kubernetes/kubernetes
        # cluster/addons/dns/coredns/coredns.yaml.base). Not pinned, but the system nodes are the only
        # nodes when it is scheduled.
        Footprint("coredns", 2, 100, 70, False, "CoreDNS upstream manifest requests"),
    ]
    if config.enable_karpenter:
        found.append(Footprint("karpenter", KARPENTER_REPLICAS, cpu_millicores(config.karpenter.controller_cpu),
                               memory_mib(config.karpenter.controller_memory), True,
                               "karpenterControllerCpu/Memory; Karpenter chart v1.14.1 anti-affinity"))
    if config.enable_cluster_autoscaler:
        # cluster-autoscaler chart 9.59.0 values.yaml: replicaCount 1; the app sets its resources.
        found.append(_footprint("cluster-autoscaler", 1, CLUSTER_AUTOSCALER_RESOURCES, "the app's CA resources"))
    if config.enable_metrics_server:
        found.append(Footprint("metrics-server", METRICS_SERVER_REPLICAS, 100, 200, False,
                               "metrics-server chart 3.13.1 requests"))
    if config.enable_keda:
        # kedacore/charts v2.20.2 keda/values.yaml: one replica each, requests 100m / 100Mi each.
        for part in ("keda-operator", "keda-metrics-apiserver", "keda-admission-webhooks"):
            found.append(Footprint(part, 1, 100, 100, False, "keda chart 2.20.2 requests"))
    if config.enable_prometheus:
        # prometheus chart 29.27.0 values.yaml: server replicaCount 1; its alertmanager 1.42.x and
        # kube-state-metrics 8.4.x subcharts: one replica; the app sets their resources and turns the
        # pushgateway off.
        server = _footprint("prometheus-server", 1, PROMETHEUS_SERVER_RESOURCES, "the app's prometheus chart resources")
        reloader = _footprint("config-reloader", 1, CONFIG_RELOADER_RESOURCES, "")
        # One pod: the server and its config-reloader sidecar.
        found.append(Footprint(server.name, 1, server.cpu_millicores + reloader.cpu_millicores,
                               server.memory_mib + reloader.memory_mib, False,
                               "the app's prometheus chart resources, server and config reloader"))
        for part, resources in (("alertmanager", ALERTMANAGER_RESOURCES),
                                ("kube-state-metrics", KUBE_STATE_METRICS_RESOURCES)):
            found.append(_footprint(part, 1, resources, "the app's prometheus chart resources"))
        found.append(_footprint("prometheus-adapter", PROMETHEUS_ADAPTER_REPLICAS, PROMETHEUS_ADAPTER_RESOURCES,
                                "the app's prometheus-adapter resources"))
        # aws-ebs-csi-driver chart 2.64.0 values.yaml: controller replicaCount 2; ebs-plugin and its five
        # sidecars (provisioner, attacher, snapshotter, resizer, liveness-probe) each request 10m / 40Mi.
        found.append(Footprint("ebs-csi-controller", 2, 6 * 10, 6 * 40, False, "aws-ebs-csi-driver chart 2.64.0"))
    return tuple(found)


def daemonsets(config: AppConfig) -> tuple[Footprint, ...]:
    """One pod of each on every node."""
    found = [
        # The vpc-cni add-on's aws-node pod has two containers, aws-node and aws-eks-nodeagent (the network
        # policy agent), each requesting 25m (aws/amazon-vpc-cni-k8s charts/aws-vpc-cni/values.yaml:
        # resources.requests.cpu and nodeAgent.resources.requests.cpu).
        Footprint("aws-node", 1, 2 * 25, 0, False, "VPC CNI add-on: aws-node and aws-eks-nodeagent, 25m each"),
        # EKS's kube-proxy DaemonSet requests cpu 100m, as upstream's kube-proxy manifests do.
        Footprint("kube-proxy", 1, 100, 0, False, "EKS kube-proxy add-on"),
    ]
    if config.workload_identity == "pod-identity":
        # aws/eks-pod-identity-agent charts/eks-pod-identity-agent/values.yaml: resources {}.
        found.append(Footprint("eks-pod-identity-agent", 1, 0, 0, False, "eks-pod-identity-agent chart defaults"))
    if config.enable_prometheus:
        # aws-ebs-csi-driver chart 2.64.0: node plugin, node-driver-registrar, liveness-probe, 10m / 40Mi each.
        found.append(Footprint("ebs-csi-node", 1, 3 * 10, 3 * 40, False, "aws-ebs-csi-driver chart 2.64.0"))
        # prometheus-node-exporter (a prometheus chart 29.27.0 subchart) values.yaml: resources {}.
        found.append(Footprint("prometheus-node-exporter", 1, 0, 0, False, "prometheus-node-exporter defaults"))
    return tuple(found)
