"""Calibrate and replay against a real Prometheus holding the synthetic cluster (make test-prometheus).

Round trip: the synthetic cluster (the planner run with known latencies) -> exporter-shaped series ->
Prometheus -> calibrate finds the latencies the cluster had within 10 % -> replay, planned with that
calibration, brings the demos to Ready within 10 % of when the cluster did.
"""

from __future__ import annotations

import json
import urllib.request
from datetime import datetime, timezone
from unittest import mock

import pytest

from planner.cli.main import main
from planner.engine import assumptions as A
from tests.prometheus import synthetic

pytestmark = [pytest.mark.prometheus, pytest.mark.usefixtures("planner_defaults")]
SETTINGS = ["-c", "nodeAutoscaler=both"]


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture(scope="module")
def calibrated(prometheus, tmp_path_factory):
    out = tmp_path_factory.mktemp("calibration")
    assert main(["--calibrate", prometheus, "--since", "2d", "--out", str(out), *SETTINGS]) == 0
    return out / "calibration.json"


def test_the_rules_load_in_a_real_prometheus(prometheus):
    with urllib.request.urlopen(f"{prometheus}/api/v1/rules") as response:
        groups = json.load(response)["data"]["groups"]
    rules = [rule for group in groups for rule in group["rules"]]
    assert len(rules) == 15
    assert {rule["type"] for rule in rules} == {"recording", "alerting"}


@pytest.mark.parametrize("name", sorted(synthetic.TRUE_LATENCIES))
def test_calibration_finds_the_latencies_the_cluster_had(calibrated, cluster, name):
    found = json.loads(calibrated.read_text())["latencies"][name]
    assert found == pytest.approx(cluster.truth(name), rel=0.10)


def test_calibrate_shows_old_and_new_side_by_side(prometheus, tmp_path, capsys):
    assert main(["--calibrate", prometheus, "--since", "2d", "--out", str(tmp_path), *SETTINGS]) == 0
    lines = capsys.readouterr().out.splitlines()
    row = next(line for line in lines if line.startswith("karpenter-node-ready"))
    assert row.split()[1:3] == ["1", "min"]  # the default, 60 s, then the calibrated value
    assert "plan with it: python -m planner --calibration" in lines[-1]


def _mean_wait(times: list[float], values: list[float], after: float) -> float:
    """The mean time a pod of the rise at `after` waited to be Ready: the area between the final count
    and the Ready curve, over the rise."""
    final, before = values[-1], next(v for t, v in zip(times, values) if t >= after)
    step = times[1] - times[0]
    return sum(final - v for t, v in zip(times, values) if t >= after) * step / (final - before)


@pytest.fixture(scope="module")
def replayed(prometheus, calibrated, window_start, tmp_path_factory):
    from eks_scaling.parse_settings import parse_config
    from eks_scaling.setting_table import DEFAULTS
    from planner.prometheus import replay as R
    from planner.prometheus.api import Prometheus
    from planner.prometheus.calibrate import load

    config = parse_config({**DEFAULTS, "nodeAutoscaler": "both"})
    # The plan without the planner's own ±15 % jitter: each latency at its calibrated mean, against a
    # cluster whose latencies varied around theirs.
    with mock.patch.object(A, "LATENCY_JITTER", 0.0):
        return R.replay(Prometheus(prometheus), config, window_start, window_start + synthetic.DURATION,
                        latencies=load(calibrated))


@pytest.mark.parametrize(("series", "step_at"), [("inflate:ready", 120.0), ("tester:ready", 1200.0)])
def test_replay_with_the_calibration_reaches_ready_when_the_cluster_did(replayed, series, step_at):
    observed = _mean_wait(replayed.times, replayed.observed[series], step_at)
    planned = _mean_wait(replayed.times, replayed.planned[series], step_at)
    assert planned == pytest.approx(observed, rel=0.10)


def test_replay_lists_the_largest_gaps_first(replayed):
    sizes = [abs(gap.max_gap) for gap in replayed.gaps]
    assert sizes == sorted(sizes, reverse=True)
    assert {"inflate:replicas", "tester:ready", "nodes:karpenter", "nodes:ca", "pending"} <= {g.series for g in replayed.gaps}


def test_replay_cli_writes_a_table_csv_plot_and_page(prometheus, calibrated, window_start, tmp_path, capsys):
    args = ["--replay", prometheus, "--from", _iso(window_start), "--to", _iso(window_start + synthetic.DURATION),
            "--calibration", str(calibrated), "--out", str(tmp_path), *SETTINGS]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[1].split()[:2] == ["series", "observed"]
    assert sorted(path.suffix for path in tmp_path.iterdir()) == [".csv", ".html", ".png"]
    (report,) = tmp_path.glob("*.html")
    assert f"report: {report.resolve().as_uri()}" in out
    assert out.splitlines()[2] in report.read_text() and 'src="data:image/png;base64,' in report.read_text()


@pytest.mark.parametrize(("args", "message"), [
    (["--calibrate", "{empty}", "--since", "1h"],
     "error: Prometheus at {empty} has no operator_nodeclaim_status_condition_transition_seconds_count: "
     "Karpenter is off or not scraped"),
    (["--calibrate", "{full}", "--since", "1h"], "error: Prometheus at {full} has no scaling events between"),
    (["--replay", "{empty}", "--from", "2026-01-01T00:00:00Z", "--to", "2026-01-01T01:00:00Z"],
     "error: Prometheus at {empty} has no kube_deployment_spec_replicas: kube-state-metrics is off or not scraped"),
    (["--replay", "{full}", "--from", "2026-01-01T00:00:00Z", "--to", "2026-01-01T01:00:00Z"],
     "error: Prometheus at {full} has no load or scaling data between --from and --to"),
    (["--replay", "{full}", "--from", "2026-01-01T01:00:00Z", "--to", "2026-01-01T00:00:00Z"],
     "error: --to must be after --from"),
])
def test_errors_are_one_line_and_exit_2(prometheus, empty_prometheus, tmp_path, capsys, args, message):
    urls = {"empty": empty_prometheus, "full": prometheus}
    argv = [arg.format(**urls) for arg in args] + ["--out", str(tmp_path), "--no-plot"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(message.format(**urls)) and err.count("\n") == 1, err
