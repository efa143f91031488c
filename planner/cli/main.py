"""python -m planner: simulate the configured scalers under a load profile, before deploying anything.

Reads the app's settings (cdk.json plus -c overrides, through eks_scaling/parse_settings.py) and the manifests the
app deploys, replays a load profile, and writes a summary table, time series (CSV, JSON) and a plot.
"""

from __future__ import annotations

import argparse
import importlib.util
import itertools
import os
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

from eks_scaling import cdk_json
from eks_scaling.parse_settings import parse_config
from eks_scaling.setting_parsers import ConfigError
from eks_scaling.settings import AppConfig
from eks_scaling.typed_text import ascii_int
from planner.cli import comparison
from planner.cli import observe as observe_cli
from planner.cli import sweep
from planner.engine import assumptions as A
from planner.engine import decisions as explain
from planner.engine import inputs
from planner.engine import scenario as S
from planner.engine.inputs import InputError
from planner.outputs.html_report import Page
from planner.outputs.plot import plot
from planner.outputs.progress import Progress
from planner.outputs.report import slug, write_series
from planner.outputs.table import DEFINITIONS, TYPICAL, duration_text, summary_rows, summary_table
from planner.outputs.verdict import verdict_text
from planner.simulation import PlanError, Simulation


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, like every other bad input, instead of usage and message
        raise InputError(f"{message} (see python -m planner --help)")


def _seed(text: str) -> int:
    """A whole number in ASCII digits (int() would take '١' or '1_0')."""
    try:
        return ascii_int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None


@dataclass(frozen=True)
class Run:
    label: str
    config: AppConfig


def _pairs(texts: list[str], flag: str) -> dict[str, str]:
    found = {}
    for pair in texts:
        key, equals, value = pair.partition("=")
        if not equals or not key:
            raise InputError(f"{flag} takes KEY=VALUE, got {pair!r}")
        found[key] = value
    return found


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = _Parser(prog="python -m planner", description=__doc__.split("\n\n")[0])
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--scenario", choices=sorted(S.BUILT_IN), default="chapter",
                        help="a built-in load profile (default: chapter)")
    source.add_argument("--csv", type=Path, metavar="FILE",
                        help="a load profile: time_s, then columns of php-apache, podinfo, podinfo-keda "
                             "(requests/s) and inflate, tester (replicas)")
    parser.add_argument("--cdk-json", type=Path, metavar="FILE",
                        help="the settings file (default: the app's cdk.json)")
    parser.add_argument("-c", "--context", action="append", default=[], metavar="KEY=VALUE",
                        help="override an app setting, as with cdk -c (repeatable)")
    parser.add_argument("--compare", action="append", default=[], metavar="'KEY=VALUE ...'",
                        help="one more run with these settings changed (space-separated), side by side; "
                             "repeat for more runs")
    parser.add_argument("--hours", help=f"simulated time, at most {inputs.MAX_HOURS} (default: the scenario's; diurnal "
                                        "repeats its day)")
    parser.add_argument("--step", default="1", help="seconds per step: divides 5 s (default 1)")
    parser.add_argument("--latency", action="append", default=[], metavar="NAME=DURATION",
                        help="override an assumed latency, e.g. ca-node-ready=90s (repeatable): "
                             + ", ".join(A.LATENCIES))
    parser.add_argument("--latency-range", action="store_true",
                        help="plan every run with the optimistic, typical and pessimistic latencies; mark "
                             "conclusions that change within that range")
    parser.add_argument("--seed", type=_seed, default=1, help="seed of the latency jitter (default 1)")
    parser.add_argument("--prices", type=Path, metavar="FILE",
                        help='JSON of on-demand USD/hour per instance type, e.g. {"m5.large": 0.096}')
    parser.add_argument("--out", type=Path, default=Path("plan"), help="output folder (default: plan/)")
    parser.add_argument("--no-plot", action="store_true", help="skip the PNG")
    parser.add_argument("--explain", metavar="WORKLOAD",
                        help="print the decisions that produced each run's result for this workload "
                             "(or 'cluster' for all): HPA syncs, launches, removals, preemptions"),
    parser.add_argument("--quiet", action="store_true", help="no progress on stderr")
    sweep.add_arguments(parser)
    observe_cli.add_arguments(parser)
    return parser.parse_args(argv)


