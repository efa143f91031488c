"""Every number the planner assumes that the app's settings and manifests do not give, with its source.

Instance types (vCPUs, memory, max pods, prices) come from the app's table, eks_scaling/instance_types.py;
override prices with `--prices FILE` (JSON: {"m5.large": 0.096, ...}).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

# Controller periods and defaults the planner models exactly (not latencies: upstream constants/flags).
# aws/karpenter-provider-aws v1.14.1 charts/karpenter/values.yaml settings (the app does not set them):
KARPENTER_BATCH_IDLE = 1.0  # batchIdleDuration
KARPENTER_BATCH_MAX = 10.0  # batchMaxDuration
# kubernetes/autoscaler cluster-autoscaler-1.35.2 config/const.go and config/flags/flags.go defaults:
CA_SCAN_INTERVAL = 10.0  # --scan-interval (DefaultScanInterval)
CA_SCALE_DOWN_DELAY_AFTER_ADD = 600.0  # --scale-down-delay-after-add
# kubernetes/kubernetes kube-controller-manager flag default:
HPA_SYNC_PERIOD = 15.0  # --horizontal-pod-autoscaler-sync-period
LATENCY_JITTER = 0.15  # +-15 % around each latency, drawn from the run's seed


@dataclass(frozen=True)
class Latency:
    """A delay the planner cannot read from the app: seconds, as a range, and where the numbers come from."""

    name: str
    optimistic: float
    typical: float
    pessimistic: float
    source: str


RANGE = ("optimistic", "typical", "pessimistic")
# A node or pod that took longer than this to get Ready did not scale, it failed: a latency past it (given,
# or calibrated from a cluster) would make every plan meaningless, so it is refused.
MAX_LATENCY_SECONDS = 3600.0

# Every latency the planner takes as an input. Override one with Simulation(latencies={name: seconds})
# (the CLI's --latency name=90s); compare the three columns to see whether a conclusion holds across them.
LATENCIES: dict[str, Latency] = {latency.name: latency for latency in (
    Latency("karpenter-node-ready", 30.0, 60.0, 100.0,
            "EC2 launch to node Ready for a Karpenter NodeClaim. 28-31 s measured with node-latency-for-k8s "
            "(aws/karpenter-provider-aws#3827, c5a/c6i); 80-100 s reported in aws/karpenter-provider-aws#3102; "
            "AL2023's nodeadm adds up to ~20 s (awslabs/amazon-eks-ami#1751). Typical: an assumption between."),
    Latency("ca-node-ready", 40.0, 75.0, 150.0,
            "The ASG's desired-capacity change to node Ready. Same AMI and boot as Karpenter's nodes; the CA "
            "trace in aws/karpenter-provider-aws#3102 reaches kubelet registration at 40 s and Ready in ~70 s. "
            "Typical: an assumption (Karpenter's plus the ASG's scaling activity); pessimistic: the planner's "
            "earlier 150 s (eks-workshop: 'several minutes'). CA's own decision delay is its 10 s scan, modelled."),
    Latency("fargate-pod-start", 30.0, 45.0, 120.0,
            "A pod that matches a Fargate profile to its Fargate node Ready: 30-45 s for the node to be created "
            "and register (aws/containers-roadmap#649); pod starts near and past 120 s, image pull included "
            "(apache/airflow#28046). Typical: an assumption. Each Fargate node starts with no image cached, so "
            "the pod's own ready latency follows as on a new node."),
    Latency("php-apache-pod-ready", 4.0, 8.0, 20.0,
            "Pod bound to Ready: image pull on a warm node plus the first readiness probe. An assumption "
            "(registry.k8s.io/hpa-example is ~150 MB; pessimistic: a first pull on a new node)."),
    Latency("podinfo-pod-ready", 3.0, 5.0, 15.0,
            "Pod bound to Ready for podinfo (~20 MB image, readiness probe every 10 s). An assumption."),
    Latency("podinfo-keda-pod-ready", 3.0, 5.0, 15.0, "As podinfo-pod-ready: the same image. An assumption."),
    Latency("inflate-pod-ready", 2.0, 3.0, 10.0, "Pod bound to Ready for the pause image (no probe). An assumption."),
    Latency("tester-pod-ready", 2.0, 4.0, 10.0, "Pod bound to Ready for the tester's small image. An assumption."),
)}


def latency_sets() -> dict[str, dict[str, float]]:
    """{"optimistic": {name: seconds}, "typical": ..., "pessimistic": ...}: one run's latencies each."""
    return {level: {name: getattr(latency, level) for name, latency in LATENCIES.items()} for level in RANGE}


