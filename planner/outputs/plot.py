"""The plan's picture: one panel per question, runs overlaid. Each workload keeps its colour in every run
and each run its line style; counts sit on integer axes; legends stand right of the data; periods with
Prometheus unreachable and with KEDA on its fallback are shaded, each in its own half of the panel so
neither covers the other. Every line on a panel is thinner than the ones drawn before it, so a line that
coincides with an earlier one shows inside it rather than hiding it."""

from __future__ import annotations

import math
from pathlib import Path

from planner.engine.scenario import RATE_WORKLOADS, WORKLOADS, Scenario
from planner.engine.workloads import HEADROOM, Workload
from planner.simulation import Result

STYLES = ("-", "--", ":", "-.")
COLOURS = {**dict(zip(WORKLOADS, ("tab:blue", "tab:orange", "tab:green", "tab:purple", "tab:brown"))),
           HEADROOM: "tab:olive"}  # the placeholders: Ready drops when they are preempted
GROUP_COLOURS = {"system": "tab:gray", "karpenter": "tab:red", "ca": "tab:cyan"}
GROUP_NAMES = {"system": "system group", "karpenter": "Karpenter", "ca": "ca-workers group"}
TARGET_UNITS = {"cpu": "% CPU", "pods": "requests/s per pod", "keda": "requests/s per pod"}
HOURS_FROM = 3 * 3600  # runs longer than this read in hours, shorter in minutes
# Widths of a panel's first, second, third ... line of one style (one run): a line on another shows its
# edges around it. Lines of another style (another run) show through each other's gaps.
WIDTHS = (3.6, 2.2, 1.0)
OUTAGE_BAND, FALLBACK_BAND = (0.5, 1.0), (0.0, 0.5)  # the shaded spans' vertical extents (axes fraction)


def _line(axis, x, y, style: str, **options) -> None:
    """A line clearly thinner than every line of its style already on the panel."""
    drawn = axis.plot(x, y, style, **options)[0]
    same_style = sum(line.get_linestyle() == drawn.get_linestyle() for line in axis.lines) - 1
    drawn.set_linewidth(WIDTHS[min(same_style, len(WIDTHS) - 1)])


def plot(results: list[Result], path: Path, *, scenario: Scenario, workloads: list[Workload],
         subtitle: str = "") -> Path:
    """The PNG of draw()."""
    import matplotlib.pyplot as plt

    figure = draw(results, scenario=scenario, workloads=workloads, subtitle=subtitle)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=90)
    plt.close(figure)
    return path


