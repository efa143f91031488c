"""The HorizontalPodAutoscalers: each sync builds the pods as the HPA sees them from the metric
pipelines (or KEDA), asks planner/hpa.py for a recommendation and applies the scaling behavior."""

from __future__ import annotations

from planner.cluster import Cluster, WorkloadState
from planner.hpa import SYNC_PERIOD, Behavior, PodSample, replicas_for_external, replicas_for_pods
from planner.keda import Keda
from planner.metrics_pipeline import MetricsPipeline


class PodAutoscaling:
    def __init__(self, cluster: Cluster, metrics: MetricsPipeline, keda: Keda, step: float) -> None:
        self.cluster, self.metrics, self.keda, self.step = cluster, metrics, keda, step
        self.behaviors: dict[str, Behavior] = {}

    def start(self, state: WorkloadState) -> int:
        """The replicas the workload starts with (its minimum, at least 1)."""
        scaling = state.spec.autoscaling
        low = max(1, scaling.min_replicas)
        self.behaviors[state.spec.name] = Behavior(low, scaling.max_replicas)
        return low

    def reconcile(self, state: WorkloadState, now: float) -> None:
        scaling = state.spec.autoscaling
        if scaling.kind == "keda":
            self.keda.poll(state, now)
        if now % SYNC_PERIOD >= self.step:
            return
        current = state.desired
        if scaling.kind == "keda":
            if current == 0:
                return  # KEDA has scaled to zero and paused its HPA
            total = self.keda.external_metric(state, now)
            if total is None:
                return
            recommendation = replicas_for_external(total, target_average=scaling.target, current_replicas=current)
        else:
            if scaling.kind == "pods" and not self.metrics.prometheus_up(now):
                return  # the custom metrics API cannot answer: the HPA keeps its count
            recommendation = replicas_for_pods(self._samples(state, now), target=scaling.target,
                                               current_replicas=current, now=now, resource=scaling.kind == "cpu")
        state.reported = recommendation.reported
        desired = self.behaviors[state.spec.name].next_replicas(recommendation.replicas, current, now)
        if desired != current:
            self.cluster.scale_to(state, desired)

    def _samples(self, state: WorkloadState, now: float) -> list[PodSample]:
        spec = state.spec
        sample_time, per_pod_cpu = self.metrics.cpu_sample(spec.name)
        rates = self.metrics.pod_rates(state, now) if spec.autoscaling.kind == "pods" else {}
        samples = []
        for pod in state.pods:
            if pod.node is None:
                samples.append(PodSample(None, spec.cpu_request, False, "Pending", start_time=pod.created,
                                         ready_time=None))
                continue
            ready = pod.ready(now)
            if spec.autoscaling.kind == "cpu":
                seen = pod.started is not None and sample_time > pod.started
                value = (per_pod_cpu if ready else 0.001) if seen else None
                samples.append(PodSample(value, spec.cpu_request, ready, "Running", start_time=pod.started,
                                         ready_time=pod.ready_at if ready else None, sample_time=sample_time))
            else:
                samples.append(PodSample(rates.get(pod), 0.0, ready, "Running", start_time=pod.started,
                                         ready_time=pod.ready_at if ready else None, sample_time=now))
        return samples
