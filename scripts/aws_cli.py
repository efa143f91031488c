"""The AWS CLI as the scripts call it: JSON out, and one line that says what to do when it cannot answer.

Standard library only: the scripts run in CodeBuild's system Python and before the project's venv exists.
"""

from __future__ import annotations

import json
import re
import subprocess
from typing import Any

NOT_INSTALLED = ("the AWS CLI (`aws`) is not on PATH: install AWS CLI v2 "
                 "(https://docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html)")
CREDENTIALS_HELP = ("configure credentials with `aws configure` (access keys), `AWS_PROFILE=<profile>` "
                    "(a named profile) or `aws sso login` (IAM Identity Center)")
# The AWS CLI's words when it has no usable identity (missing, expired or unauthorized credentials).
_CREDENTIALS_PROBLEM = re.compile(r"credential|token|sso|AccessDenied|UnrecognizedClient|SignatureDoesNotMatch", re.I)


class AwsCliError(Exception):
    """The AWS CLI is missing or failed; the message is one line ending in what to do."""


# No AWS CLI call of the scripts takes long; one that hangs (a proxy, a network that drops packets) ends here.
DEFAULT_TIMEOUT_SECONDS = 60


def aws(*args: str, otherwise: str, timeout: float = DEFAULT_TIMEOUT_SECONDS, parse: bool = True) -> Any:
    """`aws <args> --output json`, parsed (or its text when not `parse`).

    `otherwise`: what to do when the failure is not about credentials.
    """
    command = f"aws {' '.join(args[:2])}"
    try:
        result = subprocess.run(["aws", *args, *(["--output", "json"] if parse else [])], capture_output=True,
                                text=True, timeout=timeout)
    except FileNotFoundError:
        raise AwsCliError(NOT_INSTALLED) from None
    except subprocess.TimeoutExpired:
        raise AwsCliError(f"`{command}` gave no answer within {timeout:g} s: check the network (or proxy) "
                          "to AWS") from None
    if result.returncode != 0:
        lines = [line.strip() for line in result.stderr.splitlines() if line.strip()]
        cause = (lines[-1] if lines else f"exit code {result.returncode}").rstrip(".")
        help_ = CREDENTIALS_HELP if _CREDENTIALS_PROBLEM.search(cause) else otherwise
        raise AwsCliError(f"`{command}` failed: {cause}; {help_}")
    if not parse:
        return result.stdout.strip()
    try:
        return json.loads(result.stdout)
    except (ValueError, RecursionError):
        raise AwsCliError(f"`{command}` answered something other than JSON: check that `aws` is AWS CLI v2 "
                          "and that no alias or wrapper changes its output") from None
