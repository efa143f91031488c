"""Print the cdk-nag (AwsSolutions) part of a synthesized assembly's validation report.

Usage: python -m scripts.nag_report [cdk.out]    (make nag synthesizes first)
Lists each finding still open (which fails synth) and each acknowledged one with its reason.
Exit code 1 when any error finding is open.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def findings(report: dict) -> tuple[list[tuple[str, str, str]], list[tuple[str, str, str]]]:
    """(open, acknowledged) findings as (rule, construct path, severity or reason)."""
    open_, acknowledged = [], []
    for plugin in report.get("pluginReports", []):
        if plugin.get("pluginName") != "AwsSolutions":
            continue
        for violation in plugin.get("violations", []):
            for construct in violation["violatingConstructs"]:
                open_.append((violation["ruleName"], construct["constructPath"], violation.get("severity", "")))
        for violation in plugin.get("suppressedViolations", []):
            for construct in violation["violatingConstructs"]:
                acknowledged.append((violation["ruleName"], construct["constructPath"], violation.get("reason", "")))
    return open_, acknowledged


def main(argv: list[str]) -> int:
    assembly = Path(argv[0] if argv else "cdk.out")
    open_, acknowledged = findings(json.loads((assembly / "validation-report.json").read_text()))
    for rule, path, reason in sorted(acknowledged):
        print(f"ACKNOWLEDGED {rule}\n    {path}\n    reason: {reason}")
    for rule, path, severity in sorted(open_):
        print(f"OPEN ({severity}) {rule}\n    {path}")
    errors = sum(severity == "error" for _, _, severity in open_)
    print(f"cdk-nag AwsSolutions: {len(acknowledged)} acknowledged, {len(open_)} open ({errors} errors)")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
