"""cdk-nag AwsSolutions over every configuration and the pipeline: no open finding, and every
acknowledgment on the construct it concerns, with a reason."""

from __future__ import annotations

import json
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk import aws_sqs as sqs

from scripts.nag_report import findings
from stacks.nag import add_nag_checks
from tests.synth import CONFIGS


def _report(outdir: Path) -> dict:
    return json.loads((outdir / "validation-report.json").read_text())


def _check(report: dict) -> list[tuple[str, str, str]]:
    open_, acknowledged = findings(report)
    assert [finding for finding in open_ if finding[2] == "error"] == []
    assert acknowledged, "the app has known, acknowledged findings"
    for rule, path, reason in acknowledged:
        assert len(reason) > 40, (rule, path)
    return acknowledged


@pytest.mark.parametrize("name", list(CONFIGS))
def test_no_open_finding_and_every_acknowledgment_reasoned(synth, name):
    report = _report(synth(name).outdir)
    _check(report)
    for plugin in report["pluginReports"]:
        if plugin["pluginName"] != "AwsSolutions":
            continue  # aws-cdk-lib's own template linter acknowledges its findings itself
        for violation in plugin.get("suppressedViolations", []):
            # Narrowest: acknowledged on the very resource that carries the finding, not on a stack.
            assert violation["acknowledgedAt"] == violation["violatingConstructs"][0]["constructPath"]


def test_pipeline_and_its_stages_are_checked_too(pipeline_stack):
    outdir = Path(pipeline_stack.node.root.outdir)
    acknowledged = _check(_report(outdir))
    paths = {path for _, path, _ in acknowledged}
    assert any(path.startswith("EksScalingPipeline/Pipeline/") for path in paths)
    assert any(path.startswith("EksScalingPipeline/staging/EksScalingStack/") for path in paths)


def test_a_new_finding_fails_synth(tmp_path):
    app = cdk.App(outdir=str(tmp_path))
    add_nag_checks(app)
    stack = cdk.Stack(app, "Probe")
    sqs.Queue(stack, "Unencrypted", encryption=sqs.QueueEncryption.UNENCRYPTED)
    with pytest.raises(Exception, match="ValidationFailed"):
        app.synth()
    open_, _ = findings(_report(tmp_path))
    assert {rule for rule, _, _ in open_} >= {"AwsSolutions-SQS2", "AwsSolutions-SQS3", "AwsSolutions-SQS4"}
