"""Synth time of the default app against the bare-cluster baseline (budget: at most 1.5x).

Runs `cdk synth` of each, alternating, so that both see the same machine load, and reports the ratio of
each pair: its median and its spread (lowest to highest) over the runs. On a shared machine the spread
says how far to trust the median. Exit code 0 when the median is within the budget, 1 when it is over,
2 with one line when the runs cannot be made. Usage: make bench [RUNS=5]
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time

APPS = {
    "bare cluster": f"{sys.executable} benchmarks/bare_cluster_app.py",
    "default app": f"{sys.executable} app.py",
}
BUDGET = 1.5
MAX_RUNS = 50  # each run is two synths of several seconds


class BenchError(Exception):
    """A run could not be made; one line."""


def synth_seconds(name: str, app: str) -> float:
    with tempfile.TemporaryDirectory() as outdir:
        start = time.perf_counter()
        try:
            result = subprocess.run(["npx", "--no-install", "cdk", "synth", "--quiet", "--app", app, "--output", outdir],
                                    capture_output=True, text=True, env={**os.environ, "PYTHONPATH": "."})
        except OSError as error:
            raise BenchError(f"cannot run npx ({error.strerror}): run make setup") from None
        if result.returncode != 0:
            lines = [line.strip() for line in (result.stderr + result.stdout).splitlines() if line.strip()]
            cause = next((line for line in reversed(lines) if line.startswith("error:")), lines[-1] if lines else "")
            raise BenchError(f"cdk synth of the {name} failed (exit {result.returncode}): {cause[:300]}")
        return time.perf_counter() - start


def runs_from(argv: list[str]) -> int:
    text = argv[1] if len(argv) > 1 else "5"
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= MAX_RUNS:
        raise BenchError(f"RUNS={text}: give a whole number of runs from 1 to {MAX_RUNS}, e.g. make bench RUNS=5")
    return int(text)


def verdict(ratios: list[float], budget: float = BUDGET) -> tuple[str, bool]:
    """The report line and whether the median is within the budget; the words and the exit code agree, and the
    figures carry three decimals so that a ratio over the budget never prints as the budget itself."""
    median, low, high = statistics.median(ratios), min(ratios), max(ratios)
    within = median <= budget
    spread = f"{low:.3f}-{high:.3f} over {len(ratios)} runs"
    if within and high > budget:
        word = f"within the {budget} budget, but some runs were over it: a noisy machine"
    else:
        word = f"{'within' if within else 'OVER'} the {budget} budget"
    return f"ratio {median:.3f} (median; {spread}): {word}", within


def main(argv: list[str]) -> int:
    try:
        runs = runs_from(argv)
        samples: dict[str, list[float]] = {name: [] for name in APPS}
        for _ in range(runs):
            for name, app in APPS.items():
                samples[name].append(synth_seconds(name, app))
    except BenchError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    for name, values in samples.items():
        print(f"{name:>13}: median {statistics.median(values):.2f} s over {runs} runs")
    line, within = verdict([app / bare for app, bare in zip(samples["default app"], samples["bare cluster"])])
    print(line)
    return 0 if within else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
