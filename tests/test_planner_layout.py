"""The planner's layout: one module per scaler around a shared cluster model, none importing aws-cdk-lib."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

import planner

ROOT = Path(__file__).resolve().parent.parent
SCALER_MODULES = {"cluster", "karpenter", "cluster_autoscaler", "keda", "pod_autoscaling", "metrics_pipeline",
                  "hpa", "simulation"}


def test_each_scaler_has_its_own_module():
    modules = {module.name for module in pkgutil.iter_modules(planner.__path__)}
    assert SCALER_MODULES <= modules


def test_no_planner_module_imports_aws_cdk_lib():
    names = sorted(f"planner.{module.name}" for module in pkgutil.iter_modules(planner.__path__))
    code = f"import importlib, sys\nfor name in {names!r}: importlib.import_module(name)\n" \
           "sys.exit('aws_cdk' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT, timeout=60).returncode == 0


def test_the_cli_helpers_are_importable_from_simulation():
    from planner.simulation import PlanError, Result, Simulation  # noqa: F401
