"""The HorizontalPodAutoscalers: each sync builds the pods as the HPA sees them from the metric
pipelines (or KEDA), asks planner/scalers/hpa.py for the metric's recommendation and planner/scalers/hpa_scaling.py for
the replicas the HPA sets."""

from __future__ import annotations

from planner.engine import assumptions as A
from planner.engine.cluster import Cluster
from planner.engine.nodes import WorkloadState, next_multiple
from planner.scalers.hpa import (DEFAULT_RELEASE, Metric, MetricError, Outcome, PodSample, Recommendation, Release,
                                 recommend)
from planner.scalers.hpa_scaling import HorizontalPodAutoscaler
from planner.scalers.keda import Keda
from planner.scalers.metrics_pipeline import MetricsPipeline

# The metric source each kind of autoscaling puts in its HPA.
SOURCES = {"cpu": "Resource", "pods": "Pods", "keda": "External"}


class PodAutoscaling:
    def __init__(self, cluster: Cluster, metrics: MetricsPipeline, keda: Keda, step: float,
                 release: Release = DEFAULT_RELEASE) -> None:
        self.cluster, self.metrics, self.keda, self.step, self.release = cluster, metrics, keda, step, release
        self.hpas: dict[str, HorizontalPodAutoscaler] = {}

    def start(self, state: WorkloadState) -> int:
        """The replicas the workload starts with (its minimum, at least 1)."""
        scaling = state.spec.autoscaling
        low = max(1, scaling.min_replicas)
        self.hpas[state.spec.name] = HorizontalPodAutoscaler(low, scaling.max_replicas, scaling.behavior, self.release)
        return low

    def next_event(self, now: float) -> float:
        """The next HPA sync or KEDA poll."""
        polls = [state.spec.autoscaling.polling_interval for state in self.cluster.states.values()
                 if state.spec.autoscaling and state.spec.autoscaling.kind == "keda" and not self.keda.idle(state)]
        return min(next_multiple(now, period) for period in (A.HPA_SYNC_PERIOD, *polls))

    def reconcile(self, state: WorkloadState, now: float) -> None:
        scaling = state.spec.autoscaling
        if scaling.kind == "keda":
            self.keda.poll(state, now)
        if now % A.HPA_SYNC_PERIOD >= self.step:
            return
        hpa, current = self.hpas[state.spec.name], state.desired
        if current == 0 and hpa.min_replicas != 0:
            # ScalingDisabled before any metric is read (kubernetes pkg/controller/podautoscaler/horizontal.go
            # reconcileAutoscaler): at zero only KEDA's polls read the trigger, and count its failures.
            hpa.sync(current, now, [])
            state.reported = None
            return
        outcome = self._outcome(state, hpa, now)
        # What the HPA read; None while it cannot read its metric, so the plot shows the metric absent.
        state.reported = outcome.current if isinstance(outcome, Recommendation) else None
        desired = hpa.sync(current, now, [outcome])
        if desired != current or not isinstance(outcome, Recommendation) or outcome.replicas != current:
            # Only syncs that change something or hold a recommendation back: the rest repeat themselves.
            self.cluster.note("HPA", {state.spec.name}, lambda: _sync_text(state, hpa, outcome, current, desired))
        if desired != current:
            self.cluster.scale_to(state, desired)

    def _outcome(self, state: WorkloadState, hpa: HorizontalPodAutoscaler, now: float) -> Outcome:
        scaling = state.spec.autoscaling
        metric = Metric(SOURCES[scaling.kind], scaling.target_type, scaling.target)
        common = {"spec_replicas": state.desired, "now": now, "tolerances": hpa.tolerances(), "release": self.release}
        if scaling.kind == "keda":
            # KEDA's metrics server answers for its External metric (None: an error the HPA sees).
            return recommend(metric, self._samples(state, now), status_replicas=len(state.pods),
                             level=self.keda.external_metric(state, now), **common)
        if scaling.kind == "pods" and not self.metrics.prometheus_up(now):
            return MetricError("FailedGetPodsMetric", "the custom metrics API cannot reach Prometheus")
        return recommend(metric, self._samples(state, now), **common)

    def _samples(self, state: WorkloadState, now: float) -> list[PodSample]:
        spec = state.spec
        rates = self.metrics.pod_rates(state, now) if spec.autoscaling.kind == "pods" else {}
        samples = []
        request = spec.cpu_request or None  # the model reads an absent request as 0
        for pod in state.pods:
            if pod.node is None:
                samples.append(PodSample(None, request, "Pending", ready=None, started=None))
                continue
            ready = pod.ready(now)
            # The Ready condition turns True at ready_at; until then it is False since the pod started.
            changed = pod.ready_at if ready else pod.started
            if spec.autoscaling.kind == "cpu":
                usage = self.metrics.metrics_server.pod_usage(spec.name, pod)
                samples.append(PodSample(usage and usage[1], request, ready=ready, ready_changed=changed,
                                         started=pod.started, sampled=usage[0] if usage else now,
                                         window=A.METRICS_SERVER_RESOLUTION))
            else:
                samples.append(PodSample(rates.get(pod), ready=ready, ready_changed=changed, started=pod.started,
                                         sampled=now))
        return samples


def _sync_text(state: WorkloadState, hpa: HorizontalPodAutoscaler, outcome: Outcome, current: int, desired: int) -> str:
    """One HPA sync for the decision log: the metric against its target, the recommendation, the
    tolerances and behaviour that turned it into the replicas set."""
    scaling = state.spec.autoscaling
    if isinstance(outcome, MetricError):
        return f"{outcome.reason} ({outcome.message}): keeps {current} replicas"
    tolerances = hpa.tolerances()
    seen = "none" if outcome.current is None else f"{outcome.current:g}"
    rules = "spec.behavior" if scaling.behavior is not None else "no behavior (defaults: 300 s down window)"
    return (f"{SOURCES[scaling.kind]} metric {seen} against {scaling.target_type} {scaling.target:g}; "
            f"recommends {outcome.replicas}; tolerance down {tolerances.scale_down:g}, up {tolerances.scale_up:g}; {rules}; "
            f"{current} -> {desired} replicas")
