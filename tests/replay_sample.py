"""A replay result built by hand (no Prometheus): what the replay page's tests render."""

from __future__ import annotations

from planner.prometheus.replay import Gap, Replay


def sample_replay() -> Replay:
    times = [float(t) for t in range(0, 601, 30)]
    observed = {"podinfo:replicas": [2 + min(6, t // 60) for t in times], "pending": [0.0] * len(times)}
    planned = {"podinfo:replicas": [2 + min(6, max(0, t - 30) // 60) for t in times],
               "pending": [3.0 if 60 <= t <= 120 else 0.0 for t in times]}
    gaps = [Gap("pending", 0.0, 0.43, 0.43, 3.0, 60.0), Gap("podinfo:replicas", 6.14, 5.71, 0.43, -1.0, 60.0)]
    return Replay(times, observed, planned, gaps, ["no observed load for tester: planned at zero"])
