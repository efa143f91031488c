"""The options the pinned CDK CLI takes, read from its own definition (node_modules/aws-cdk/lib/cli/cli-config.js,
"Source of truth for all CDK CLI commands"), so the check of CDK_ARGS never drifts from the CLI it guards.

Standard library only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

CLI_CONFIG = Path(__file__).resolve().parent.parent / "node_modules" / "aws-cdk" / "lib" / "cli" / "cli-config.js"
# One option: `name: { type: 'string', alias: 'c', ...` (the type may be on the next line).
_OPTION = re.compile(r"^ +'?([a-z][a-z0-9-]*)'?: \{\s*type: '([a-z]+)'([^\n]*)", re.MULTILINE | re.ASCII)
_ALIASES = re.compile(r"alias: (\[[^\]]*\]|'[^']*')", re.ASCII)
_COMMAND = re.compile(r"^ {12}'([a-z-]+)': \{$", re.MULTILINE | re.ASCII)


class CliConfigError(Exception):
    """The CLI's definition is missing or unreadable; one line."""


@dataclass(frozen=True)
class Option:
    name: str
    type: str  # boolean, string, number or array (yargs: an array takes every value up to the next flag)
    aliases: tuple[str, ...]

    @property
    def takes_value(self) -> bool:
        return self.type != "boolean"


def _options(block: str) -> dict[str, Option]:
    found = {}
    for name, kind, rest in _OPTION.findall(block):
        aliases = tuple(re.findall(r"'([^']+)'", _ALIASES.search(rest).group(1))) if _ALIASES.search(rest) else ()
        option = Option(name, kind, aliases)
        for spelling in (name, *aliases):
            found[spelling] = option
    return found


def options(command: str, config: Path = CLI_CONFIG) -> dict[str, Option]:
    """Every spelling (name and aliases, without dashes) of the global options and `command`'s own."""
    try:
        text = config.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        raise CliConfigError(f"{config} is missing or unreadable: run make setup") from None
    starts = {match.group(1): match for match in _COMMAND.finditer(text)}
    head = text.find("commands: {")
    if head < 0 or command not in starts:
        raise CliConfigError(f"{config} defines no command {command}: run make setup")
    following = [match.start() for match in starts.values() if match.start() > starts[command].start()]
    block = text[starts[command].start():min(following, default=len(text))]
    return {**_options(text[:head]), **_options(block)}
