"""The alert and recording rules under `promtool test rules` (make test-prometheus, not plain make test)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.prometheus.tools import binary, write_rules

pytestmark = pytest.mark.prometheus
TESTS = Path(__file__).with_name("alerts_test.yaml")


def _promtool_test(tmp_path: Path, **overrides) -> subprocess.CompletedProcess:
    write_rules(tmp_path / "rules.yaml", **overrides)
    shutil.copy(TESTS, tmp_path / TESTS.name)
    return subprocess.run([binary("promtool"), "test", "rules", TESTS.name], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)


def test_rules_are_valid(tmp_path):
    write_rules(tmp_path / "rules.yaml")
    result = subprocess.run([binary("promtool"), "check", "rules", "rules.yaml"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_alert_fires_and_stays_quiet_as_its_tests_expect(tmp_path):
    result = _promtool_test(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_thresholds_are_the_settings(tmp_path):
    """Rendered with other thresholds, the default-threshold expectations fail where they should."""
    result = _promtool_test(tmp_path, alertPendingPodsFor="20m", alertAtMaxFor="5m", alertNodePoolLimitPercent=96)
    assert result.returncode != 0
    for alert in ("PodPendingTooLong", "HpaAtMaxReplicas", "KarpenterNodePoolLimitReached"):
        assert f"alertname: {alert}" in result.stdout + result.stderr
