"""The HorizontalPodAutoscaler as Kubernetes computes it, as pure functions.

Rules from kubernetes/kubernetes pkg/controller/podautoscaler (replica_calculator.go, horizontal.go)
and the "Horizontal Pod Autoscaling" docs: desired = ceil(current * currentValue / target); no change
within the tolerance (0.1); deleted and failed pods ignored; pods without metrics counted as 100 % of
the target on scale-down and 0 % on scale-up; unready pods (for CPU: not Ready, or within the 300 s
CPU initialization period with a sample taken before they were Ready for 30 s) counted as 0 % on
scale-up and left out on scale-down; a rebalanced result that flips direction or lands within the
tolerance keeps the current count. Behavior: stabilization windows over past recommendations, then
scale-up/scale-down policies per period with selectPolicy, then min/max.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal, Sequence

TOLERANCE = 0.1
CPU_INITIALIZATION_PERIOD = 300.0  # --horizontal-pod-autoscaler-cpu-initialization-period
INITIAL_READINESS_DELAY = 30.0  # --horizontal-pod-autoscaler-initial-readiness-delay
SYNC_PERIOD = 15.0


@dataclass(frozen=True)
class PodSample:
    """One pod as the HPA sees it at a sync."""

    value: float | None  # the metric (CPU cores, or the per-pod custom metric); None: no metric yet
    request: float = 0.0  # CPU request in cores (resource metrics only)
    ready: bool = True
    phase: Literal["Pending", "Running", "Succeeded", "Failed"] = "Running"
    deleting: bool = False
    start_time: float = 0.0  # when the pod started (s)
    ready_time: float | None = 0.0  # when it last became Ready (s)
    sample_time: float = 0.0  # when its metric was taken (s)


@dataclass(frozen=True)
class Recommendation:
    replicas: int
    reported: float | None  # the utilization (%) or average value the HPA reports; None: unknown


def _is_unready_for_cpu(pod: PodSample, now: float) -> bool:
    if not pod.ready or pod.ready_time is None:
        return True
    if now - pod.start_time < CPU_INITIALIZATION_PERIOD:
        # Within the initialization period, only a sample taken a full window after readiness counts.
        return pod.sample_time < pod.ready_time + INITIAL_READINESS_DELAY
    # Afterwards a pod that never had a sample since it became ready is still unready.
    return pod.ready_time > pod.sample_time


def replicas_for_pods(pods: Sequence[PodSample], *, target: float, current_replicas: int, now: float,
                      resource: bool, tolerance: float = TOLERANCE) -> Recommendation:
    """Desired replicas for a Resource metric (target: utilization %, per-pod value = cores used) or a
    Pods metric (target: average value per pod)."""
    counted = [pod for pod in pods if not pod.deleting and pod.phase != "Failed"]
    with_metrics, missing, unready = [], [], []
    for pod in counted:
        if pod.value is None or pod.phase == "Pending":
            missing.append(pod)
        elif (resource and _is_unready_for_cpu(pod, now)) or (not resource and not pod.ready):
            unready.append(pod)
        else:
            with_metrics.append(pod)
    if not with_metrics:
        return Recommendation(current_replicas, None)

    def ratio_of(samples: Sequence[tuple[float, float]]) -> tuple[float, float]:
        """(usage ratio, reported value) of (value, request) pairs."""
        if resource:
            requested = sum(request for _, request in samples)
            utilization = 100.0 * sum(value for value, _ in samples) / requested
            return utilization / target, utilization
        average = sum(value for value, _ in samples) / len(samples)
        return average / target, average

    samples = [(pod.value, pod.request) for pod in with_metrics]
    usage_ratio, reported = ratio_of(samples)
    scaling_up = usage_ratio > 1.0
    if not missing and not (unready and scaling_up):
        if abs(usage_ratio - 1.0) <= tolerance:
            return Recommendation(current_replicas, reported)
        return Recommendation(math.ceil(usage_ratio * len(samples)), reported)

    # Rebalance: missing pods at the target on scale-down and 0 on scale-up; unready as 0 on scale-up.
    for pod in missing:
        at_target = (target / 100.0 * pod.request) if resource else target
        samples.append((0.0 if scaling_up else at_target, pod.request))
    if scaling_up:
        samples += [(0.0, pod.request) for pod in unready]
    new_ratio, _ = ratio_of(samples)
    if (abs(new_ratio - 1.0) <= tolerance or (usage_ratio < 1.0 < new_ratio)
            or (usage_ratio > 1.0 > new_ratio)):
        return Recommendation(current_replicas, reported)
    desired = math.ceil(new_ratio * len(samples))
    if (new_ratio < 1.0 and desired > current_replicas) or (new_ratio > 1.0 and desired < current_replicas):
        return Recommendation(current_replicas, reported)
    return Recommendation(desired, reported)


def replicas_for_external(total: float, *, target_average: float, current_replicas: int,
                          tolerance: float = TOLERANCE) -> Recommendation:
    """An External metric with an AverageValue target (as KEDA's HPA): the total spread over pods."""
    usage_ratio = total / (target_average * current_replicas) if current_replicas else math.inf
    average = total / current_replicas if current_replicas else total
    if current_replicas and abs(usage_ratio - 1.0) <= tolerance:
        return Recommendation(current_replicas, average)
    return Recommendation(math.ceil(total / target_average), average)


@dataclass(frozen=True)
class Policy:
    kind: Literal["Pods", "Percent"]
    value: int
    period: float


@dataclass(frozen=True)
class Rules:
    window: float
    policies: tuple[Policy, ...]
    select: Literal["Max", "Min", "Disabled"] = "Max"


# The defaults of autoscaling/v2 when `behavior` is not set.
DEFAULT_SCALE_UP = Rules(0.0, (Policy("Pods", 4, 15.0), Policy("Percent", 100, 15.0)))
DEFAULT_SCALE_DOWN = Rules(300.0, (Policy("Percent", 100, 15.0),))


@dataclass
class Behavior:
    """One HPA's memory across syncs: its recommendations and the scale events it made."""

    min_replicas: int
    max_replicas: int
    scale_up: Rules = DEFAULT_SCALE_UP
    scale_down: Rules = DEFAULT_SCALE_DOWN
    recommendations: list[tuple[float, int]] = field(default_factory=list)
    events: list[tuple[float, int]] = field(default_factory=list)  # (time, replica change)

    def next_replicas(self, desired: int, current: int, now: float) -> int:
        """Stabilize the recommendation, limit it by the policies, clamp it to min/max, record the change."""
        self.recommendations.append((now, desired))
        horizon = max(self.scale_up.window, self.scale_down.window)
        self.recommendations = [(t, r) for t, r in self.recommendations if now - t <= horizon]
        up = min((r for t, r in self.recommendations if now - t <= self.scale_up.window), default=desired)
        down = max((r for t, r in self.recommendations if now - t <= self.scale_down.window), default=desired)
        stabilized = current
        if stabilized < up:
            stabilized = up
        if stabilized > down:
            stabilized = down
        limited = self._limit(stabilized, current, now)
        result = max(self.min_replicas, min(self.max_replicas, limited))
        if result != current:
            self.events.append((now, result - current))
        return result

    def _limit(self, desired: int, current: int, now: float) -> int:
        if desired > current:
            rules, growing = self.scale_up, True
        elif desired < current:
            rules, growing = self.scale_down, False
        else:
            return desired
        if rules.select == "Disabled":
            return current
        limits = []
        for policy in rules.policies:
            changed = sum(change for t, change in self.events if now - t < policy.period
                          and (change > 0) == growing)
            start = current - changed
            if growing:
                limits.append(start + policy.value if policy.kind == "Pods"
                              else math.ceil(start * (1 + policy.value / 100.0)))
            else:
                limits.append(start - policy.value if policy.kind == "Pods"
                              else math.floor(start * (1 - policy.value / 100.0)))
        pick = max if (rules.select == "Max") == growing else min
        bound = pick(limits)
        return min(desired, bound) if growing else max(desired, bound)
