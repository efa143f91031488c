"""Every number the planner assumes that the app's settings and manifests do not give, with its source.

Override prices and instance specs with `--prices FILE` (JSON: {"m5.large": 0.096, ...}).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class InstanceType:
    vcpu: float
    memory_gib: float
    max_pods: int
    price: float  # on-demand USD per hour


# vCPU and memory: AWS EC2 instance type pages. max_pods: the VPC CNI's eni-max-pods table
# ((ENIs x (IPv4 per ENI - 1)) + 2; aws/amazon-vpc-cni-k8s misc/eni-max-pods.txt).
# Prices: AWS EC2 On-Demand Linux prices in us-east-1, as published in 2026 (list prices unchanged
# since launch for these types); other regions differ, so pass --prices for yours.
INSTANCE_TYPES: dict[str, InstanceType] = {
    "t3.medium": InstanceType(2, 4, 17, 0.0416),
    "t3.large": InstanceType(2, 8, 35, 0.0832),
    "c5.large": InstanceType(2, 4, 29, 0.085),
    "c5.xlarge": InstanceType(4, 8, 58, 0.17),
    "c5.2xlarge": InstanceType(8, 16, 58, 0.34),
    "m5.large": InstanceType(2, 8, 29, 0.096),
    "m5.xlarge": InstanceType(4, 16, 58, 0.192),
    "m5.2xlarge": InstanceType(8, 32, 58, 0.384),
    "c6i.large": InstanceType(2, 4, 29, 0.085),
    "m6i.large": InstanceType(2, 8, 29, 0.096),
    "c7g.large": InstanceType(2, 4, 29, 0.0725),
    "m7g.large": InstanceType(2, 8, 29, 0.0816),
    "r5.large": InstanceType(2, 16, 29, 0.126),
}

# Allocatable = capacity - kube-reserved - eviction threshold, with the EKS AMI bootstrap formulas
# (awslabs/amazon-eks-ami): CPU reserves 6 % of the first core, 1 % of the second, 0.5 % of the next
# two and 0.25 % of the rest; memory reserves 255 MiB + 11 MiB per max pod, plus 100 MiB eviction.
def allocatable(kind: InstanceType) -> tuple[float, float]:
    """(cores, GiB) schedulable on a node of this type."""
    cores = kind.vcpu
    reserved = 0.06 + 0.01 * min(max(cores - 1, 0), 1) + 0.005 * min(max(cores - 2, 0), 2) \
        + 0.0025 * max(cores - 4, 0)
    memory_reserved = (255 + 11 * kind.max_pods + 100) / 1024
    return cores - reserved, kind.memory_gib - memory_reserved


# DaemonSets on every node (aws-node, kube-proxy, eks-pod-identity-agent, ebs-csi-node,
# prometheus-node-exporter): their chart and add-on default requests, summed.
DAEMONSET_CPU = 0.2
DAEMONSET_MEMORY_GIB = 0.3
DAEMONSET_PODS = 5

# Latencies (s). Karpenter: launch to Ready in about a minute (Karpenter docs, "Getting started";
# EC2 boot plus AL2023 node join). Cluster Autoscaler: it notices on its 10 s scan, then the ASG
# launches (EKS best practices guide: 2-4 minutes from pending pod to ready node with ASGs).
KARPENTER_BATCH_IDLE = 1.0  # settings.batchIdleDuration
KARPENTER_BATCH_MAX = 10.0  # settings.batchMaxDuration
KARPENTER_LAUNCH_TO_READY = 55.0
CA_SCAN_INTERVAL = 10.0  # --scan-interval default
CA_LAUNCH_TO_READY = 150.0
CA_SCALE_DOWN_UTILIZATION = 0.5  # --scale-down-utilization-threshold default
CA_SCALE_DOWN_DELAY_AFTER_ADD = 600.0  # --scale-down-delay-after-add default
LATENCY_JITTER = 0.15  # +-15 % around each latency, drawn from the run's seed

# Pod start-up to Ready (image pull on a warm node plus the readiness probe): observed order of
# magnitude for these small images; the first pull on a new node adds about 10 s.
POD_START = {"php-apache": 8.0, "podinfo": 5.0, "podinfo-keda": 5.0, "inflate": 3.0, "tester": 4.0}

# Work per request, calibrated on the chapter: its busybox loop against php-apache settled at
# 5 replicas near 48 % of a 200m request, so about 0.48 cores for the loop's ~50 requests/s.
PHP_APACHE_CPU_PER_REQUEST = 0.0096  # core-seconds
PODINFO_CPU_PER_REQUEST = 0.0005  # a podinfo pod serves at most 1 / this = 2,000 requests/s per core

# Metric pipelines.
METRICS_SERVER_RESOLUTION = 15.0  # chart default --metric-resolution=15s
PROMETHEUS_SCRAPE_INTERVAL = 60.0  # prometheus chart's global scrape_interval: 1m
RATE_WINDOW = 120.0  # the adapter rule's and the KEDA query's [2m]

# The chapter's load generators, as request rates: busybox `wget` every 10 ms against php-apache
# (bounded by its latency) and curl loops against podinfo (the chapter's HPA saw ~19 requests/s).
CHAPTER_RATES = {"php-apache": 50.0, "podinfo": 20.0, "podinfo-keda": 20.0}

# metrics-server's chart requests (100m, 200Mi) for each of its 2 replicas; Karpenter's come from settings.
METRICS_SERVER_REQUESTS = (0.1, 0.2)

# Spot capacity is priced at the on-demand price: a plan should not count on spot discounts.
