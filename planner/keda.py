"""KEDA's ScaledObject: its operator polls the trigger (activation, scale to and from zero, failure count)
and serves the External metric, or the fallback value, to the HPA it creates."""

from __future__ import annotations

from planner.cluster import Cluster, WorkloadState
from planner.metrics_pipeline import MetricsPipeline


class Keda:
    def __init__(self, cluster: Cluster, metrics: MetricsPipeline, step: float) -> None:
        self.cluster, self.metrics, self.step = cluster, metrics, step
        self.failures: dict[str, int] = {}
        self.last_active: dict[str, float] = {}

    def poll(self, state: WorkloadState, now: float) -> None:
        scaling, name = state.spec.autoscaling, state.spec.name
        if now % scaling.polling_interval >= self.step:
            return
        if not self.metrics.prometheus_up(now):
            self.failures[name] = self.failures.get(name, 0) + 1
            return
        self.failures[name] = 0
        if self.metrics.total_rate(state, now) > scaling.activation:
            self.last_active[name] = now
            if state.desired == 0:
                self.cluster.scale_to(state, 1)
        elif scaling.min_replicas == 0 and state.desired > 0 \
                and now - self.last_active.get(name, 0.0) >= scaling.cooldown:
            self.cluster.scale_to(state, 0)

    def in_fallback(self, state: WorkloadState, now: float) -> bool:
        """KEDA serves its fallback: the trigger's source unreachable for failureThreshold polls."""
        scaling = state.spec.autoscaling
        return not self.metrics.prometheus_up(now) and self.failures.get(state.spec.name, 0) >= scaling.fallback_threshold

    def external_metric(self, state: WorkloadState, now: float) -> float | None:
        """The total the HPA reads through KEDA's metrics server; None: no value (the HPA keeps its count)."""
        scaling = state.spec.autoscaling
        if self.in_fallback(state, now):
            return scaling.fallback_replicas * scaling.target  # KEDA's fallback value
        if not self.metrics.prometheus_up(now):
            return None
        return self.metrics.total_rate(state, now)
