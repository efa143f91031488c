"""Known vulnerabilities of every package in requirements-dev.lock, as PyPI reports them.

PyPI's JSON API lists the advisories (from the OSV database) that affect each release
(https://pypi.org/pypi/<name>/<version>/json: "vulnerabilities", each with id, aliases, fixed_in and
withdrawn; pypi/warehouse docs/api-reference/json.rst). pip has no audit command, and pip-audit is not in
the lock, so this asks the same API with the standard library. The
pipeline's Synth step runs this (it needs pypi.org): a finding prints one line per advisory and exits 1;
an answer it cannot use prints one line and exits 2.
"""

from __future__ import annotations

import json
import re
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Callable

LOCK = Path(__file__).resolve().parent.parent / "requirements-dev.lock"
TIMEOUT_SECONDS = 20


class AuditError(Exception):
    """PyPI could not be asked, or answered something else than its JSON API: one line."""


def locked(lock: Path | None = None) -> list[tuple[str, str]]:
    text = (lock or LOCK).read_text()
    return [tuple(match) for match in re.findall(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s\\]+)", text, re.M | re.ASCII)]


def _fetch(url: str) -> Any:
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_SECONDS) as response:
            return json.loads(response.read())
    except (urllib.error.URLError, TimeoutError, OSError, ValueError) as error:
        raise AuditError(f"cannot read {url} ({type(error).__name__})") from None


def findings(packages: list[tuple[str, str]], fetch: Callable[[str], Any] = _fetch) -> list[str]:
    found = []
    for name, version in packages:
        url = f"https://pypi.org/pypi/{name}/{version}/json"
        answer = fetch(url)
        advisories = answer.get("vulnerabilities") if isinstance(answer, dict) else None
        if not isinstance(advisories, list) or not all(isinstance(item, dict) for item in advisories):
            raise AuditError(f"{url} answered without a vulnerabilities list")
        for advisory in advisories:
            if not advisory.get("withdrawn"):
                fixed = ", ".join(advisory.get("fixed_in") or []) or "no fixed release"
                found.append(f"{name}=={version}: {advisory.get('id')} (fixed in {fixed})")
    return found


def main() -> int:
    try:
        found = findings(locked())
    except OSError as error:
        print(f"error: cannot read {LOCK} ({type(error).__name__})")
        return 2
    except AuditError as error:
        print(f"error: {error}")
        return 2
    for line in found:
        print(line)
    print(f"{len(found)} known vulnerabilities in {LOCK.name}")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
