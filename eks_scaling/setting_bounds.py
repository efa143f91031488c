"""The range of every quantity setting, with the reason for it. config.py maps settings to these.

Sources are named where a limit is AWS's or Kubernetes'; a minimum of our own says what it protects.
This module must not import aws-cdk-lib.
"""

from __future__ import annotations

from eks_scaling.instance_types import INSTANCE_TYPES
from eks_scaling.quantities import COUNT, CPU, DURATION, MEMORY, RETENTION, VOLUME, Bounded, BoundedOrNever
from eks_scaling.setting_parsers import MAX_AVAILABILITY_ZONES

NAT_GATEWAYS = Bounded(COUNT, 1, MAX_AVAILABILITY_ZONES, "one NAT gateway per availability zone at most")

# The retention periods CloudWatch Logs accepts (PutRetentionPolicy, retentionInDays).
LOG_RETENTION_DAYS = Bounded(COUNT, 1, 3653, "the retention periods CloudWatch Logs accepts", steps=(
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653))

# EKS service quotas: 450 nodes per managed node group (the default quota).
_NODES_PER_GROUP = 450
_GROUP_QUOTA = "EKS's default quota of nodes per managed node group"
SYSTEM_NODES = Bounded(COUNT, 1, _NODES_PER_GROUP, f"the controllers need a node; {_GROUP_QUOTA}")
CA_NODES_MIN = Bounded(COUNT, 0, _NODES_PER_GROUP, f"Cluster Autoscaler scales from zero; {_GROUP_QUOTA}")
CA_NODES_MAX = Bounded(COUNT, 1, _NODES_PER_GROUP, f"at least one node to scale to; {_GROUP_QUOTA}")

# Kubernetes supports clusters of up to 5,000 nodes and 150,000 pods (kubernetes.io, "Considerations
# for large clusters"): a NodePool limit above 5,000 of the largest instance type limits nothing.
_MAX_NODES = 5000
_LARGEST_CPU = max(row.vcpus for row in INSTANCE_TYPES.values())
_LARGEST_MEMORY = max(row.memory_mib for row in INSTANCE_TYPES.values())
KARPENTER_CPU_LIMIT = Bounded(COUNT, 1, _MAX_NODES * _LARGEST_CPU,
                              "vCPUs; up to 5,000 nodes, Kubernetes' largest cluster, of the largest type")
KARPENTER_MEMORY_LIMIT = Bounded(MEMORY, 1024, _MAX_NODES * _LARGEST_MEMORY,
                                 "up to 5,000 nodes, Kubernetes' largest cluster, of the largest type")
DEMO_REPLICAS = Bounded(COUNT, 0, 150000, "Kubernetes supports up to 150,000 pods per cluster")

# Durations are Go time.Duration values (int64 nanoseconds), which hold at most 2562047h.
_GO_DURATION_MAX = 2562047 * 3600
KARPENTER_CONSOLIDATE_AFTER = Bounded(DURATION, 0, _GO_DURATION_MAX, "Karpenter parses a Go duration")
CA_SCALE_DOWN_UNNEEDED_TIME = Bounded(DURATION, 0, _GO_DURATION_MAX, "Cluster Autoscaler parses a Go duration")

# The controller pod must fit on one node; the scheduling-fit check at synth compares it with the
# system nodes themselves. The minimums are a fraction of upstream's getting-started requests (1 CPU, 1Gi,
# aws/karpenter-provider-aws v1.14.1 website/.../step08-apply-helm-chart.sh): the controller keeps every
# instance type, offering and price in memory, and its limit equals its request (OOM-killed above it).
KARPENTER_CONTROLLER_CPU = Bounded(CPU, 100, _LARGEST_CPU * 1000,
                                   "a tenth of upstream's 1 CPU, up to the largest instance type")
KARPENTER_CONTROLLER_MEMORY = Bounded(MEMORY, 256, _LARGEST_MEMORY,
                                      "a quarter of upstream's 1Gi, up to the largest instance type")