# Work per request, calibrated on the chapter: its busybox loop against php-apache settled at
# 5 replicas near 48 % of a 200m request, so about 0.48 cores for the loop's ~50 requests/s.
PHP_APACHE_CPU_PER_REQUEST = 0.0096  # core-seconds
PODINFO_CPU_PER_REQUEST = 0.0005  # a podinfo pod serves at most 1 / this = 2,000 requests/s per core

# The wall clock of the plan's t=0: a Monday at 00:00 UTC, so diurnal's day starts at midnight and a
# disruption budget's cron schedule (Karpenter evaluates it in UTC) falls on the weekdays it names.
PLAN_START = datetime(2024, 1, 1, tzinfo=timezone.utc)

# Metric pipelines.
METRICS_SERVER_RESOLUTION = 15.0  # chart default --metric-resolution=15s

# The chapter's load generators, as request rates: busybox `wget` every 10 ms against php-apache
# (bounded by its latency) and curl loops against podinfo (the chapter's HPA saw ~19 requests/s).
CHAPTER_RATES = {"php-apache": 50.0, "podinfo": 20.0, "podinfo-keda": 20.0}



@dataclass(frozen=True)
class SpotAssumptions:
    """What Spot capacity costs and how often EC2 takes it back: assumptions, not settings. Override
    with Simulation(spot=SpotAssumptions(...)) (no CLI flag yet)."""

    # Spot price as a share of on-demand. AWS's "up to 90 % off" (aws.amazon.com/ec2/spot/pricing) is a
    # bound, not a rate. Third-party figures, not checked against the Spot Instance Advisor: about 70 % off
    # for m5.large in us-east-1 (cloud-bench.com/blog/ec2-spot-vs-on-demand), "most users save around 50 %
    # to 70 %" (dev.to/alonshrestha, "AWS Spot Instances: Maximize Savings"). An assumption: 0.4 (60 % off).
    price_factor: float = 0.4
    # Share of Spot instances interrupted per 30 days. The Spot Instance Advisor's lowest "Frequency of
    # interruption" band is "<5 %" (aws.amazon.com/ec2/spot/instance-advisor); an assumption: its upper
    # edge, 5 %, as a constant hazard per instance (exponential times, drawn from the plan's seed).
    interruptions_per_month: float = 0.05
    # Chance that a Spot launch finds no capacity (InsufficientInstanceCapacity); Karpenter then marks
    # the offering unavailable and launches from the next NodePool, on-demand. No public rate: 0 by
    # default, an input for what-ifs.
    launch_failure: float = 0.0


SPOT = SpotAssumptions()
SPOT_NOTICE = 120.0  # the Spot interruption notice: two minutes (EC2 User Guide, "Spot Instance interruption notices")
# aws/karpenter-provider-aws v1.14.1 pkg/cache/cache.go UnavailableOfferingsTTL: how long an interrupted
# or failed Spot offering is skipped.
SPOT_UNAVAILABLE_TTL = 180.0

# EKS Auto Mode's management fee, per instance-hour, as a share of the instance's on-demand price: "about
# 12 %" by third-party summaries of the EKS pricing page (factualminds.com "Amazon EKS Pricing ... the Auto
# Mode Markup", 2026-06; cloudburn.io "Amazon EKS Pricing", 2026-03); AWS's page lists a fee per instance
# type, not checked from here. An assumption: 0.12.
AUTO_MODE_FEE_SHARE = 0.12


@dataclass(frozen=True)
class FargatePrices:
    """Fargate's on-demand Linux/x86 prices in us-east-1, billed per second while the pod runs: AWS's Fargate
    pricing page (aws.amazon.com/fargate/pricing) as quoted by vantage.sh/blog/fargate-pricing; not checked
    against AWS's page from here. Override with Simulation(fargate=FargatePrices(...)) (no CLI flag yet)."""

    vcpu_hour: float = 0.04048
    gb_hour: float = 0.004445


FARGATE_PRICES = FargatePrices()
