"""KEDA v2.20.2's ScaledObject: the operator polls the trigger every pollingInterval (activation, scale to
and from zero after cooldownPeriod / initialCooldownPeriod), and its metrics server answers the HPA it
owns with the trigger's value, or the fallback value once more than failureThreshold reads have failed.

Upstream: kedacore/keda v2.20.2 pkg/scaling/executor/scale_scaledobjects.go (RequestScale,
scaleFromZeroOrIdle, the cooldown rule), pkg/fallback/fallback.go (GetMetricsWithFallback: every read,
the operator's polls and the HPA's requests alike, resets or counts failures; doFallback: the behaviors
and the Value-target normalisation), pkg/scalers/prometheus_scaler.go (an empty result reads 0), pkg/scaling/scale_handler.go (a trigger on its
fallback is active).
"""

from __future__ import annotations

from planner.engine.cluster import Cluster
from planner.engine.nodes import WorkloadState
from planner.scalers.metrics_pipeline import MetricsPipeline

FALLBACK_BEHAVIORS = ("static", "currentReplicas", "currentReplicasIfHigher", "currentReplicasIfLower")
CREATED = 0.0  # the ScaledObject is created when the plan starts (the deployment): initialCooldownPeriod counts from it


class Keda:
    def __init__(self, cluster: Cluster, metrics: MetricsPipeline, step: float) -> None:
        self.cluster, self.metrics, self.step = cluster, metrics, step
        self.failures: dict[str, int] = {}  # status.health[metric].numberOfFailures
        self.last_active: dict[str, float] = {}  # status.lastActiveTime

    def _read(self, state: WorkloadState, now: float) -> float | None:
        """One read of the trigger (the Prometheus query); None: it failed, and the failure is counted."""
        name = state.spec.name
        if not self.metrics.prometheus_up(now):
            self.failures[name] = self.failures.get(name, 0) + 1
            return None
        self.failures[name] = 0
        return self.metrics.total_rate(state, now)

    def poll(self, state: WorkloadState, now: float) -> None:
        """The operator's scale loop: activation, scaling from and to zero, minReplicaCount."""
        scaling, name = state.spec.autoscaling, state.spec.name
        if now % scaling.polling_interval >= self.step:
            return
        if self.idle(state) and self.metrics.prometheus_up(now):
            self.failures[name] = 0  # the read succeeds; its value is what the HPA asks for on its own reads
            return
        value = self._read(state, now)
        if value is None and self.failures[name] <= scaling.fallback_threshold:
            return  # an error and no fallback yet: neither active nor idle
        # A read on its fallback counts as active (pkg/scaling/scale_handler.go lines 1002-1003 and 1023,
        # isActiveOrFallback; pkg/fallback/fallback.go lines 145-170): from zero, KEDA scales up and the
        # HPA then runs the fallback's replicas.
        if value is None or value > scaling.activation:
            self.last_active[name] = now
            if state.desired == 0:
                self.cluster.scale_to(state, max(scaling.min_replicas, 1))
            return
        if scaling.min_replicas == 0 and state.desired > 0:
            since = self.last_active.get(name)
            if (since is None and now > CREATED + scaling.initial_cooldown) or \
                    (since is not None and now > since + scaling.cooldown):
                self.cluster.scale_to(state, 0)
        elif state.desired < scaling.min_replicas:
            self.cluster.scale_to(state, scaling.min_replicas)

    def idle(self, state: WorkloadState) -> bool:
        """A poll cannot change the replicas (no scaling from or to zero, nothing under the minimum) and,
        with Prometheus never down in the plan, cannot fail: the loop need not stop for it."""
        scaling = state.spec.autoscaling
        return scaling.min_replicas >= 1 and state.desired >= scaling.min_replicas \
            and not self.metrics.scenario.prometheus_outages

    def in_fallback(self, state: WorkloadState, now: float) -> bool:
        """KEDA serves its fallback: more than failureThreshold reads have failed in a row."""
        return not self.metrics.prometheus_up(now) and \
            self.failures.get(state.spec.name, 0) > state.spec.autoscaling.fallback_threshold

    def external_metric(self, state: WorkloadState, now: float) -> float | None:
        """What KEDA's metrics server answers the HPA; None: an error (the HPA keeps its count)."""
        value = self._read(state, now)
        if value is not None:
            return value
        if self.failures[state.spec.name] > state.spec.autoscaling.fallback_threshold:
            return self._fallback(state)
        return None

    def _fallback(self, state: WorkloadState) -> float | None:
        """doFallback: the replicas the behavior asks for, as a metric value the HPA turns back into them."""
        scaling = state.spec.autoscaling
        fallback, current = scaling.fallback_replicas, state.desired  # current: the target's spec.replicas
        replicas = {"currentReplicas": current,
                    "currentReplicasIfHigher": max(current, fallback),
                    "currentReplicasIfLower": min(current, fallback)}.get(scaling.fallback_behavior, fallback)
        if scaling.target_type == "Value":
            if not state.ready_count:
                return None  # "readyReplicas is zero, cannot do fallback"
            replicas /= state.ready_count
        return replicas * scaling.target
