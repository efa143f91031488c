"""Before a command talks to AWS (make deploy, diff, bootstrap, destroy): are credentials and a region set?

One quick call (`aws sts get-caller-identity`), before any synth. On success it prints who and where in
one line; otherwise one line saying what to do, and exit code 2. The region is the one the CDK CLI
would use: `region` in cdk.json or -c (in CDK_ARGS), else AWS_REGION, AWS_DEFAULT_REGION or the profile's
(`aws configure get region`); `make bootstrap`'s aws://<account>/<region> names it too. The CLI's
silent fallback to us-east-1 is refused here.
Standard library only, so that it runs before the venv exists (and in `make doctor`).
Usage: CDK_ARGS="-c region=eu-west-1" python3 -m scripts.check_aws
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
from pathlib import Path

from eks_scaling.aws_regions import REGION_NAME
from eks_scaling.cdk_json import CdkJsonError, cdk_json_context
from eks_scaling.typed_text import ascii_pattern, full_match
from scripts.aws_cli import NOT_INSTALLED, AwsCliError, aws

CDK_JSON = Path(__file__).resolve().parent.parent / "cdk.json"
TIMEOUT_SECONDS = 10
REGION_HELP = ("set one: `region` in cdk.json (or -c region=<region> in CDK_ARGS), AWS_REGION=<region>, "
               "or `aws configure set region <region>`")
_REGION_ARG = ascii_pattern(r"(?:-c|--context)[ =]region=(\S+)")
_ENVIRONMENT_ARG = ascii_pattern(r"aws://[0-9]{12}/([a-z0-9-]+)")  # make bootstrap's target
ACCOUNT_ID = ascii_pattern(r"[0-9]{12}")
_ACCOUNT_ARG = ascii_pattern(r"(?:-c|--context)[ =]account=([0-9]{12})|aws://([0-9]{12})/")


def region(cdk_args: str, cdk_json: Path = CDK_JSON) -> tuple[str, str] | None:
    """(region, where it comes from), in the CDK CLI's order of precedence; None when nothing sets one."""
    given = _REGION_ARG.findall(cdk_args)
    if given:
        return given[-1], "-c region"
    environment = _ENVIRONMENT_ARG.findall(cdk_args)
    if environment:
        return environment[-1], "aws://<account>/<region>"
    configured = _configured(cdk_json, "region", REGION_NAME, "an AWS region such as eu-west-1")
    if configured:
        return configured, "cdk.json"
    for variable in ("AWS_REGION", "AWS_DEFAULT_REGION"):
        if os.environ.get(variable):
            return os.environ[variable], variable
    try:
        profile = aws("configure", "get", "region", otherwise=REGION_HELP, timeout=TIMEOUT_SECONDS, parse=False)
    except AwsCliError:
        return None  # `configure get` fails when the profile has no region
    return (profile, "the AWS profile") if profile else None


def account(cdk_args: str, cdk_json: Path = CDK_JSON) -> tuple[str, str] | None:
    """(account, where it comes from) when the command targets one account; None when the credentials decide."""
    given = _ACCOUNT_ARG.findall(cdk_args)
    if given:
        setting, environment = given[-1]
        return (setting, "-c account") if setting else (environment, "aws://<account>/<region>")
    configured = _configured(cdk_json, "account", ACCOUNT_ID, "a 12-digit account id")
    return (configured, "cdk.json") if configured else None


def _configured(cdk_json: Path, key: str, pattern: re.Pattern[str], allowed: str) -> str:
    """cdk.json's setting, "" when unset; one line when it is no value the AWS CLI can take (synth says more)."""
    value = cdk_json_context(cdk_json).get(key) or ""
    if value and not full_match(pattern, value):
        raise AwsCliError(f"{cdk_json}: {key} is {json.dumps(value)}, not {allowed} (docs/settings.md)")
    return value


def check(cdk_args: str, cdk_json: Path = CDK_JSON, timeout: float = TIMEOUT_SECONDS) -> str:
    """One line on who and where; raises AwsCliError with what to do."""
    if not shutil.which("aws"):
        raise AwsCliError(NOT_INSTALLED)
    found = region(cdk_args, cdk_json)
    if found is None:
        raise AwsCliError(f"no AWS region is set; {REGION_HELP}")
    name, source = found
    identity = aws("sts", "get-caller-identity", "--region", name, timeout=timeout,
                   otherwise="check the network and the credentials (`aws sts get-caller-identity`)")
    target = account(cdk_args, cdk_json)
    if target and target[0] != identity["Account"]:
        raise AwsCliError(f"the credentials are for account {identity['Account']} ({identity['Arn']}), but "
                          f"{target[1]} targets account {target[0]}: use credentials for {target[0]} "
                          "(AWS_PROFILE=<its profile>, or aws sso login into it)")
    return f"AWS: account {identity['Account']} as {identity['Arn']}, region {name} (from {source})"


def main() -> int:
    try:
        print(check(os.environ.get("CDK_ARGS", ""), CDK_JSON))
    except (AwsCliError, CdkJsonError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
