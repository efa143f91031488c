"""What one HPA does with its metrics' recommendations at each sync, as the Kubernetes controller does it.

Re-expressed from kubernetes/kubernetes pkg/controller/podautoscaler/horizontal.go: reconcileAutoscaler,
computeReplicasForMetrics, recordInitialRecommendation, tolerancesForHpa; without spec.behavior
stabilizeRecommendation, normalizeDesiredReplicas, convertDesiredReplicasWithRules and
calculateScaleUpLimit; with it normalizeDesiredReplicasWithBehaviors, stabilizeRecommendationWithBehaviors,
convertDesiredReplicasWithBehaviorRate, calculateScaleUpLimitWithScalingRules,
calculateScaleDownLimitWithBehaviors, getReplicasChangePerPeriod and storeScaleEvent. The behavior defaults
are pkg/apis/autoscaling/v2/defaults.go's, which the API server fills in only when spec.behavior is set:
an HPA without it (as this app's manifests and KEDA's HPA without advanced.horizontalPodAutoscalerConfig)
takes the older path, which limits a scale-up to max(2 x current, 4) per sync and has no rate limit down.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Sequence

from planner.engine.hpa_spec import Behavior, Policy, ScalingRules
from planner.scalers.hpa import (DEFAULT_RELEASE, DEFAULT_TOLERANCE, DOWNSCALE_STABILIZATION, MAX_INT32, MIN_INT32,
                                 MetricError, Outcome, Release, Tolerances, to_int32)

SCALE_UP_LIMIT_FACTOR = 2.0  # horizontal.go scaleUpLimitFactor
SCALE_UP_LIMIT_MINIMUM = 4.0  # horizontal.go scaleUpLimitMinimum


def combine(outcomes: Sequence[Outcome], spec_replicas: int) -> int | None:
    """computeReplicasForMetrics: the largest proposal; None (no scaling this sync) when every metric
    failed, or when one failed and the others would scale down."""
    replicas, failed = 0, 0
    for outcome in outcomes:
        if isinstance(outcome, MetricError):
            failed += 1
        elif replicas == 0 or outcome.replicas > replicas:
            replicas = outcome.replicas
    if failed >= len(outcomes) or (failed and replicas < spec_replicas):
        return None
    return replicas


def replicas_change_per_period(events: list[tuple[float, int]], period: float, now: float) -> int:
    """getReplicasChangePerPeriod: the changes made after now - period (one made exactly then is out)."""
    return sum(change for at, change in events if at > now - period)


@dataclass
class HorizontalPodAutoscaler:
    """One HPA's spec and the controller's memory of it: past recommendations and scale events."""

    min_replicas: int
    max_replicas: int
    behavior: Behavior | None = None
    release: Release = DEFAULT_RELEASE
    tolerance: float = DEFAULT_TOLERANCE  # the controller's flag
    downscale_stabilization: float = DOWNSCALE_STABILIZATION  # the controller's flag
    recommendations: list[tuple[float, int]] = field(default_factory=list)
    up_events: list[tuple[float, int]] = field(default_factory=list)
    down_events: list[tuple[float, int]] = field(default_factory=list)
    limited: str = ""  # the ScalingLimited reason of the last normalization

    def tolerances(self) -> Tolerances:
        """tolerancesForHpa: the flag, or behavior's per-direction tolerance where the release honours it."""
        if self.behavior is None or not self.release.configurable_tolerance:
            return Tolerances(self.tolerance, self.tolerance)
        down, up = self.behavior.down(self.downscale_stabilization).tolerance, self.behavior.up().tolerance
        return Tolerances(self.tolerance if down is None else down, self.tolerance if up is None else up)

    def sync(self, current: int, now: float, outcomes: Sequence[Outcome]) -> int:
        """reconcileAutoscaler: the replicas the HPA sets on the scale target (current: spec.replicas)."""
        if not self.recommendations:
            self.recommendations.append((now, current))  # recordInitialRecommendation
        if current == 0 and self.min_replicas != 0:
            return 0  # ScalingDisabled: the target was scaled to zero by someone else
        if current > self.max_replicas:
            desired = self.max_replicas
        elif current < self.min_replicas:
            desired = self.min_replicas
        else:
            proposed = combine(outcomes, current)
            if proposed is None:
                return current
            return self.next_replicas(max(0, proposed), current, now)
        self.store_scale_event(current, desired, now)
        return desired

    def next_replicas(self, desired: int, current: int, now: float) -> int:
        """The normalization after the metrics (stabilization, rate limits, min/max), recording the scale event."""
        if self.behavior is None:
            replicas = self._normalize(desired, current, now)
        else:
            replicas = self._normalize_with_behavior(desired, current, now)
        if replicas != current:
            self.store_scale_event(current, replicas, now)
        return replicas

    def _normalize(self, desired: int, current: int, now: float) -> int:
        """stabilizeRecommendation (a recommendation as old as the window still counts: !Before(cutoff)),
        then convertDesiredReplicasWithRules."""
        cutoff = now - self.downscale_stabilization
        self.recommendations = [(at, r) for at, r in self.recommendations if at >= cutoff]
        stabilized = max([r for _, r in self.recommendations] + [desired])
        self.recommendations.append((now, desired))
        scale_up_limit = int(max(SCALE_UP_LIMIT_FACTOR * current, SCALE_UP_LIMIT_MINIMUM))
        if self.max_replicas > scale_up_limit:
            maximum, reason = scale_up_limit, "ScaleUpLimit"
        else:
            maximum, reason = self.max_replicas, "TooManyReplicas"
        if stabilized < self.min_replicas:
            self.limited = "TooFewReplicas"
            return self.min_replicas
        if stabilized > maximum:
            self.limited = reason
            return maximum
        self.limited = "DesiredWithinRange"
        return stabilized

    def _normalize_with_behavior(self, desired: int, current: int, now: float) -> int:
        up, down = self.behavior.up(), self.behavior.down(self.downscale_stabilization)
        # stabilizeRecommendationWithBehaviors: only recommendations After(now - window) count.
        up_cutoff, down_cutoff = now - up.window, now - down.window
        up_bound = min([r for at, r in self.recommendations if at > up_cutoff] + [desired])
        down_bound = max([r for at, r in self.recommendations if at > down_cutoff] + [desired])
        oldest = min(up_cutoff, down_cutoff)
        self.recommendations = [(at, r) for at, r in self.recommendations if at > oldest] + [(now, desired)]
        stabilized = min(max(current, up_bound), down_bound)
        # convertDesiredReplicasWithBehaviorRate
        self.limited = "DesiredWithinRange"
        if stabilized > current:
            limit = max(current, self._rate_limit(current, up, now, growing=True))
            maximum, reason = ((limit, "ScaleUpLimit") if self.max_replicas > limit
                               else (self.max_replicas, "TooManyReplicas"))
            if stabilized > maximum:
                self.limited = reason
                return maximum
        elif stabilized < current:
            limit = min(current, self._rate_limit(current, down, now, growing=False))
            minimum, reason = ((limit, "ScaleDownLimit") if self.min_replicas < limit
                               else (self.min_replicas, "TooFewReplicas"))
            if stabilized < minimum:
                self.limited = reason
                return minimum
        return stabilized

    def _period_start(self, current: int, policy: Policy, now: float) -> int:
        return (current - replicas_change_per_period(self.up_events, policy.period, now)
                + replicas_change_per_period(self.down_events, policy.period, now))

    def _rate_limit(self, current: int, rules: ScalingRules, now: float, growing: bool) -> int:
        """calculateScaleUpLimitWithScalingRules / calculateScaleDownLimitWithBehaviors: each policy's bound
        from the count at the start of its period; Max takes the bound allowing the largest change, Min the
        smallest. A Percent bound rounds up when growing and truncates toward zero when shrinking."""
        if rules.select == "Disabled":
            return current
        pick = max if (rules.select == "Max") == growing else min
        result = MIN_INT32 if pick is max else MAX_INT32
        for policy in rules.policies:
            start = self._period_start(current, policy, now)
            if policy.kind == "Pods":
                proposed = start + policy.value if growing else start - policy.value
            elif growing:
                proposed = to_int32(math.ceil(start * (1 + policy.value / 100)), False)
            else:
                proposed = to_int32(start * (1 - policy.value / 100), False)
            result = pick(result, proposed)
        return result

    def store_scale_event(self, current: int, replicas: int, now: float) -> None:
        """storeScaleEvent: kept only with spec.behavior, and only as long as its longest policy period."""
        if self.behavior is None:
            return
        rules = self.behavior.up() if replicas > current else self.behavior.down(self.downscale_stabilization)
        events = self.up_events if replicas > current else self.down_events
        longest = max((policy.period for policy in rules.policies), default=0)
        events[:] = [(at, change) for at, change in events if at > now - longest]
        events.append((now, abs(replicas - current)))
