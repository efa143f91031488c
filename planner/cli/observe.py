"""The planner's commands against a deployed cluster's Prometheus: --calibrate and --replay (and
--calibration, which a plan or a replay reads). planner/cli/main.py adds these flags and hands over."""

from __future__ import annotations

import argparse
import importlib.util
import time
from pathlib import Path

from eks_scaling.quantities import seconds
from eks_scaling.settings import AppConfig
from planner.engine import inputs
from planner.engine.inputs import InputError
from planner.engine.workloads import workloads
from planner.outputs.report import slug
from planner.outputs.table import duration_text
from planner.prometheus import calibrate
from planner.prometheus.api import Prometheus, PrometheusError, duration, timestamp
from planner.prometheus.replay import page, plot, replay, table, write_csv

ERRORS = (PrometheusError,)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("against a deployed cluster (its Prometheus)")
    command = group.add_mutually_exclusive_group()
    command.add_argument("--calibrate", metavar="PROMETHEUS_URL",
                         help="measure the latencies of planner/engine/assumptions.py in the cluster and write "
                              "OUT/calibration.json")
    command.add_argument("--replay", metavar="PROMETHEUS_URL",
                         help="plan the load the cluster observed between --from and --to, against what it did")
    group.add_argument("--since", default="7d", help="--calibrate: the window up to now (default 7d)")
    group.add_argument("--from", dest="start", metavar="T1", help="--replay: start (RFC 3339 or Unix seconds)")
    group.add_argument("--to", dest="end", metavar="T2", help="--replay: end (RFC 3339 or Unix seconds)")
    group.add_argument("--calibration", type=Path, metavar="FILE",
                       help="latencies from a calibration file instead of the defaults (--latency still wins)")


def calibrated(args: argparse.Namespace) -> dict[str, float]:
    return calibrate.load(args.calibration) if args.calibration else {}


def run(args: argparse.Namespace, config: AppConfig) -> None:
    if args.calibrate:
        _calibrate(args, config)
    else:
        _replay(args, config)


def _calibrate(args: argparse.Namespace, config: AppConfig) -> None:
    end = time.time()
    since = duration(args.since, "--since")
    kept = seconds(config.prometheus.retention)
    if since > kept:
        raise InputError(f"--since {args.since} is longer than Prometheus keeps samples (prometheusRetention="
                         f"{config.prometheus.retention}): a longer window reads nothing more")
    start = end - since
    out = inputs.output_folder(args.out)
    prometheus = Prometheus(args.calibrate)
    measured = calibrate.measure(prometheus, config, [spec.name for spec in workloads(config)], start, end)
    print(f"latencies observed by {prometheus.url} over the last {args.since}:")
    print(calibrate.table(measured))
    path = calibrate.write(out / "calibration.json", prometheus.url, start, end, measured)
    print(f"wrote {path}; plan with it: python -m planner --calibration {path}")


def _replay(args: argparse.Namespace, config: AppConfig) -> None:
    if args.start is None or args.end is None:
        raise InputError("--replay needs --from T1 and --to T2")
    start, end = timestamp(args.start, "--from"), timestamp(args.end, "--to")
    if end - start > inputs.MAX_HOURS * 3600:
        raise InputError(f"--from {args.start} --to {args.end} spans {duration_text(end - start)}; a replay plans "
                         f"at most {inputs.MAX_HOURS} h (31 days), as a plan does")
    if not args.no_plot and importlib.util.find_spec("matplotlib") is None:
        raise InputError("the plot needs matplotlib, which is not installed: "
                         "pip install -r requirements-plan.txt, or pass --no-plot")
    out = inputs.output_folder(args.out)
    latencies = {**calibrated(args), **inputs.latencies(args.latency)}
    result = replay(Prometheus(args.replay), config, start, end, latencies=latencies, seed=args.seed)
    print(f"replay {args.start} .. {args.end}: planned with the current settings"
          + (f" and {args.calibration}" if args.calibration else "") + "; largest gaps first")
    print(table(result))
    for note in result.notes:
        print(note)
    stem = out / f"replay_{slug(args.start)}"
    window = f"{args.start} .. {args.end}"
    try:
        written = [write_csv(result, stem.with_suffix(".csv"))]
        if not args.no_plot:
            written.append(plot(result, stem.with_suffix(".png"),
                                title=f"replay {window}: observed (solid) vs planned (dashed)"))
        report = page(result, window, None if args.no_plot else written[-1]).write(stem.with_suffix(".html"))
    except OSError as error:
        raise InputError(f"--out {out}: cannot write {error.filename} ({error.strerror})") from None
    print("wrote " + ", ".join(str(path) for path in written))
    print(f"report: {report.resolve().as_uri()}")
