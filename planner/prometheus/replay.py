"""python -m planner --replay URL --from T1 --to T2: the plan for what the cluster really served, against
what the cluster really did.

The observed load of the window (podinfo's request rates from its http_requests_total; php-apache's
from its CPU use, at planner/engine/assumptions.py's cost per request, since hpa-example exports no request
counter; the inflate and tester replicas their Deployments asked for) becomes a load profile; the
planner simulates it with the current settings (and a calibration file's latencies, if given), from the
settings' minimums at T1. Each workload's replicas and Ready replicas, the demo pods Pending, and the
nodes per autoscaler, planned and observed, are compared step by step; the largest gaps come first.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from eks_scaling.settings import AppConfig
from planner.engine import assumptions as A
from planner.engine.scenario import RATE_WORKLOADS, Scenario
from planner.engine.workloads import workloads as planned_workloads
from planner.outputs.html_report import Page
from planner.outputs.table import count_text, duration_text
from planner.prometheus.api import Prometheus, PrometheusError
from planner.prometheus.calibrate import SCRAPE_SECONDS, pod_pattern, require
from planner.simulation import Simulation

# The load as it came: rate() over two steps, not the adapter's 2-minute window, which the planner's
# metric pipeline applies itself (smoothing twice would delay the plan).
_REQUESTS = 'sum(rate(http_requests_total{{pod=~"{pattern}"}}[{window}s]))'
_CPU = 'sum(rate(container_cpu_usage_seconds_total{{container="php-apache",pod=~"{pattern}"}}[{window}s])) / {cost}'
_DESIRED = 'sum(kube_deployment_spec_replicas{{deployment="{name}"}})'


def load_query(workload: str, step: float) -> str:
    pattern, window = pod_pattern(workload), int(2 * step)
    if workload == "php-apache":
        return _CPU.format(pattern=pattern, window=window, cost=A.PHP_APACHE_CPU_PER_REQUEST)
    if workload in RATE_WORKLOADS:
        return _REQUESTS.format(pattern=pattern, window=window)
    return _DESIRED.format(name=workload)


def outcome_queries(workloads: list[str], config: AppConfig) -> dict[str, str]:
    """Planner series name -> the PromQL that observes it (kube-state-metrics and the node autoscalers)."""
    queries = {}
    for name in workloads:
        queries[f"{name}:replicas"] = _DESIRED.format(name=name)
        queries[f"{name}:ready"] = f'sum(kube_deployment_status_replicas_ready{{deployment="{name}"}})'
    demo_pods = "|".join(pod_pattern(name) for name in workloads)
    queries["pending"] = f'sum(kube_pod_status_phase{{phase="Pending",pod=~"{demo_pods}"}}) or vector(0)'
    if config.enable_karpenter:
        queries["nodes:karpenter"] = 'count(karpenter_nodes_allocatable{resource_type="cpu"}) or vector(0)'
    if config.enable_cluster_autoscaler:
        queries["nodes:ca"] = "sum(cluster_autoscaler_node_group_target_count) or vector(0)"
    queries["nodes"] = "count(kube_node_info)"
    return queries


@dataclass(frozen=True)
class Gap:
    series: str
    observed_mean: float
    planned_mean: float
    mean_gap: float
    max_gap: float
    max_gap_at: float  # seconds after T1


@dataclass
class Replay:
    times: list[float]  # seconds after T1
    observed: dict[str, list[float]]
    planned: dict[str, list[float]]
    gaps: list[Gap]  # largest first
    notes: list[str]


def _values(prometheus: Prometheus, query: str, start: float, end: float, step: float) -> dict[float, float]:
    found = prometheus.range(query, start, end, step)
    return {round(t - start, 3): value for _, points in found for t, value in points}


def _held(values: Mapping[float, float], times: list[float]) -> list[float]:
    """The series at each time, holding the last value through gaps (zero before the first)."""
    held, last = [], 0.0
    for time in times:
        last = values.get(time, last)
        held.append(last)
    return held


def replay(prometheus: Prometheus, config: AppConfig, start: float, end: float, *,
           latencies: Mapping[str, float] | None = None, seed: int = 1) -> Replay:
    if end <= start:
        raise PrometheusError("--to must be after --from")
    # At most ~2,000 points, never finer than the scrape interval.
    step = max(SCRAPE_SECONDS, round((end - start) / 2000 / SCRAPE_SECONDS) * SCRAPE_SECONDS)
    times = [index * step for index in range(int((end - start) // step) + 1)]
    workloads = [spec.name for spec in planned_workloads(config)]
    require(prometheus, "kube_deployment_spec_replicas", "kube-state-metrics", "enablePrometheus=true")
    if config.enable_karpenter:
        require(prometheus, "karpenter_nodes_allocatable", "Karpenter", f"nodeAutoscaler={config.node_autoscaler}")
    if config.enable_cluster_autoscaler:
        require(prometheus, "cluster_autoscaler_node_group_target_count", "Cluster Autoscaler",
                 f"nodeAutoscaler={config.node_autoscaler}")
    notes, steps = [], {}
    for name in workloads:
        values = _values(prometheus, load_query(name, step), start, end, step)
        if not values:
            notes.append(f"no observed load for {name}: planned at zero")
        steps[name] = [(time, value) for time, value in zip(times, _held(values, times))]
    observed = {key: _values(prometheus, query, start, end, step)
                for key, query in outcome_queries(workloads, config).items()}
    if len(notes) == len(workloads) and not any(observed[f"{name}:replicas"] for name in workloads):
        raise PrometheusError(f"Prometheus at {prometheus.url} has no load or scaling data between --from and --to")
    scenario = Scenario(f"replay of {duration_text(end - start)}", end - start, steps)
    result = Simulation(config, scenario, seed=seed, step=1.0, record_every=step, label="plan",
                        latencies=latencies).run()
    planned_at = dict(zip((round(t, 3) for t in result.series["time"]), range(len(result.series["time"]))))
    gaps, observed_held, planned_held = [], {}, {}
    for key, values in observed.items():
        if not values or key not in result.series:
            continue
        observed_held[key] = _held(values, times)
        planned_held[key] = [result.series[key][planned_at[t]] if t in planned_at else float("nan") for t in times]
        pairs = [(t, p - o) for t, o, p in zip(times, observed_held[key], planned_held[key]) if p == p]
        at, worst = max(pairs, key=lambda pair: abs(pair[1]))
        gaps.append(Gap(key, _mean(observed_held[key]), _mean(planned_held[key]),
                        _mean([abs(gap) for _, gap in pairs]), worst, at))
    gaps.sort(key=lambda gap: (abs(gap.max_gap), gap.mean_gap), reverse=True)
    return Replay(times, observed_held, planned_held, gaps, notes)


def _mean(values: list[float]) -> float:
    values = [value for value in values if value == value]
    return sum(values) / len(values) if values else float("nan")


def table(result: Replay) -> str:
    rows = [("series", "observed (mean)", "planned (mean)", "mean |gap|", "largest gap", "at")]
    for gap in result.gaps:
        rows.append((gap.series, count_text(round(gap.observed_mean, 2)), count_text(round(gap.planned_mean, 2)),
                     count_text(round(gap.mean_gap, 2)), f"{gap.max_gap:+g}", duration_text(gap.max_gap_at)))
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    return "\n".join("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in rows)


def page(result: Replay, heading: str, png: Path | None) -> Page:
    """The replay's part of the HTML report: the divergence table with its notes, then the plot (if drawn)."""
    report = Page(f"Replay: {heading}")
    report.text("Where plan and cluster diverge, largest gap first", "\n".join([table(result), *result.notes]))
    if png is not None:
        report.plot("Observed (solid) against planned (dashed), largest gap first", png)
    return report


