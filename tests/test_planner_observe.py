"""--calibrate, --replay and --calibration without a server: every bad input one line and exit 2, and a
calibration file steering the plan. Against a real Prometheus: tests/prometheus (make test-prometheus)."""

from __future__ import annotations

import json
import socket

import pytest

from planner.cli.main import main
from planner.prometheus.api import PrometheusError, duration, timestamp

pytestmark = pytest.mark.usefixtures("planner_defaults")


@pytest.fixture
def closed_port() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"


def _calibration(tmp_path, content) -> str:
    path = tmp_path / "calibration.json"
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    return str(path)


@pytest.mark.parametrize(("args", "message"), [
    (["--calibrate", "{url}"], "error: Prometheus at {url} is unreachable ("),
    (["--replay", "{url}", "--from", "1700000000", "--to", "1700003600"], "error: Prometheus at {url} is unreachable ("),
    (["--calibrate", "localhost:9090"], "error: 'localhost:9090' is not a Prometheus URL such as http://localhost:9090"),
    (["--calibrate", "{url}", "--since", "7 days"], "error: --since '7 days': expected a duration such as 7d, 12h or 30m"),
    (["--calibrate", "{url}", "--since", "0d"], "error: --since '0d': expected a duration"),
    (["--replay", "{url}", "--from", "1700000000"], "error: --replay needs --from T1 and --to T2"),
    (["--replay", "{url}", "--from", "yesterday", "--to", "1700003600"],
     "error: --from 'yesterday': expected an RFC 3339 time such as 2026-11-28T10:00:00Z or Unix seconds"),
    (["--replay", "{url}", "--from", "nan", "--to", "1700003600"], "error: --from 'nan': expected a time after 1970"),
    (["--calibrate", "{url}", "--replay", "{url}"], "error: argument --replay: not allowed with argument --calibrate"),
])
def test_bad_input_is_one_line_and_exit_2(closed_port, tmp_path, capsys, args, message):
    argv = [arg.format(url=closed_port) for arg in args] + ["--out", str(tmp_path), "--no-plot"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(message.format(url=closed_port)) and err.count("\n") == 1, err


@pytest.mark.parametrize(("content", "message"), [
    ("{", "calibration.json:1:2: not valid JSON"),
    ([1, 2], 'calibration.json: not a calibration file (a JSON object with "latencies": {name: seconds})'),
    ({"latencies": {"karpenter-node-redy": 40}}, "calibration.json: unknown latency 'karpenter-node-redy'; known:"),
    ({"latencies": {"ca-node-ready": -5}}, "calibration.json: ca-node-ready must be a number of seconds from 0 to 3600, got -5"),
    ({"latencies": {"ca-node-ready": True}}, "ca-node-ready must be a number of seconds from 0 to 3600, got true"),
])
def test_a_bad_calibration_file_is_one_line_and_exit_2(tmp_path, capsys, content, message):
    argv = ["--calibration", _calibration(tmp_path, content), "--out", str(tmp_path), "--no-plot", "--quiet"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1, err


def test_the_plan_uses_the_calibrated_latencies_and_latency_still_wins(tmp_path, capsys):
    calibration = _calibration(tmp_path, {"latencies": {"karpenter-node-ready": 42.0, "ca-node-ready": 95.0}})
    argv = ["--calibration", calibration, "--latency", "ca-node-ready=80s", "--hours", "0.1", "--out",
            str(tmp_path), "--no-plot", "--quiet"]
    assert main(argv) == 0
    header = capsys.readouterr().out.splitlines()[0]
    assert "karpenter-node-ready 42 s" in header and "ca-node-ready 1 min 20 s" in header


def test_time_and_duration_parsing():
    assert duration("7d", "--since") == 7 * 86400 and duration("90m", "--since") == 5400
    assert timestamp("2026-11-28T10:00:00Z", "--from") == timestamp("1795860000", "--from") == 1795860000
    with pytest.raises(PrometheusError, match="--to '2026-13-01': expected an RFC 3339 time"):
        timestamp("2026-13-01", "--to")


def test_the_synthetic_cluster_of_the_prometheus_tests_still_builds_on_the_planner():
    """tests/prometheus/synthetic.py hooks the planner's cluster model; plain make test notices a change
    that breaks it (make test-prometheus then checks the round trip)."""
    from tests.prometheus import synthetic

    cluster = synthetic.run()
    groups = {node["group"] for node in cluster.trace.nodes if node["ready_at"] > node["launched"]}
    assert groups == {"karpenter", "ca"}
    for name in synthetic.TRUE_LATENCIES:
        assert cluster.truth(name) == pytest.approx(synthetic.TRUE_LATENCIES[name], rel=0.16)
    text = synthetic.openmetrics(cluster, 1_700_000_000.0)
    assert text.endswith("# EOF\n") and "operator_nodeclaim_status_condition_transition_seconds_count{" in text