def _runs(args: argparse.Namespace) -> list[Run]:
    """The settings run (cdk.json and -c), then one run per --compare, each changing it."""
    overrides = _pairs(args.context, "-c")
    base = _base(args)
    runs = [Run(" ".join(["settings", *(f"{k}={v}" for k, v in overrides.items())]), parse_config(base))]
    for text in args.compare:
        changed = _pairs(text.split(), "--compare")
        if not changed:
            raise InputError("--compare takes KEY=VALUE, got ''")
        label = " ".join(f"{k}={v}" for k, v in changed.items())
        if any(run.label == label for run in runs):
            raise InputError(f"--compare {label!r} is given twice")
        runs.append(Run(label, parse_config({**base, **changed})))
    return runs


def _base(args: argparse.Namespace) -> dict:
    """The settings every run starts from: cdk.json's, then -c."""
    return {**_settings_file(args.cdk_json or cdk_json.CDK_JSON), "pipeline": {}, **_pairs(args.context, "-c")}


def _settings_file(path: Path) -> dict:
    """cdk.json's context: the settings."""
    try:
        return cdk_json.cdk_json_context(path)
    except cdk_json.CdkJsonError as error:
        raise InputError(str(error)) from None


def _scenario(args: argparse.Namespace, step: float) -> S.Scenario:
    hours = inputs.positive_number(args.hours, "--hours") if args.hours is not None else None
    if args.csv:
        scenario = S.from_csv(args.csv)
        if hours is not None:
            scenario.duration = hours * 3600
    else:
        scenario = S.built_in(args.scenario, hours)
    if scenario.duration < step:
        raise InputError(f"--hours {args.hours} is shorter than one step ({step:g} s)")
    if scenario.duration > inputs.MAX_HOURS * 3600:
        length = f"--hours {args.hours}" if hours is not None else f"{args.csv}: the profile"
        raise InputError(f"{length} runs {duration_text(scenario.duration)}; a plan covers at most {inputs.MAX_HOURS} h "
                         f"(31 days, about a minute of planning per week at 1 s steps)")
    return scenario


def _check_plot(args: argparse.Namespace) -> None:
    if not args.no_plot and importlib.util.find_spec("matplotlib") is None:
        raise InputError("the plot needs matplotlib, which is not installed: "
                         "pip install -r requirements-plan.txt, or pass --no-plot")


def _sweep(args: argparse.Namespace) -> None:
    """--sweep: one row per combination of the swept settings, typical latencies (and --latency)."""
    if args.compare or args.latency_range:
        raise InputError("--sweep plans its own combinations: leave out --compare and --latency-range")
    step = inputs.step_seconds(args.step)
    swept = sweep.axes(args.sweep)
    count = sweep.bounded(swept, args.max_combinations)
    scenario = _scenario(args, step)
    prices = inputs.prices(args.prices) if args.prices else None
    _check_plot(args)
    out = inputs.output_folder(args.out)
    options = dict(seed=args.seed, step=step, prices=prices, record_every=max(step, min(60.0, scenario.duration / 2000)),
                   latencies={**A.latency_sets()[TYPICAL], **inputs.latencies(args.latency)})
    heading = (f"{count} combinations; scenario {scenario.name}, {duration_text(scenario.duration)}, step {step:g} s, "
               f"seed {args.seed}, "
               "typical latencies; time to capacity p50/p95 over each rise of the load; * on the Pareto front "
               "(cost against the workloads' mean p95)")
    try:
        lines, written = sweep.run(swept, _base(args), scenario, out, plot=not args.no_plot, options=options,
                                   progress=None if args.quiet else lambda label: print(f"planning {label}",
                                                                                         file=sys.stderr))
        table = sweep.text(lines)
        page = Page(f"Sweep: {scenario.name}, " + " x ".join(swept))
        page.table("One row per combination", lines, [], DEFINITIONS, caption=heading, compare=False)
        if not args.no_plot:
            page.plot("Cost against time to capacity per workload, each with its Pareto front", written[-1])
        report = page.write(written[0].with_suffix(".html"))
    except OSError as error:
        raise InputError(f"--out {out}: cannot write {error.filename} ({error.strerror})") from None
    print(heading)
    print(table)
    print(textwrap.fill(DEFINITIONS, 110))
    print("wrote " + ", ".join(str(path) for path in written))
    print(f"report: {report.resolve().as_uri()}")
    sys.stdout.flush()


