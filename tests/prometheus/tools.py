"""Prometheus' own binaries from Debian's `prometheus` package: the tests here need them and install nothing."""

from __future__ import annotations

import shutil

import pytest
import yaml

from eks_scaling.parse_settings import parse_config
from eks_scaling.scaler_metrics import rule_files
from eks_scaling.setting_table import DEFAULTS

INSTALL_HINT = "apt-get install prometheus (Debian's package: prometheus and promtool)"


def binary(name: str) -> str:
    """The path of `name`, or a failed test (never a skip) naming the package to install."""
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} not found: {INSTALL_HINT}", pytrace=False)
    return path


def write_rules(path, **overrides) -> None:
    """manifests/prometheus-rules.yaml as the app renders it with these settings, in one rule file."""
    alerts = parse_config({**DEFAULTS, **overrides}).prometheus.alerts
    files = rule_files(pending_pods_for=alerts.pending_pods_for, at_max_for=alerts.at_max_for,
                       metric_unavailable_for=alerts.metric_unavailable_for,
                       node_pool_limit_percent=alerts.node_pool_limit_percent)
    groups = [group for content in files.values() for group in content["groups"]]
    path.write_text(yaml.safe_dump({"groups": groups}, sort_keys=False))