# Prometheus: retention 0 would mean its default of 15d, and it caps retention at 100y
# (prometheus/prometheus cmd/prometheus/main.go); below 2h, one TSDB block, the data goes before it is
# compacted.
PROMETHEUS_RETENTION = Bounded(RETENTION, 2 * 3600, 100 * 365 * 86400, "Prometheus keeps 2h blocks, and at most 100y")

# gp3 EBS volumes are 1 GiB to 64 TiB (EC2 API reference, CreateVolume, Size).
EBS_GP3_VOLUME = Bounded(VOLUME, 1024, 64 * 1024 * 1024, "the sizes of a gp3 EBS volume")
# Alert thresholds (manifests/prometheus-rules.yaml): at least a minute, longer than a normal scale-up
# step, and at most a day, beyond which an alert tells nobody anything in time.
ALERT_FOR = Bounded(DURATION, 60, 86400, "an alert waits at least a minute and at most a day")
# Below half of a limit nothing is near it; 100 % fires only once the limit is reached.
ALERT_LIMIT_PERCENT = Bounded(COUNT, 50, 100, "percent of the NodePool limit, from half to all of it")

# NodePool template.spec.expireAfter: a Go duration or Never (the v1.14.1 CRD's pattern, default 720h).
KARPENTER_EXPIRE_AFTER = BoundedOrNever(DURATION, 60, _GO_DURATION_MAX, "Karpenter parses a Go duration; "
                                        "at least a minute, or nodes expire as they join")
# terminationGracePeriod: a Go duration (no Never in the CRD's pattern); empty leaves it unset.
KARPENTER_TERMINATION_GRACE_PERIOD = Bounded(DURATION, 0, _GO_DURATION_MAX, "Karpenter parses a Go duration")
# NodePool spec.weight: 1-100 (the v1.14.1 CRD's minimum and maximum).
KARPENTER_NODE_POOL_WEIGHT = Bounded(COUNT, 1, 100, "the NodePool CRD's weight range")
# Cluster Autoscaler's --scale-down-utilization-threshold is a fraction (config/const.go default 0.5);
# the setting is its percentage. A node at or below it may go (core/scaledown/eligibility/eligibility.go
# isNodeAtOrBelowUtilizationThreshold, 1.35.2): 0 removes only empty nodes.
CA_SCALE_DOWN_UTILIZATION_PERCENT = Bounded(COUNT, 0, 100, "percent of a node's allocatable requested")
# Headroom: slots of a size, kept free by placeholder pods (or a CapacityBuffer's replicas).
HEADROOM_SLOTS = Bounded(COUNT, 0, 150000, "Kubernetes supports up to 150,000 pods per cluster")
HEADROOM_CPU = Bounded(CPU, 10, _LARGEST_CPU * 1000, "from 10m up to the largest instance type")
HEADROOM_MEMORY = Bounded(MEMORY, 16, _LARGEST_MEMORY, "from 16Mi up to the largest instance type")
# KEDA: initialCooldownPeriod is int32 seconds; minReplicaCount up to the ScaledObject's maxReplicaCount
# (10, manifests/podinfo-scaledobject.yaml); activationThreshold in requests/s (the trigger's unit),
# bounded by what one podinfo replica could ever be asked for at maxReplicaCount times its threshold.
KEDA_INITIAL_COOLDOWN = Bounded(COUNT, 0, 2**31 - 1, "int32 seconds, the ScaledObject CRD's type")
KEDA_MIN_REPLICAS = Bounded(COUNT, 0, 10, "up to the ScaledObject's maxReplicaCount of 10")
KEDA_ACTIVATION_THRESHOLD = Bounded(COUNT, 0, 100, "requests/s; above 100 (maxReplicaCount x threshold) "
                                                   "podinfo-keda would be at its maximum before it woke")