def _plan(args: argparse.Namespace) -> None:
    step = inputs.step_seconds(args.step)
    runs = _runs(args)
    scenario = _scenario(args, step)
    prices = inputs.prices(args.prices) if args.prices else None
    _check_plot(args)
    out = inputs.output_folder(args.out)
    selection = comparison.select({run.label: run.config for run in runs}, scenario)
    fixed = {**observe_cli.calibrated(args), **inputs.latencies(args.latency)}
    levels = {level: [] for level in (A.RANGE if args.latency_range else (TYPICAL,))}
    levels = {TYPICAL: levels.pop(TYPICAL), **levels}  # the table reads typical first
    explained = []  # every run's typical simulation, when --explain asks for its decisions
    for run, level in itertools.product(runs, levels):
        label = run.label if len(levels) == 1 else f"{run.label} ({level} latencies)"
        simulation = Simulation(run.config, scenario, seed=args.seed, step=step, prices=prices,
                                record_every=max(step, min(60.0, scenario.duration / 2000)), label=run.label,
                                progress=None if args.quiet else Progress(label),
                                workload_specs=selection.workloads[run.label],
                                latencies={**A.latency_sets()[level], **fixed},
                                explain=bool(args.explain) and level == TYPICAL)
        if args.explain and level == TYPICAL:
            _check_explained(args.explain, simulation)
            explained.append(simulation)
        levels[level].append(simulation.run())
    heading = (f"scenario {scenario.name}, {duration_text(scenario.duration)}, step {step:g} s, seed {args.seed}, "
               + _latencies_text(levels, fixed))
    table = summary_table(levels, marked=selection.stand_ins)
    answer = verdict_text(levels[TYPICAL])
    print(heading)
    print(table)
    for note in selection.notes:
        print(note)
    print(textwrap.fill(DEFINITIONS, 110))
    if answer:
        print(f"\nverdict ({TYPICAL} latencies):\n{answer}")
    stem = slug(scenario.name)
    name = "_vs_".join(slug(result.label) for result in levels[TYPICAL])
    page = Page(f"Plan: {scenario.name}, " + " vs ".join(result.label for result in levels[TYPICAL]))
    if answer:
        page.verdict(answer.splitlines())
    rows, flips = summary_rows(levels, marked=selection.stand_ins)
    page.table("Summary", rows, [*flips, *selection.notes], DEFINITIONS, caption=heading)
    try:
        written = [path for level, results in levels.items() for result in results
                   for path in write_series(result, out / "_".join([stem, slug(result.label)]
                                                                   + ([level] if len(levels) > 1 else [])))]
        logs = {simulation.label: simulation.cluster.log.text(args.explain) for simulation in explained}
        for label, log in logs.items():
            print(f"\ndecisions for {args.explain} ({label}, {TYPICAL} latencies):\n{log}")
            path = out / f"{stem}_{slug(label)}_explain_{slug(args.explain)}.txt"
            path.write_text(log + "\n")
            written.append(path)
        if not args.no_plot:
            subtitle = "typical latencies (the table gives the range)" if len(levels) > 1 else ""
            written.append(plot(levels[TYPICAL], out / f"{stem}_{name}.png", scenario=scenario,
                                workloads=comparison.every_workload(selection), subtitle=subtitle))
            page.plot("Load, replicas, nodes and metrics over time", written[-1])
        for label, log in logs.items():
            page.text(f"Decisions for {args.explain} ({label})", log, log=True)
        report = page.write(out / f"{stem}_{name}.html")
    except OSError as error:
        raise InputError(f"--out {out}: cannot write {error.filename} ({error.strerror})") from None
    print("wrote " + ", ".join(str(path) for path in written))
    print(f"report: {report.resolve().as_uri()}")
    sys.stdout.flush()  # a closed pipe shows here, where main() handles it, not at interpreter exit


def _check_explained(workload: str, simulation: Simulation) -> None:
    if workload != explain.CLUSTER and workload not in simulation.states:
        raise InputError(f"--explain {workload}: not a workload of this plan; explain one of "
                         + ", ".join([*simulation.states, explain.CLUSTER]))


def _latencies_text(levels: dict, fixed: dict[str, float]) -> str:
    chosen = "optimistic, typical and pessimistic" if len(levels) > 1 else TYPICAL
    pinned = ", ".join(f"{name} {duration_text(seconds)}" for name, seconds in fixed.items())
    return f"{chosen} latencies" + (f" with {pinned}" if pinned else "") + \
        (" (cells: typical (lowest to highest))" if len(levels) > 1 else "")


def main(argv: list[str] | None = None) -> int:
    try:
        args = parse_args(sys.argv[1:] if argv is None else argv)
        if args.calibrate or args.replay:
            observe_cli.run(args, _runs(args)[0].config)
        elif args.sweep:
            _sweep(args)
        else:
            _plan(args)
    except (InputError, ConfigError, S.ScenarioError, PlanError, *observe_cli.ERRORS) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # the reader (| head) stopped reading: nothing wrong with the plan
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit's flush
        return 1
    return 0

