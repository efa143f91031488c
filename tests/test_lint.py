"""cfn-lint over every template of every test configuration: no errors, no unlisted warnings."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.synth import CONFIGS

# Warnings ignored, each with its reason.
IGNORED = {
    # CDK's own constructs (kubectl provider, VPC default-SG custom resource) add an explicit
    # DependsOn next to a Ref/GetAtt of the same resource: redundant, and harmless.
    "W3005",
    # An env-specific stack names its availability zones so that synth needs no AWS lookup
    # (docs/architecture.md, rule 8); env-agnostic stacks use Fn::GetAZs.
    "W3010",
}


def test_cfn_lint_is_clean(synth):
    paths = [str(path) for name in CONFIGS for path in sorted(synth(name).outdir.glob("*.template.json"))]
    assert len(paths) >= len(CONFIGS)
    result = subprocess.run(
        [str(Path(sys.executable).with_name("cfn-lint")), "--format", "json", "--ignore-checks", *sorted(IGNORED), "--", *paths],
        capture_output=True, text=True, timeout=300,
    )
    findings = json.loads(result.stdout or "[]")
    report = "\n".join(f"{item['Rule']['Id']} {item['Filename']}: {item['Message']}" for item in findings)
    assert not findings, report
    assert result.returncode == 0, result.stderr
