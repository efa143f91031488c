"""The metric pipelines: metrics-server's CPU samples for php-apache, Prometheus scrapes of podinfo's
request counter and the `rate(...[2m])` that prometheus-adapter and KEDA query."""

from __future__ import annotations

from planner import assumptions as A
from planner.cluster import WorkloadState
from planner.scenario import Scenario

PROBE_RATE = 0.2  # readiness and liveness probes every 10 s each hit podinfo's http port


class MetricsPipeline:
    def __init__(self, scenario: Scenario, step: float) -> None:
        self.scenario, self.step = scenario, step
        self.cpu_samples: dict[str, tuple[float, float]] = {}  # metrics-server: (time, cores per ready pod)
        self.scrapes: dict[str, list[tuple[float, float, float]]] = {}  # (time, per-pod rate, total rate)

    def prometheus_up(self, now: float) -> bool:
        return self.scenario.prometheus_up(now)

    def cpu_sample(self, name: str) -> tuple[float, float]:
        return self.cpu_samples.get(name, (0.0, 0.0))

    def observe(self, state: WorkloadState, now: float) -> None:
        ready = state.ready_count
        name = state.spec.name
        if name == "php-apache" and now % A.METRICS_SERVER_RESOLUTION < self.step:
            demand = state.load * A.PHP_APACHE_CPU_PER_REQUEST
            per_pod = demand / ready if ready else 0.0
            if state.spec.cpu_limit:
                per_pod = min(per_pod, state.spec.cpu_limit)
            self.cpu_samples[name] = (now, per_pod)
        if name in ("podinfo", "podinfo-keda") and now % A.PROMETHEUS_SCRAPE_INTERVAL < self.step \
                and self.prometheus_up(now):
            # A pod serves at most a core's worth of requests (podinfo has no CPU limit).
            served = min(state.load / ready, 1 / A.PODINFO_CPU_PER_REQUEST) if ready else 0.0
            per_pod = served + PROBE_RATE
            scrapes = self.scrapes.get(name, [])
            scrapes.append((now, per_pod, state.load + PROBE_RATE * len(state.pods)))
            self.scrapes[name] = [s for s in scrapes if now - s[0] <= A.RATE_WINDOW]

    def window(self, name: str, now: float) -> tuple[float, float] | None:
        """rate(...[2m]) per pod and summed, from the scrapes in the window (two samples needed)."""
        samples = [s for s in self.scrapes.get(name, []) if now - s[0] <= A.RATE_WINDOW]
        if len(samples) < 2:
            return None
        return (sum(s[1] for s in samples[1:]) / (len(samples) - 1),
                sum(s[2] for s in samples[1:]) / (len(samples) - 1))
