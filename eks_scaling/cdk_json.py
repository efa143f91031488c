"""cdk.json: where the settings' defaults ship, and which of its keys are CDK's own.

The one reader of cdk.json (and of the other JSON files a user edits, such as package.json): every
failure is a CdkJsonError of one line that names the file and, for a syntax error, the line and column.
Standard library only: scripts/check_aws.py and scripts/doctor.py run it before the venv exists.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

CDK_JSON = Path(__file__).resolve().parent.parent / "cdk.json"
# The context keys the CDK CLI itself writes (aws-cdk 2.1148, lib/cli/cdk-toolkit.js: `cdk acknowledge`
# and `cdk cli-telemetry` save these to cdk.context.json).
CLI_KEYS = ("acknowledged-issue-numbers", "cli-telemetry")
# CDK's own prefixes: feature flags (@aws-cdk/...), the CLI's keys (aws:cdk:enable-path-metadata, ...;
# aws-cdk:enableDiffNoFail).
FRAMEWORK_PREFIXES = ("@", "aws:cdk:", "aws-cdk:")
# A lookup's cached answer: `<provider>:<prop>=<value>[:<prop>=<value>...]`, as aws-cdk-lib
# core/lib/context-provider.js getKey() writes it (availability-zones:account=123456789012:region=eu-west-1).
_LOOKUP_KEY = re.compile(r"[a-z][a-z0-9-]*(:[A-Za-z][A-Za-z0-9_.-]*=[^:]*(\$:[^:]*)*)+", re.ASCII)


class CdkJsonError(ValueError):
    """A JSON file the app reads is unreadable or malformed; one line naming the file and the position."""


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"the number {text} is out of range (it would be read as Infinity)")
    return value


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number (JSON has no NaN or Infinity)")


def is_framework_key(key: str) -> bool:
    """CDK's own context, which the app leaves to CDK; any other key must be one of the app's settings
    (a key such as eks-scaling:clusterName is a typo, not CDK's, and is refused rather than ignored)."""
    return key.startswith(FRAMEWORK_PREFIXES) or key in CLI_KEYS or _LOOKUP_KEY.fullmatch(key) is not None


def read_json_file(path: Path) -> Any:
    """A JSON file as the CDK CLI reads it (a UTF-8 byte-order mark is skipped, as `cdk context` does),
    refusing what JSON.parse would misread (1e400 is Infinity) and what Python's JSON does not take (NaN)."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise CdkJsonError(f"{path}: cannot read it ({error.strerror})") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise CdkJsonError(f"{path}: not UTF-8 text (byte {error.start}); save it as UTF-8") from None
    try:
        value = json.loads(text, parse_float=_finite, parse_constant=_no_constant)
    except json.JSONDecodeError as error:
        raise CdkJsonError(f"{path}:{error.lineno}:{error.colno}: not valid JSON ({error.msg})") from None
    except ValueError as error:
        raise CdkJsonError(f"{path}: {error}") from None
    except RecursionError:
        raise CdkJsonError(f"{path}: nested too deeply to read") from None
    return value


def cdk_json_context(path: Path | None = None) -> dict[str, Any]:
    """The context block of cdk.json (the repository's unless `path`): the settings plus the feature flags."""
    path = path or CDK_JSON
    data = read_json_file(path)
    if not isinstance(data, dict) or not isinstance(data.get("context"), dict):
        raise CdkJsonError(f'{path}: no "context" object of settings (docs/settings.md lists them)')
    return dict(data["context"])


def package_pins(root: Path) -> dict[str, Any]:
    """package.json's devDependencies: the CDK CLI and Node.js versions the project pins."""
    pins = read_json_file(root / "package.json")
    if not isinstance(pins, dict) or not isinstance(pins.get("devDependencies"), dict):
        raise CdkJsonError(f"{root / 'package.json'}: no \"devDependencies\" object; restore it from git")
    return pins["devDependencies"]
