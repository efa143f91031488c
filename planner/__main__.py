"""python -m planner: simulate the configured scalers under a load profile, before deploying anything.

Reads the app's settings (cdk.json plus -c overrides, through stacks/config.py) and the manifests the
app deploys, replays a load profile, and writes a summary table, time series (CSV, JSON) and a plot.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from planner import scenario as S
from planner.report import plot, summary_table, write_series
from planner.simulation import PlanError, Simulation, progress_bar
from stacks.config import ConfigError, cdk_json_context, parse_config


def _overrides(pairs: list[str], flag: str) -> dict[str, str]:
    found = {}
    for pair in pairs:
        key, equals, value = pair.partition("=")
        if not equals or not key:
            raise ConfigError(f"{flag} takes key=value, got {pair!r}")
        found[key] = value
    return found


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m planner", description=__doc__.split("\n\n")[0])
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--scenario", choices=sorted(S.BUILT_IN), default="chapter",
                        help="a built-in load profile (default: chapter)")
    source.add_argument("--csv", type=Path, metavar="FILE",
                        help="a load profile: time_s, then columns of php-apache, podinfo, podinfo-keda "
                             "(requests/s) and inflate, tester (replicas)")
    parser.add_argument("-c", "--context", action="append", default=[], metavar="KEY=VALUE",
                        help="override an app setting, as with cdk -c (repeatable)")
    parser.add_argument("--compare", action="append", default=[], metavar="KEY=VALUE",
                        help="also run with these settings changed, side by side (repeatable)")
    parser.add_argument("--hours", type=float, help="simulated time (default: the scenario's)")
    parser.add_argument("--step", type=float, default=1.0, help="seconds per step (default 1)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the latency jitter (default 1)")
    parser.add_argument("--prices", type=Path, metavar="FILE",
                        help='JSON of on-demand USD/hour per instance type, e.g. {"m5.large": 0.107}')
    parser.add_argument("--out", type=Path, default=Path("plan"), help="output folder (default: plan/)")
    parser.add_argument("--no-plot", action="store_true", help="skip the PNG")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    return parser.parse_args(argv)


def _scenario(args: argparse.Namespace) -> S.Scenario:
    scenario = S.from_csv(args.csv) if args.csv else S.BUILT_IN[args.scenario]()
    if args.hours is not None:
        if args.hours <= 0:
            raise S.ScenarioError(f"--hours must be positive, got {args.hours:g}")
        scenario.duration = args.hours * 3600
    return scenario


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        if args.step <= 0:
            raise PlanError(f"--step must be positive, got {args.step:g}")
        base = {**cdk_json_context(), "pipeline": {}, **_overrides(args.context, "-c")}
        runs = [("settings", parse_config(base))]
        if args.compare:
            changed = _overrides(args.compare, "--compare")
            runs.append((",".join(f"{k}={v}" for k, v in changed.items()), parse_config({**base, **changed})))
        prices = json.loads(args.prices.read_text()) if args.prices else None
        scenario = _scenario(args)
        results = []
        for label, config in runs:
            simulation = Simulation(config, scenario, seed=args.seed, step=args.step, prices=prices,
                                    record_every=max(args.step, min(60.0, scenario.duration / 2000)),
                                    label=label, progress=None if args.quiet else progress_bar)
            results.append(simulation.run())
    except (ConfigError, S.ScenarioError, PlanError, json.JSONDecodeError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"scenario {scenario.name}, {scenario.duration / 3600:g} h, step {args.step:g} s, seed {args.seed}")
    print(summary_table(results))
    written = [path for result in results for path in write_series(result, args.out)]
    if not args.no_plot:
        written.append(plot(results, args.out / f"{scenario.name}.png", title=f"scenario {scenario.name}"))
    print("wrote " + ", ".join(str(path) for path in written))
    return 0


if __name__ == "__main__":
    sys.exit(main())