def write_csv(result: Replay, path: Path) -> Path:
    keys = [gap.series for gap in result.gaps]
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["time_s", *(f"{key} {side}" for key in keys for side in ("observed", "planned"))])
        for index, time in enumerate(result.times):
            writer.writerow([time, *(f"{values[key][index]:g}" for key in keys
                                     for values in (result.observed, result.planned))])
    return path


def plot(result: Replay, path: Path, *, title: str) -> Path:
    """One panel per compared series, largest gap first: observed solid, planned dashed, the gap shaded."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    shown = result.gaps[:8]
    figure, axes = plt.subplots(len(shown), 1, figsize=(10, 2.1 * len(shown) + 1), sharex=True, squeeze=False)
    hours = result.times[-1] > 3 * 3600
    x = [t / (3600 if hours else 60) for t in result.times]
    for axis, gap in zip(axes[:, 0], shown):
        observed, planned = result.observed[gap.series], result.planned[gap.series]
        axis.plot(x, observed, "-", color="black", label="observed")
        axis.plot(x, planned, "--", color="tab:blue", label="planned")
        axis.fill_between(x, observed, planned, color="tab:red", alpha=0.15, step=None)
        axis.set_ylabel(gap.series, fontsize=8)
        axis.yaxis.set_major_locator(MaxNLocator(integer=True))
        axis.grid(alpha=0.3)
    axes[0, 0].legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    axes[-1, 0].set_xlabel("hours after --from" if hours else "minutes after --from")
    figure.suptitle(title)
    figure.tight_layout()
    figure.savefig(path, dpi=90)
    plt.close(figure)
    return path
