"""One HPA metric's replica recommendation, as the Kubernetes controller computes it.

Re-expressed from kubernetes/kubernetes pkg/controller/podautoscaler/replica_calculator.go (Tolerances,
GetResourceReplicas, GetRawResourceReplicas, GetMetricReplicas, calcPlainMetricReplicas,
GetObjectMetricReplicas, GetObjectPerPodMetricReplicas, GetExternalMetricReplicas,
GetExternalPerPodMetricReplicas, getUsageRatioReplicaCount, getReadyPodsCount, groupPods,
calculateRequests) and metrics/utilization.go (GetResourceUtilizationRatio, GetMetricUsageRatio), in the
1.35-era version that has per-direction Tolerances, missing pods at max(100 %, target) and the MaxInt32
caps. Values travel as milli-units in integers, as the controller's Quantity.MilliValue() gives them
(rounded up), and the utilization percentage is an integer division, so results match to the replica.
What the scale subresource, the stabilization and `behavior` then do is planner/scalers/hpa_scaling.py.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal, Sequence

MAX_INT32 = 2**31 - 1
MIN_INT32 = -(2**31)
MAX_INT64 = 2**63 - 1

# kube-controller-manager flags (EKS does not let them be changed), with their defaults.
DEFAULT_TOLERANCE = 0.1  # --horizontal-pod-autoscaler-tolerance
CPU_INITIALIZATION_PERIOD = 300.0  # --horizontal-pod-autoscaler-cpu-initialization-period
INITIAL_READINESS_DELAY = 30.0  # --horizontal-pod-autoscaler-initial-readiness-delay
DOWNSCALE_STABILIZATION = 300.0  # --horizontal-pod-autoscaler-downscale-stabilization

SUPPORTED_MINORS = (33, 34, 35, 36)


@dataclass(frozen=True)
class Release:
    """What differs in the HPA controller between the supported Kubernetes minors."""

    minor: int

    @classmethod
    def of(cls, version: str) -> Release:
        major, _, minor = version.partition(".")
        if major != "1" or not minor.isdigit() or int(minor) not in SUPPORTED_MINORS:
            raise ValueError(f"Kubernetes {version!r} is not a supported HPA release; "
                             f"supported: {', '.join(f'1.{m}' for m in SUPPORTED_MINORS)}")
        return cls(int(minor))

    @property
    def configurable_tolerance(self) -> bool:
        """behavior.scale{Up,Down}.tolerance is honoured: pkg/features/kube_features.go has
        HPAConfigurableTolerance alpha (off) from 1.33 and beta (on) from 1.35; with the gate off the API
        server drops the field (pkg/registry/autoscaling/horizontalpodautoscaler dropDisabledFields)."""
        return self.minor >= 35

    @property
    def caps_external_average_value(self) -> bool:
        """GetExternalPerPodMetricReplicas saturates at MaxInt32 (kubernetes#127050, in 1.34)."""
        return self.minor >= 34

    @property
    def caps_usage_ratio(self) -> bool:
        """getUsageRatioReplicaCount saturates at MaxInt32 (kubernetes#126979, in 1.35)."""
        return self.minor >= 35


DEFAULT_RELEASE = Release(35)


def to_int32(value: float, saturate: bool) -> int:
    """Go's int32(...) of a float: out of range it saturates where upstream caps; elsewhere amd64 yields
    MinInt32 (kubernetes#141397 describes both and makes every site saturate, after 1.36)."""
    if math.isnan(value) or value < MIN_INT32:
        return MIN_INT32
    if value > MAX_INT32:
        return MAX_INT32 if saturate else MIN_INT32
    return int(value)


def milli(value: float) -> int:
    """resource.Quantity.MilliValue(): the value in thousandths, rounded up, held in an int64."""
    return min(MAX_INT64, math.ceil(round(value * 1000, 6)))


@dataclass(frozen=True)
class Tolerances:
    """No change while 1 - scale_down <= usage ratio <= 1 + scale_up (Tolerances.isWithin)."""

    scale_down: float = DEFAULT_TOLERANCE
    scale_up: float = DEFAULT_TOLERANCE

    def within(self, ratio: float) -> bool:
        return 1.0 - self.scale_down <= ratio <= 1.0 + self.scale_up


Source = Literal["Resource", "Pods", "Object", "External"]
Target = Literal["Utilization", "AverageValue", "Value"]
_TARGETS: dict[str, tuple[str, ...]] = {"Resource": ("Utilization", "AverageValue"), "Pods": ("AverageValue",),
                                        "Object": ("Value", "AverageValue"), "External": ("Value", "AverageValue")}


@dataclass(frozen=True)
class Metric:
    """One entry of spec.metrics: its source, its target type and the target (a percentage of the request
    for Utilization, else in the metric's own unit; the resource metric's unit is cores)."""

    source: Source
    target: Target
    value: float
    resource: str = "cpu"

    def __post_init__(self) -> None:
        if self.target not in _TARGETS.get(self.source, ()):
            raise ValueError(f"a {self.source} metric takes a {' or '.join(_TARGETS.get(self.source, ()))} target, "
                             f"not {self.target}")
        if not self.value > 0 or math.isinf(self.value) or (self.target == "Utilization" and self.value % 1):
            raise ValueError(f"a {self.target} target must be a positive finite "
                             f"{'whole percentage' if self.target == 'Utilization' else 'number'}, not {self.value}")


@dataclass(slots=True)  # not frozen: built for every pod at every sync, and frozen init costs 3x as much
class PodSample:
    """One pod the HPA's selector lists, with the metric the metrics API returned for it."""

    value: float | None  # cores (Resource metrics) or the Pods metric; None: the API returned none for it
    request: float | None = None  # the sum of its containers' requests for the resource; None: one has none
    phase: Literal["Pending", "Running", "Succeeded", "Failed"] = "Running"
    deleting: bool = False
    ready: bool | None = True  # status of the Ready condition; None: the pod has no Ready condition
    ready_changed: float = 0.0  # the Ready condition's lastTransitionTime (s)
    started: float | None = 0.0  # status.startTime (s); None: not set
    sampled: float = 0.0  # the metric's timestamp (s)
    window: float = 15.0  # the metric's window (s); metrics-server reports its --metric-resolution


@dataclass(frozen=True)
class Recommendation:
    replicas: int
    current: float | None  # what status.currentMetrics shows, in the target's unit; None: not defined


@dataclass(frozen=True)
class MetricError:
    """The metric could not be computed: the controller sets ScalingActive=False with this reason."""

    reason: str  # e.g. FailedGetResourceMetric
    message: str


Outcome = Recommendation | MetricError


def recommend(metric: Metric, pods: Sequence[PodSample], *, spec_replicas: int, now: float,
              status_replicas: int | None = None, level: float | None = None,
              tolerances: Tolerances = Tolerances(), release: Release = DEFAULT_RELEASE,
              cpu_initialization_period: float = CPU_INITIALIZATION_PERIOD,
              initial_readiness_delay: float = INITIAL_READINESS_DELAY) -> Outcome:
    """The replicas one metric asks for (horizontal.go computeReplicasForMetric and the replica calculator).

    pods: what the scale target's selector lists. spec_replicas: the scale subresource's spec.replicas;
    status_replicas: its status.replicas (AverageValue targets of Object and External metrics divide by it;
    default spec_replicas). level: the Object metric's value or the External metric's sum; None: the metrics
    API returned an error.
    """
    target = milli(metric.value) if metric.target != "Utilization" else int(metric.value)
    if metric.source in ("Object", "External"):
        failed = "FailedGetObjectMetric" if metric.source == "Object" else "FailedGetExternalMetric"
        if level is None:
            return MetricError(failed, f"unable to get {metric.source.lower()} metric")
        usage = milli(level)
        if metric.target == "Value":
            return _usage_ratio_replicas(usage, target, spec_replicas, pods, tolerances, release, failed)
        status = spec_replicas if status_replicas is None else status_replicas
        return _per_pod_replicas(usage, target, status, tolerances,
                                 metric.source == "External" and release.caps_external_average_value)
    cpu = metric.source == "Resource" and metric.resource == "cpu"
    failed = "FailedGetResourceMetric" if metric.source == "Resource" else "FailedGetPodsMetric"
    if not any(pod.value is not None for pod in pods):  # also when the selector lists no pod
        return MetricError(failed, "no metrics returned from the metrics API")
    ready, unready, missing = group_pods(pods, cpu, now, cpu_initialization_period, initial_readiness_delay)
    if not ready:
        return MetricError(failed, "did not receive metrics for targeted pods (pods might be unready)")
    if metric.target == "Utilization":
        if any(pod.request is None for pod in pods):
            return MetricError(failed, f"missing request for {metric.resource}")
        return _utilization_replicas(ready, unready, missing, target, spec_replicas, tolerances, failed)
    return _average_replicas(ready, unready, missing, target, spec_replicas, tolerances)


def group_pods(pods: Sequence[PodSample], cpu: bool, now: float,
               initialization: float = CPU_INITIALIZATION_PERIOD, readiness_delay: float = INITIAL_READINESS_DELAY,
               ) -> tuple[list[PodSample], list[PodSample], list[PodSample]]:
    """groupPods: (ready with a metric, unready, missing a metric); deleted and failed pods are left out."""
    ready, unready, missing = [], [], []
    for pod in pods:
        if pod.deleting or pod.phase == "Failed":
            continue
        if pod.phase == "Pending":
            unready.append(pod)
        elif pod.value is None:
            missing.append(pod)
        elif cpu and _unready_for_cpu(pod, now, initialization, readiness_delay):
            unready.append(pod)
        else:
            ready.append(pod)
    return ready, unready, missing


def _unready_for_cpu(pod: PodSample, now: float, initialization: float, readiness_delay: float) -> bool:
    if pod.ready is None or pod.started is None:
        return True
    if pod.started + initialization > now:
        # Within the initialization period: a full metric window must follow the last readiness change.
        return pod.ready is False or pod.sampled < pod.ready_changed + pod.window
    # Afterwards only a pod that has never been ready is left out.
    return pod.ready is False and pod.started + readiness_delay > pod.ready_changed


def _utilization(samples: Sequence[tuple[int, int]], target: int) -> tuple[float, int, int] | None:
    """GetResourceUtilizationRatio over (usage, request) milli pairs: (ratio, utilization %, raw average)."""
    used = sum(usage for usage, _ in samples)
    requested = sum(request for _, request in samples)
    if requested == 0:
        return None
    utilization = used * 100 // requested
    return utilization / target, utilization, used // len(samples)


def _utilization_replicas(ready: list[PodSample], unready: list[PodSample], missing: list[PodSample], target: int,
                          current: int, tolerances: Tolerances, failed: str) -> Outcome:
    """GetResourceReplicas for a Utilization target."""
    samples = [(milli(pod.value), milli(pod.request)) for pod in ready]
    first = _utilization(samples, target)
    if first is None:
        return MetricError(failed, "no metrics returned matched known pods")
    ratio, utilization, _ = first
    scale_up_with_unready = bool(unready) and ratio > 1.0
    if not scale_up_with_unready and not missing:
        if tolerances.within(ratio):
            return Recommendation(current, utilization)
        return Recommendation(to_int32(math.ceil(ratio * len(ready)), False), utilization)
    if missing and ratio < 1.0:
        # A missing pod counts at its request, or at the target when that is above 100 %.
        fallback = max(100, target)
        samples += [(milli(pod.request) * fallback // 100, milli(pod.request)) for pod in missing]
    elif missing and ratio > 1.0:
        samples += [(0, milli(pod.request)) for pod in missing]
    if scale_up_with_unready:
        samples += [(0, milli(pod.request)) for pod in unready]
    new_ratio, _, _ = _utilization(samples, target)
    return Recommendation(_rebalanced(ratio, new_ratio, len(samples), current, tolerances), utilization)


def _average_replicas(ready: list[PodSample], unready: list[PodSample], missing: list[PodSample], target: int,
                      current: int, tolerances: Tolerances) -> Outcome:
    """calcPlainMetricReplicas: Pods metrics and Resource metrics with an AverageValue target."""
    values = [milli(pod.value) for pod in ready]
    usage = sum(values) // len(values)
    ratio = usage / target
    scale_up_with_unready = bool(unready) and ratio > 1.0
    if not scale_up_with_unready and not missing:
        if tolerances.within(ratio):
            return Recommendation(current, usage / 1000)
        return Recommendation(to_int32(math.ceil(ratio * len(ready)), False), usage / 1000)
    if missing and ratio < 1.0:
        values += [target] * len(missing)  # a missing pod counts at the target
    elif missing and ratio > 1.0:
        values += [0] * len(missing)
    if scale_up_with_unready:
        values += [0] * len(unready)
    new_ratio = (sum(values) // len(values)) / target
    return Recommendation(_rebalanced(ratio, new_ratio, len(values), current, tolerances), usage / 1000)


def _rebalanced(ratio: float, new_ratio: float, counted: int, current: int, tolerances: Tolerances) -> int:
    """The rebalanced count, unless it lands within the tolerance or flips the direction of the change."""
    if tolerances.within(new_ratio) or (ratio < 1.0 < new_ratio) or (ratio > 1.0 > new_ratio):
        return current
    replicas = to_int32(math.ceil(new_ratio * counted), False)
    if (new_ratio < 1.0 and replicas > current) or (new_ratio > 1.0 and replicas < current):
        return current
    return replicas


def _usage_ratio_replicas(usage: int, target: int, current: int, pods: Sequence[PodSample],
                          tolerances: Tolerances, release: Release, failed: str) -> Outcome:
    """GetObjectMetricReplicas / GetExternalMetricReplicas (a Value target) via getUsageRatioReplicaCount:
    ceil(ratio x ready pods); from zero replicas ceil(ratio), without the tolerance."""
    ratio = usage / target
    if current == 0:
        return Recommendation(to_int32(math.ceil(ratio), False), usage / 1000)
    if tolerances.within(ratio):
        return Recommendation(current, usage / 1000)
    if not pods:
        return MetricError(failed, "unable to calculate ready pods: no pods returned by selector")
    ready = sum(1 for pod in pods if pod.phase == "Running" and pod.ready is True)  # getReadyPodsCount
    wanted = ratio * ready
    if release.caps_usage_ratio and wanted > MAX_INT32:
        return Recommendation(MAX_INT32, usage / 1000)
    return Recommendation(to_int32(math.ceil(wanted), False), usage / 1000)


def _per_pod_replicas(usage: int, target: int, status_replicas: int, tolerances: Tolerances,
                      saturate: bool) -> Outcome:
    """GetObjectPerPodMetricReplicas / GetExternalPerPodMetricReplicas (an AverageValue target): the total
    over the target, unless usage / (target x status.replicas) is within the tolerance."""
    spread = float(target) * status_replicas
    ratio = usage / spread if spread else (math.nan if usage == 0 else math.inf)
    replicas = status_replicas
    if not tolerances.within(ratio):
        replicas = to_int32(math.ceil(usage / target), saturate)
    average = None if status_replicas == 0 else math.ceil(usage / status_replicas) / 1000
    return Recommendation(replicas, average)
