"""The planner's speed targets, printed as a table (a benchmark, not a timed test). Usage: make plan-bench
(python -m planner.cli.bench).

1. 24 h at 1 s with about 1,000 pods: at most 2 s.
2. 24 h with about 10,000 pods, more than 1,000 of them Pending for hours (the NodePool's limits and the
   node group's maximum hold them): at most 10 s.
3. The first scenario over 48 h: at most 2.2 times the 24 h cost (the cost is linear in simulated time).
4. A month of CSV rows every 5 s (518,400 rows: the diurnal day as whole requests/s, inflate following it),
   read and planned at 5 s steps: at most 30 s (reading is linear in the rows).
CPU seconds of this process are the measure (the machine is shared); wall-clock seconds are shown beside.
"""

from __future__ import annotations

import math
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from eks_scaling.parse_settings import parse_config
from eks_scaling.setting_table import DEFAULTS
from planner.engine import scenario as S
from planner.simulation import Result, Simulation

SETTINGS = {"nodeAutoscaler": "both", "karpenterInstanceTypes": "m5.large", "caNodeMaxSize": "15"}
DAY = 86400.0


def bench_scenario(days: int = 1, inflate: float = 700.0, tester: float = 300.0) -> S.Scenario:
    """The diurnal day, plus inflate pods on Karpenter and tester pods on Cluster Autoscaler that come
    and go during each day."""
    scenario = S.diurnal(hours=24.0 * days)
    scenario.name = "bench"
    scenario.steps["inflate"] = [(day * DAY + hour * 3600.0, count) for day in range(days)
                                 for hour, count in ((0, 0.0), (1, inflate), (8, inflate * 3 / 7),
                                                     (14, inflate), (22, 0.0))]
    scenario.steps["tester"] = [(day * DAY + hour * 3600.0, count) for day in range(days)
                                for hour, count in ((0, 0.0), (1, tester), (20, 0.0))]
    return scenario


@dataclass
class Measure:
    name: str
    result: Result
    cpu: float
    wall: float

    @property
    def peak_pods(self) -> int:
        columns = [values for key, values in self.result.series.items() if key.endswith(":replicas")]
        return int(max(sum(values) for values in zip(*columns)))

    @property
    def hours_over_1000_pending(self) -> float:
        times, pending = self.result.series["time"], self.result.series["pending"]
        return sum(b - a for a, b, count in zip(times, times[1:], pending) if count > 1000) / 3600


def measure(name: str, scenario: S.Scenario | Path, step: float = 1.0) -> Measure:
    """Plan it with fixed settings (whatever cdk.json holds); a CSV is read inside the measure."""
    config = parse_config({**DEFAULTS, **SETTINGS})
    cpu, wall = time.process_time(), time.perf_counter()
    if isinstance(scenario, Path):
        scenario = S.from_csv(scenario)
    result = Simulation(config, scenario, step=step, record_every=60.0).run()
    return Measure(name, result, time.process_time() - cpu, time.perf_counter() - wall)


def month_csv(path: Path, days: int = 30, every: float = 5.0) -> Path:
    """A month of rows every 5 s: the diurnal day's shape as whole requests/s, inflate's replicas with it."""
    with path.open("w") as out:
        out.write("time_s,php-apache,podinfo,podinfo-keda,inflate\n")
        for index in range(int(days * DAY / every)):
            time_s = index * every
            level = 0.625 - 0.375 * math.cos(2 * math.pi * (time_s / DAY - 14 / 24 + 0.5))
            out.write(f"{int(time_s)},{round(100 * level)},{round(40 * level)},{round(40 * level)},{int(5 * level)}\n")
    return path


def main() -> int:
    day = measure("24 h, ~1,000 pods", bench_scenario())
    crowd = measure("24 h, ~10,000 pods", bench_scenario(inflate=9000.0, tester=1000.0))
    two_days = measure("48 h, ~1,000 pods", bench_scenario(days=2))
    with tempfile.TemporaryDirectory() as folder:
        month = measure("30 d of 5 s CSV rows", month_csv(Path(folder) / "month.csv"), step=5.0)
    ratio = two_days.cpu / day.cpu
    rows = [("scenario", "peak pods", "h >1,000 Pending", "CPU s", "wall s", "target", "met"),
            *((m.name, f"{m.peak_pods:,}", f"{m.hours_over_1000_pending:.1f}", f"{m.cpu:.2f}", f"{m.wall:.2f}",
               target, "yes" if met else "NO")
              for m, target, met in ((day, "<= 2 s CPU", day.cpu <= 2.0),
                                     (crowd, "<= 10 s CPU", crowd.cpu <= 10.0),
                                     (two_days, f"<= 2.2x 24 h ({ratio:.2f}x)", ratio <= 2.2),
                                     (month, "<= 30 s CPU", month.cpu <= 30.0)))]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
    return 0 if day.cpu <= 2.0 and crowd.cpu <= 10.0 and ratio <= 2.2 and month.cpu <= 30.0 else 1


if __name__ == "__main__":
    sys.exit(main())