def draw(results: list[Result], *, scenario: Scenario, workloads: list[Workload], subtitle: str = ""):
    """The runs of a plan overlaid; `workloads`: every workload of any run (headroom only in the runs
    that set it)."""
    import matplotlib

    matplotlib.use("Agg")  # no screen: files only
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch
    from matplotlib.ticker import MaxNLocator

    names = [spec.name for spec in workloads]
    scaled = [spec for spec in workloads if spec.autoscaling]
    demos = [spec.name for spec in workloads if not spec.autoscaling  # node demos the scenario scales
             and any(any(result.series.get(f"{spec.name}:replicas", ())) for result in results)]
    panels = [("load", "requests/s")] if any(name in RATE_WORKLOADS for name in names) else []
    if scaled:
        panels += [("replicas", "replicas (HPA, KEDA)"), ("metric", "HPA metric, % of target")]
    # One panel per node demo (and headroom's placeholders): tester's 150 would flatten inflate's 5.
    panels += [(f"demo:{name}", f"{name}: pods") for name in demos]
    panels += [("pending", "pending pods"), ("groups", "nodes by group"), ("types", "autoscaled nodes by type"),
               ("cost", "cost so far, USD"), ("node_hours", "node-hours so far")]
    figure, axes = plt.subplots(len(panels), 1, figsize=(13, 2.2 * len(panels) + 1.0), sharex=True)
    axis_of = {key: axis for (key, _), axis in zip(panels, axes)}
    long = scenario.duration > HOURS_FROM
    unit, per = ("hours", 3600.0) if long else ("minutes", 60.0)
    types = sorted({k.removeprefix("nodes:autoscaled:") for r in results for k in r.series
                    if k.startswith("nodes:autoscaled:")})

    for index, result in enumerate(results):
        series, style = result.series, STYLES[index % len(STYLES)]
        x = [t / per for t in series["time"]]
        for name in names:
            if name in RATE_WORKLOADS:
                _line(axis_of["load"], x, series[f"{name}:load"], style, color=COLOURS[name], label=name)
        for spec in scaled:
            name, target = spec.name, spec.autoscaling.target
            _line(axis_of["replicas"], x, series[f"{name}:replicas"], style, color=COLOURS[name], label=name)
            ratio = [math.nan if math.isnan(v) else 100 * v / target for v in series[f"{name}:metric"]]
            _line(axis_of["metric"], x, ratio, style, color=COLOURS[name],
                                   label=f"{name} (target {target:g} {TARGET_UNITS[spec.autoscaling.kind]})")
        for name in (name for name in demos if f"{name}:replicas" in series):  # headroom: only where it is set
            axis = axis_of[f"demo:{name}"]
            _line(axis, x, series[f"{name}:replicas"], style, color=COLOURS[name], alpha=0.35, label="asked")
            _line(axis, x, series[f"{name}:ready"], style, color=COLOURS[name], label="Ready")
        _line(axis_of["pending"], x, series["pending"], style, color="black", label="all workloads")
        for group, colour in GROUP_COLOURS.items():
            values = series.get(f"nodes:{group}", [])
            if any(values):
                _line(axis_of["groups"], x, values, style, color=colour, label=GROUP_NAMES[group])
        for kind in types:
            values = series.get(f"nodes:autoscaled:{kind}", [0] * len(x))
            _line(axis_of["types"], x, values, style, color=f"C{types.index(kind)}", label=kind)
        _line(axis_of["cost"], x, series["cost_usd"], style, color="black", label="every node")
        _line(axis_of["node_hours"], x, series["node_hours"], style, color="black", label="every node")
        if index == 0:
            _shade(axes, scenario, series, x, per)

    if "metric" in axis_of:
        axis_of["metric"].axhline(100, color="black", linewidth=0.8, alpha=0.6)
    for (key, label), axis in zip(panels, axes):
        axis.set_ylabel(label)
        axis.grid(alpha=0.3)
        counts = key not in ("metric", "load", "cost", "node_hours")
        axis.set_ylim(0, max(1.0 if counts else 0.0, axis.get_ylim()[1]))  # a flat zero count still gets 0 to 1
        if counts:
            axis.yaxis.set_major_locator(MaxNLocator(integer=True))
        handles, labels = axis.get_legend_handles_labels()
        # One entry per workload, group or type, drawn solid: the colour says which, the runs legend the style.
        unique = {label: Line2D([], [], color=handle.get_color(), alpha=handle.get_alpha())
                  for handle, label in zip(handles, labels)}
        axis.legend(unique.values(), unique.keys(), fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0),
                    borderaxespad=0)
    axes[-1].set_xlabel(unit)
    axes[-1].xaxis.set_major_locator(MaxNLocator(integer=True, steps=[1, 2, 3, 6, 10] if long else [1, 2, 5, 10]))

    runs = [Line2D([], [], color="black", linestyle=STYLES[i % len(STYLES)], label=result.label)
            for i, result in enumerate(results)]
    shading = [Patch(color="tab:red", alpha=0.12, label="Prometheus unreachable")] if scenario.prometheus_outages else []
    if any(any(r.series.get(f"{name}:fallback", [])) for r in results for name in names):
        shading.append(Patch(color="tab:orange", alpha=0.25, label="KEDA fallback"))
    figure.legend(handles=runs + shading, loc="upper right", fontsize=9, title="runs", title_fontsize=9,
                  bbox_to_anchor=(0.995, 0.995))
    figure.suptitle(_title(results, scenario, subtitle), x=0.02, ha="left", fontsize=11)
    figure.tight_layout(rect=(0, 0, 1, 1 - 0.6 / figure.get_figheight()))
    return figure


def _title(results: list[Result], scenario: Scenario, subtitle: str) -> str:
    from planner.outputs.table import duration_text

    styles = {"-": "solid", "--": "dashed", ":": "dotted", "-.": "dash-dot"}
    runs = "; ".join(f"{styles[STYLES[i % len(STYLES)]]}: {_changed(result.label)}" for i, result in enumerate(results))
    return f"scenario {scenario.name}, {duration_text(scenario.duration)}\n{runs}" + (f"\n{subtitle}" if subtitle else "")


def _changed(label: str) -> str:
    """What a run changed: the settings run with no -c is cdk.json as it is."""
    return "cdk.json's settings" if label == "settings" else label.replace("settings ", "cdk.json with ", 1)


def _shade(axes, scenario: Scenario, series: dict, x: list[float], per: float) -> None:
    """Prometheus outages (from the scenario, upper half) and KEDA fallback (from the first run, lower half)
    on every panel."""
    spans = [(start / per, end / per, "tab:red", 0.12, OUTAGE_BAND) for start, end in scenario.prometheus_outages]
    for key in (k for k in series if k.endswith(":fallback")):
        start = None
        for at, on in zip(x + [x[-1]], series[key] + [0]):
            if on and start is None:
                start = at
            elif not on and start is not None:
                spans.append((start, at, "tab:orange", 0.25, FALLBACK_BAND))
                start = None
    for axis in axes:
        for start, end, colour, alpha, (low, high) in spans:
            axis.axvspan(start, end, ymin=low, ymax=high, color=colour, alpha=alpha, linewidth=0)
