"""The alert rules: each has promtool cases that fire and that do not, and the chart loads them."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from eks_scaling.scaler_metrics import rule_files
from tests.synth import chart_values

CASES = yaml.safe_load(Path(__file__).with_name("prometheus").joinpath("alerts_test.yaml").read_text())
DEFAULT_RULES = rule_files(pending_pods_for="10m", at_max_for="15m", metric_unavailable_for="5m",
                           node_pool_limit_percent=90)
ALERTS = sorted(rule["alert"] for group in DEFAULT_RULES["alerting_rules.yml"]["groups"] for rule in group["rules"])


def _evals(alert: str) -> list[list]:
    return [case["exp_alerts"] for test in CASES["tests"] for case in test.get("alert_rule_test", [])
            if case["alertname"] == alert]


def test_the_rules_cover_every_scaler():
    assert len(ALERTS) == 10


@pytest.mark.parametrize("alert", ALERTS)
def test_every_alert_has_a_firing_and_a_quiet_promtool_case(alert):
    evals = _evals(alert)
    assert any(evals), f"{alert}: no promtool case where it fires"
    assert any(not expected for expected in evals), f"{alert}: no promtool case where it stays quiet"


def test_recording_and_alerting_rules_go_to_their_own_server_files():
    assert all("record" in rule for group in DEFAULT_RULES["recording_rules.yml"]["groups"] for rule in group["rules"])
    assert all("alert" in rule for group in DEFAULT_RULES["alerting_rules.yml"]["groups"] for rule in group["rules"])


def test_the_prometheus_chart_loads_the_rules_with_the_configured_thresholds(synth):
    template = synth("default").nested("prometheus")
    chart = next(resource for resource in template.find_resources("Custom::AWSCDK-EKS-HelmChart").values()
                 if resource["Properties"]["Chart"] == "prometheus")
    assert chart_values(chart)["serverFiles"] == DEFAULT_RULES


def test_make_test_prometheus_installs_nothing_and_names_the_package(tmp_path):
    """Without promtool on PATH the target stops with the install hint (and installs nothing)."""
    root = Path(__file__).resolve().parent.parent
    result = subprocess.run([shutil.which("make") or "make", "-s", "-C", str(root), "test-prometheus"],
                            env={**os.environ, "PATH": str(tmp_path)}, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "test-prometheus needs promtool and prometheus: apt-get install prometheus" in result.stderr
