"""The plan's HTML report: one self-contained page per plan or sweep (the browser test is in tests/browser)."""

from __future__ import annotations

import re

from planner.cli.main import main


def test_a_plan_writes_one_page_with_everything_inlined(tmp_path, capsys, planner_defaults):
    assert main(["--explain", "php-apache", "--quiet", "--out", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    (page,) = tmp_path.glob("*.html")
    assert f"report: {page.resolve().as_uri()}" in printed
    text = page.read_text()
    assert text.count('<img class="plot"') == 1 and 'src="data:image/png;base64,' in text
    assert "<h2>Summary</h2>" in text and "php-apache: time to capacity" in text
    assert "<h2>Decisions for php-apache (settings)</h2>" in text and "Resource metric" in text
    # Nothing to fetch when viewed: no URL in any src or href, no external script or stylesheet.
    assert not re.search(r'(src|href)="(?!data:)', text)
    assert "<link" not in text and "<script src" not in text


def test_a_sweep_writes_its_page_with_the_pareto_plot(tmp_path, capsys, planner_defaults):
    assert main(["--sweep", "headroom=0,2", "--quiet", "--out", str(tmp_path)]) == 0
    page = tmp_path / "sweep_chapter_headroom.html"
    text = page.read_text()
    assert "Pareto front" in text and text.count('<img class="plot"') == 1
    assert f"report: {page.resolve().as_uri()}" in capsys.readouterr().out


def test_without_a_plot_the_page_has_the_tables(tmp_path, capsys, planner_defaults):
    assert main(["--no-plot", "--quiet", "--out", str(tmp_path)]) == 0
    (page,) = tmp_path.glob("*.html")
    assert "<img" not in page.read_text() and "cluster: cost" in page.read_text()


def test_the_table_marks_differences_and_shows_capacity_not_reached():
    from planner.outputs.html_report import Page
    page = Page("t")
    page.table("Summary", [["", "a", "b"], ["web: time to capacity", "1 min", "-"],
                           ["web: capacity reached", "yes", "NO"], ["cluster: cost", "$1.00", "$1.00 *"],
                           ["cluster: peak nodes", "3", "4"]], ["a note"], "the definitions")
    text = page.render()
    assert '<td class="miss">not reached</td>' in text and '<td class="miss">NO</td>' in text
    assert '<td class="differs">4</td>' in text and '<td class="differs">$1.00 *</td>' not in text
    assert text.index("<table>") < text.index("a note") < text.index("the definitions")


def test_the_plan_page_has_the_verdict_the_table_and_every_runs_log(tmp_path, capsys, planner_defaults):
    assert main(["--explain", "inflate", "--compare", "headroom=2", "--quiet", "--no-plot", "--out", str(tmp_path)]) == 0
    (page,) = tmp_path.glob("*.html")
    text = page.read_text()
    assert re.findall(r"<h2>([^<]*)</h2>", text)[:2] == ["Verdict", "Summary"] and "<table>" in text
    assert "<h2>Decisions for inflate (settings)</h2>" in text and "<h2>Decisions for inflate (headroom=2)</h2>" in text
