"""python -m planner --sweep: one row per combination of the swept settings, the Pareto front of cost
against time to capacity, and one-line errors for a bad sweep."""

from __future__ import annotations

import csv

import pytest

from eks_scaling.setting_table import DEFAULTS
from planner.cli import sweep
from planner.cli.main import main
from planner.engine.inputs import InputError
from tests.context import write_cdk_json


def test_axes_keep_each_key_with_its_values():
    assert sweep.axes(["headroom=0,2,4", "karpenterConsolidationPolicy=WhenEmpty, Balanced"]) == {
        "headroom": ["0", "2", "4"], "karpenterConsolidationPolicy": ["WhenEmpty", "Balanced"]}


@pytest.mark.parametrize(("texts", "message"), [
    (["headroom"], "--sweep takes KEY=V1,V2, got 'headroom'"),
    (["headroom="], "--sweep takes KEY=V1,V2, got 'headroom='"),
    (["=1,2"], "--sweep takes KEY=V1,V2"),
    (["headroom=0", "headroom=2"], "--sweep headroom is given twice"),
    (["headroom=0,0"], "--sweep headroom repeats a value: 0,0"),
])
def test_bad_axes_get_one_line(texts, message):
    with pytest.raises(InputError, match=f"^{message}"):
        sweep.axes(texts)


def _row(cost: float, p95: float) -> sweep.Row:
    return sweep.Row({"k": str(cost)}, {"w": (p95, p95)}, 0.0, 0, 0, 1.0, cost)


def test_the_pareto_front_is_the_rows_nothing_beats_on_both():
    cheap_slow, dear_fast, dominated, twin = _row(1, 90), _row(3, 10), _row(3, 90), _row(1, 90)
    assert sweep.pareto([cheap_slow, dear_fast, dominated, twin]) == [cheap_slow, dear_fast, twin]
    assert sweep.pareto([_row(2, 50)]) == [_row(2, 50)]


def test_percentiles_are_nearest_rank_and_never_counts():
    assert sweep.percentile([10.0, 20.0, 30.0, 40.0], 0.5) == 20.0
    assert sweep.percentile([10.0, 20.0, 30.0, 40.0], 0.95) == 40.0
    assert sweep.percentile([10.0, sweep.NEVER], 0.95) == sweep.NEVER


@pytest.fixture(scope="module")
def swept(tmp_path_factory):
    """The sweep of the issue on the chapter's scenario, with the built-in defaults as the settings."""
    out = tmp_path_factory.mktemp("sweep")
    defaults = write_cdk_json(tmp_path_factory.mktemp("settings"), DEFAULTS)
    code = main(["--sweep", "headroom=0,2", "--sweep", "karpenterConsolidationPolicy=WhenEmpty,Balanced",
                 "--cdk-json", str(defaults), "--quiet", "--out", str(out)])
    return code, out


def test_a_sweep_writes_one_row_per_combination_and_the_plot(swept):
    code, out = swept
    assert code == 0
    (table,) = out.glob("sweep_chapter_headroom_karpenterConsolidationPolicy.csv")
    header, *rows = list(csv.reader(table.open()))
    assert header[:2] == ["headroom", "karpenterConsolidationPolicy"] and header[-1] == "front"
    assert [row[:2] for row in rows] == [["0", "WhenEmpty"], ["0", "Balanced"], ["2", "WhenEmpty"], ["2", "Balanced"]]
    assert any(row[-1] == "*" for row in rows)
    assert (out / "sweep_chapter_headroom_karpenterConsolidationPolicy.png").stat().st_size > 10_000


def test_headroom_removes_the_wait_of_a_burst_smaller_than_it(swept):
    """The chapter's inflate burst (5 x 1Gi) against 2 slots of 1 CPU/1Gi: the first pods preempt the
    placeholders and start at once, so inflate's time to capacity falls from a node launch to seconds."""
    _, out = swept
    header, *rows = list(csv.reader(next(out.glob("*.csv")).open()))
    inflate = header.index("inflate p50/p95")
    p95 = {(row[0], row[1]): row[inflate].split(" / ")[1] for row in rows}
    assert "min" in p95[("0", "WhenEmpty")] and "min" not in p95[("2", "WhenEmpty")]


@pytest.mark.parametrize(("argv", "message"), [
    (["--sweep", "headroom=0,x"], 'invalid setting headroom="x"'),
    (["--sweep", "headroom=0,2", "--compare", "headroom=4"], "--sweep plans its own combinations"),
    (["--sweep", "nosuchsetting=1,2"], "unknown setting nosuchsetting"),
])
def test_a_bad_sweep_exits_2_with_one_line(argv, message, capsys, tmp_path, planner_defaults):
    assert main([*argv, "--quiet", "--no-plot", "--out", str(tmp_path)]) == 2
    error = capsys.readouterr().err
    assert message in error and error.count("\n") == 1
