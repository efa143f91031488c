"""The answer of a comparison, one verdict per question: which run gets each workload to capacity first,
which leaves the fewest pods never placed, and which costs least, each with its difference from the
first run. A cheaper run that did not reach capacity is flagged: it is cheaper because it did less."""

from __future__ import annotations

from dataclasses import dataclass

from planner.outputs.table import COUNT, DURATION, USD, Kind, ahead
from planner.simulation import Result


@dataclass(frozen=True)
class Verdict:
    question: str
    winner: str | None  # the run's label; None: a tie
    lines: list[str]  # the answer, then each run against the first


def _delta(value, base, kind: Kind) -> str:
    if value is None or base is None:
        return "not reached" if value is None else kind.text(value)
    if value == base:
        return f"{kind.text(value)} (the same as the first run)"
    return f"{kind.text(value)} ({'+' if value > base else '-'}{kind.text(abs(value - base))} against the first run)"


def _best(results: list[Result], values: list, kind: Kind) -> str | None:
    """The run lower than every other (never reached counts as highest); None when no run is."""
    for index, result in enumerate(results):
        if all(ahead(values[index], other, kind) < 0 for j, other in enumerate(values) if j != index):
            return result.label
    return None


def _verdict(question: str, results: list[Result], values: list, kind: Kind) -> Verdict:
    winner = _best(results, values, kind)
    head = f"{question}: " + (f"{winner} is lowest" if winner else "no run is clearly lower (within 5 %)")
    lines = [head, f"  {results[0].label}: {'not reached' if values[0] is None else kind.text(values[0])}"]
    lines += [f"  {result.label}: {_delta(value, values[0], kind)}" for result, value in zip(results[1:], values[1:])]
    return Verdict(question, winner, lines)


def _unreached(result: Result) -> list[str]:
    return sorted(name for name, summary in result.summary["workloads"].items()
                  if summary["capacity_reached"] is False)


def verdicts(results: list[Result]) -> list[Verdict]:
    """One per workload's time to capacity, then pods never placed and cost; empty for a single run."""
    if len(results) < 2:
        return []
    found = []
    names = sorted({name for result in results for name, summary in result.summary["workloads"].items()
                    if summary["capacity_reached"] is not None})
    for name in names:
        values = [result.summary["workloads"].get(name, {}).get("time_to_capacity_s") for result in results]
        found.append(_verdict(f"time to capacity, {name}", results, values, DURATION))
    found.append(_verdict("pods never placed", results,
                          [result.summary["cluster"]["pods_never_placed"] for result in results], COUNT))
    cost = _verdict("cost", results, [result.summary["cluster"]["cost_usd"] for result in results], USD)
    cheapest = min(results, key=lambda result: result.summary["cluster"]["cost_usd"])
    missed = _unreached(cheapest)
    if missed and any(not _unreached(result) for result in results):
        cost.lines.append(f"  ! {cheapest.label} is the cheapest but did not reach capacity for "
                          f"{', '.join(missed)}: it is cheaper because it placed less")
    found.append(cost)
    return found


def verdict_text(results: list[Result]) -> str:
    """The verdicts as lines for the terminal and the report ('' for a single run)."""
    return "\n".join(line for verdict in verdicts(results) for line in verdict.lines)
