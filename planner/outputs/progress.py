"""Progress of one planned run on stderr: a labelled bar on a terminal, one plain line otherwise
(a log or a pipe gets no carriage returns)."""

from __future__ import annotations

import sys
from typing import TextIO

WIDTH = 30


class Progress:
    def __init__(self, label: str, stream: TextIO | None = None) -> None:
        self.label, self.stream = label, stream or sys.stderr
        self.terminal, self.done = self.stream.isatty(), False

    def __call__(self, fraction: float) -> None:
        if self.done:
            return
        self.done = fraction >= 1.0
        if self.terminal:
            filled = int(WIDTH * fraction)
            self.stream.write(f"\rplanning {self.label} [{'#' * filled}{'.' * (WIDTH - filled)}] {fraction:4.0%}")
            if fraction >= 1.0:
                self.stream.write("\n")
        elif fraction >= 1.0:
            self.stream.write(f"planned {self.label}\n")
        self.stream.flush()
