"""The replay's HTML page: its divergence table and plot, built with html_report's Page (the replay
against a real Prometheus is in tests/prometheus; the browser test in tests/browser)."""

from __future__ import annotations

from planner.prometheus.replay import page, plot, table
from tests.replay_sample import sample_replay


def test_the_page_holds_every_table_row_the_notes_and_the_plot_inlined(tmp_path):
    result = sample_replay()
    png = plot(result, tmp_path / "replay.png", title="replay")
    text = page(result, "T1 .. T2", png).render()
    assert "<title>Replay: T1 .. T2</title>" in text
    for row in table(result).splitlines():
        assert row in text
    assert "no observed load for tester: planned at zero" in text
    assert text.count('<img class="plot"') == 1 and 'src="data:image/png;base64,' in text


def test_without_a_plot_the_page_has_the_table(tmp_path):
    text = page(sample_replay(), "T1 .. T2", None).render()
    assert "<img" not in text and "podinfo:replicas" in text
