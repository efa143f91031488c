"""The project's own check that cdk.json ships every setting at its built-in default (eks_scaling/setting_table.py).

A deployment's cdk.json holds its own settings, so `make test` never checks this; `.ci/run` does,
through `make check-cdk-json`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from eks_scaling.cdk_json import CdkJsonError, cdk_json_context, is_framework_key
from eks_scaling.setting_table import DEFAULTS


def differences(path: Path | None = None) -> list[str]:
    """One line per way the settings in `path` differ from the defaults; [] when it ships them exactly."""
    settings = {key: value for key, value in cdk_json_context(path).items() if not is_framework_key(key)}
    lines = [f"cdk.json sets {key}={json.dumps(value)}; its default is {json.dumps(DEFAULTS[key])}"
             for key, value in settings.items() if key in DEFAULTS and value != DEFAULTS[key]]
    lines += [f"cdk.json lacks setting {key}" for key in DEFAULTS if key not in settings]
    lines += [f"cdk.json has unknown setting {key}" for key in settings if key not in DEFAULTS]
    if not lines and list(settings) != list(DEFAULTS):
        lines.append("cdk.json lists the settings in another order than DEFAULTS in eks_scaling/setting_table.py")
    return lines


def main() -> None:
    try:
        lines = differences()
    except CdkJsonError as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(2)
    print("\n".join(lines) or "cdk.json ships every setting at its default")
    sys.exit(1 if lines else 0)


if __name__ == "__main__":
    main()
