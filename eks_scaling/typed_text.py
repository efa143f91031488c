"""Text a user types (settings, flags, files), matched as ASCII and in full, and read as numbers.

Python's `\\d` and `\\w` match any Unicode digit or letter (Arabic-Indic digits passed as an account id
and crashed inside CDK), `$` matches before a trailing newline, `float()` and `int()` read Unicode
digits and `1_000`. Every check of typed text goes through here instead (tests/test_bad_inputs.py holds
the source to it).
"""

from __future__ import annotations

import re
from typing import Any

_NUMBER = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?|[+-]?(nan|inf|infinity)",
                     re.ASCII | re.IGNORECASE)
_WHOLE = re.compile(r"[+-]?[0-9]+", re.ASCII)


def ascii_pattern(regex: str, flags: int = 0) -> re.Pattern[str]:
    """A pattern whose classes (\\d, \\w, \\s) are ASCII only; match it with full_match()."""
    return re.compile(regex, flags | re.ASCII)


def full_match(pattern: re.Pattern[str], value: Any) -> re.Match[str] | None:
    """The match of the whole value (no trailing newline, no Unicode look-alike), or None."""
    if not isinstance(value, str) or not value.isascii():
        return None
    return pattern.fullmatch(value)


def ascii_float(text: str) -> float:
    """float(), but only for ASCII digits, a point, an exponent, nan or inf: ValueError otherwise."""
    if not full_match(_NUMBER, text.strip() if isinstance(text, str) else text):
        raise ValueError(f"not a number: {text!r}")
    return float(text)


def ascii_int(text: str) -> int:
    """int() of ASCII digits with an optional sign: ValueError otherwise (no '1_000', no '١٢')."""
    if not full_match(_WHOLE, text.strip() if isinstance(text, str) else text):
        raise ValueError(f"not a whole number: {text!r}")
    return int(text)

