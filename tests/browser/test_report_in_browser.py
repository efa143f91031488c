"""The planner's HTML reports (plan, sweep, replay) in a real headless browser (Debian's chromium; make test-browser): it loads with
no console message and shows every plot. Not part of plain make test, which needs no browser."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from eks_scaling.setting_table import DEFAULTS
from planner.cli.main import main
from planner.prometheus import replay
from tests.context import write_cdk_json
from tests.replay_sample import sample_replay

pytestmark = pytest.mark.browser

# The flags the issue names: headless, no sandbox (CI runs as root), nothing fetched or synced on start.
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--window-size=1280,900")  # a common laptop width


def _load(page, profile) -> tuple[str, list[str]]:
    """The DOM after load, and the console messages chromium logged while loading it."""
    chromium = shutil.which("chromium")
    assert chromium, "make test-browser needs Debian's chromium (apt-get install chromium)"
    done = subprocess.run([chromium, *FLAGS, f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0",
                           "--dump-dom", page.resolve().as_uri()], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout, [line for line in done.stderr.splitlines() if ":CONSOLE" in line]


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    out = tmp_path_factory.mktemp("plan")
    settings = write_cdk_json(tmp_path_factory.mktemp("settings"), DEFAULTS)
    assert main(["--cdk-json", str(settings), "--explain", "php-apache", "--compare", "headroom=2", "--quiet",
                 "--out", str(out)]) == 0
    assert main(["--cdk-json", str(settings), "--sweep", "headroom=0,2", "--quiet", "--out", str(out)]) == 0
    # The replay's page from a result built by hand: the replay itself needs Prometheus (tests/prometheus).
    result = sample_replay()
    replay.page(result, "sample", replay.plot(result, out / "replay_sample.png", title="replay")).write(
        out / "replay_sample.html")
    return sorted(out.glob("*.html"))


def test_every_report_is_written(reports):
    assert [page.name for page in reports] == ["chapter_settings_vs_headroom-2.html", "replay_sample.html",
                                               "sweep_chapter_headroom.html"]


def test_each_report_loads_without_console_messages_and_shows_every_plot(reports, tmp_path):
    for page in reports:
        dom, console = _load(page, tmp_path / page.stem)
        assert not console, console
        shown = re.search(r'data-plots-shown="(\d+)/(\d+)"', dom)
        assert shown, f"{page.name}: the page's load handler did not run"
        assert shown.group(1) == shown.group(2) != "0", f"{page.name}: plots shown {shown.group(0)}"


def test_a_broken_plot_is_caught(reports, tmp_path):
    """The check itself: a plot that cannot be decoded is counted out and reported on the console."""
    broken = tmp_path / "broken.html"
    broken.write_text(re.sub(r'src="data:image/png;base64,[^"]{40}', 'src="data:image/png;base64,AAAA',
                             reports[-1].read_text(), count=1))
    dom, console = _load(broken, tmp_path / "profile")
    assert 'data-plots-shown="0/1"' in dom
    assert any("did not load" in line for line in console)


def test_nothing_reaches_past_a_1280_px_window(reports, tmp_path):
    """Issue 18 item 13: every table column, footnote and log line within the window (the page counts the
    elements wider than the window or hiding content behind a scroll bar)."""
    for page in reports:
        if page.name.startswith("replay"):
            continue  # the replay's page is not this planner report's (planner/prometheus/replay.py)
        dom, _ = _load(page, tmp_path / page.stem)
        assert 'data-too-wide="0"' in dom, (page.name, re.search(r'data-too-wide="\d+"', dom))


def test_the_plan_page_gives_the_verdict_first(reports):
    text = reports[0].read_text()
    headings = re.findall(r"<h2>([^<]*)</h2>", text)
    assert headings[:2] == ["Verdict", "Summary"]
    assert "Decisions for php-apache (settings)" in headings and "Decisions for php-apache (headroom=2)" in headings
    assert '<td class="differs">' in text  # headroom=2's figures that differ from the first run
