"""What a plan writes besides its table and plot: time series as CSV and JSON, under names by scenario and run."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

from planner.simulation import Result


def write_series(result: Result, stem: Path) -> list[Path]:
    """<stem>.csv and <stem>.json: every recorded series, one row per recorded time."""
    columns = list(result.series)
    with open(f"{stem}.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        writer.writerows(zip(*(result.series[column] for column in columns)))
    clean = {key: [None if isinstance(v, float) and math.isnan(v) else v for v in values]
             for key, values in result.series.items()}
    Path(f"{stem}.json").write_text(json.dumps({"label": result.label, "summary": result.summary, "series": clean}))
    return [Path(f"{stem}.csv"), Path(f"{stem}.json")]


def slug(text: str) -> str:
    """A file-name part: letters, digits, '-' and '.'; anything else becomes '-'."""
    return "".join(char if char.isalnum() or char in "-." else "-" for char in text) or "plan"
