"""Before `make synth|diff|deploy|destroy|bootstrap` runs the CDK CLI: CDK_ARGS holds nothing the CLI would drop.

The CDK CLI (aws-cdk 2.1148) ignores an option it does not know, and only warns about `-c key` without
`=` (lib/cli/user-configuration.js, parseStringContextListToObject): the deploy then goes ahead with the
defaults. This refuses both, and a `-c` key that is neither a setting nor CDK's own, with one line and
exit code 2. Standard library only. Usage: CDK_ARGS="-c clusterName=demo" python3 -m scripts.check_cdk_args deploy
"""

from __future__ import annotations

import os
import shlex
import sys

from eks_scaling.cdk_json import is_framework_key
from eks_scaling.parse_settings import unknown_setting
from scripts.cdk_cli_options import CliConfigError, options

# yargs' own options, beside the CLI's definition.
_YARGS = {"help", "h", "version"}


class CdkArgsError(Exception):
    """CDK_ARGS holds something the CDK CLI would drop; one line."""


def _flag(token: str) -> tuple[str, str | None]:
    """(name without dashes, the value after '=' or None)."""
    name, equals, value = token.lstrip("-").partition("=")
    return name, value if equals else None


def context_assignments(command: str, cdk_args: str) -> dict[str, str]:
    """The -c KEY=VALUE pairs of CDK_ARGS as the CLI takes them; CdkArgsError for what it would drop."""
    try:
        tokens = shlex.split(cdk_args)
    except ValueError as error:
        raise CdkArgsError(f"CDK_ARGS={cdk_args!r}: {error}") from None
    known = options(command)
    context: list[str] = []
    index = 0
    while index < len(tokens):
        token = tokens[index]
        index += 1
        if not token.startswith("-") or token == "-":
            continue  # a stack name or an environment (aws://<account>/<region>)
        name, value = _flag(token)
        spellings = [name] if token.startswith("--") else list(name) if value is None else [name]
        option = known.get(spellings[-1]) or known.get(name.removeprefix("no-"))
        if option is None and not set(spellings) <= _YARGS:
            raise CdkArgsError(f"CDK_ARGS: {token} is not an option of cdk {command}, and the CDK CLI would ignore "
                               f"it; see npx cdk {command} --help")
        if option is None or not option.takes_value or value is not None:
            values = [value] if value is not None else []
        else:  # yargs: an array option takes every value up to the next flag, the others one
            values = []
            while index < len(tokens) and not tokens[index].startswith("-") and (option.type == "array" or not values):
                values.append(tokens[index])
                index += 1
        if option is not None and option.name == "context":
            context += values
    return dict(_assignment(text) for text in context)


def _assignment(text: str) -> tuple[str, str]:
    key, equals, value = text.partition("=")
    if not equals or not key:
        raise CdkArgsError(f"CDK_ARGS: -c {text} is not KEY=VALUE, and the CDK CLI would drop it; "
                           "write -c key=value (docs/settings.md)")
    if not is_framework_key(key) and (problem := unknown_setting(key)):
        raise CdkArgsError(f"CDK_ARGS: -c {text}: {problem}")
    return key, value


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    try:
        context_assignments(argv[0] if argv else "synth", os.environ.get("CDK_ARGS", ""))
    except (CdkArgsError, CliConfigError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
