"""Synth time of the default app against the bare-cluster baseline (budget: at most 1.5x).

Runs `cdk synth` of each, alternating, and prints the medians. Usage: make bench [RUNS=5]
"""

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


def synth_seconds(app: str) -> float:
    with tempfile.TemporaryDirectory() as outdir:
        start = time.perf_counter()
        subprocess.run(["npx", "--no-install", "cdk", "synth", "--quiet", "--app", app, "--output", outdir],
                       check=True, env={**os.environ, "PYTHONPATH": "."})
        return time.perf_counter() - start


def runs_from(argv: list[str]) -> int:
    text = argv[1] if len(argv) > 1 else "5"
    if not text.isdigit() or int(text) < 1:
        print(f"error: RUNS={text}: give a whole number of runs, 1 or more, e.g. make bench RUNS=5", file=sys.stderr)
        sys.exit(2)
    return int(text)


def main() -> None:
    runs = runs_from(sys.argv)
    samples: dict[str, list[float]] = {name: [] for name in APPS}
    for _ in range(runs):
        for name, app in APPS.items():
            samples[name].append(synth_seconds(app))
    medians = {name: statistics.median(values) for name, values in samples.items()}
    for name, median in medians.items():
        print(f"{name:>13}: median {median:.2f} s over {runs} runs")
    ratio = medians["default app"] / medians["bare cluster"]
    print(f"ratio {ratio:.2f} (budget {BUDGET})")
    sys.exit(0 if ratio <= BUDGET else 1)


if __name__ == "__main__":
    main()
