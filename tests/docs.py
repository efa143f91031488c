"""Reading the README and the docs/ pages: their tables, links, code and example commands."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
FENCE = re.compile(r"^```.*?^```", re.S | re.M)


def pages() -> list[Path]:
    """The README and every docs/ page."""
    return [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]


def read(page: str) -> str:
    """A page by its path from the repository's root, e.g. "docs/settings.md"."""
    return (ROOT / page).read_text()


def table_rows(text: str, first_cell_prefix: str) -> dict[str, list[str]]:
    """Markdown table rows whose first cell starts with the prefix: first cell -> cells."""
    rows = {}
    for line in text.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if line.startswith("| ") and cells[0].startswith(first_cell_prefix):
            rows[cells[0]] = cells
    return rows


def setting_lines() -> dict[str, str]:
    """docs/settings.md's settings table: key -> its whole row."""
    return {line.split(" | ")[0].strip("| `"): line
            for line in read("docs/settings.md").splitlines() if line.startswith("| `")}


def prose(text: str) -> str:
    """The text without its fenced code blocks (where links are not links)."""
    return FENCE.sub("", text)


def code_lines(text: str) -> list[str]:
    """What a reader may type: each line of a fenced block, and each inline `code span` outside them."""
    lines = [line for block in FENCE.findall(text) for line in block.splitlines()[1:-1]]
    return lines + re.findall(r"`([^`\n]+)`", prose(text))


def anchors(text: str) -> set[str]:
    """The anchors GitHub gives a page's headings: lower case, punctuation dropped, spaces as hyphens."""
    found = set()
    for heading in re.findall(r"^#+ (.+)$", prose(text), re.M):
        slug = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        found.add(slug)
    return found


@dataclass(frozen=True)
class Example:
    """A documented command's settings (-c, then each --compare or --sweep value on top), and the error it shows."""
    page: str
    command: str
    settings: tuple[dict[str, str], ...]
    error: str | None


def examples() -> list[Example]:
    """Every documented command or code span that sets -c key=value (the `-c key=value` form itself aside)."""
    found = []
    for page in pages():
        lines = code_lines(page.read_text())
        for index, line in enumerate(lines):
            given = {key: value for key, value in re.findall(r"-c[ =]([A-Za-z]+)=([^\s\"'`]+)", line)
                     if key != "key" and "<" not in value}
            compares = [compare.strip("'") for compare in
                        re.findall(r"--compare ('[^']+'|\S+)", line.replace('"', " ")) if "=" in compare]
            sweeps = [(key, value) for key, values in re.findall(r"--sweep ([a-z][A-Za-z]*)=([^\s\"']+)", line)
                      for value in values.split(",")]
            if not given and not compares and not sweeps:
                continue
            runs = [given] + [{**given, **dict(pair.split("=", 1) for pair in compare.split())}
                              for compare in compares] + [{**given, key: value} for key, value in sweeps]
            following = lines[index + 1] if index + 1 < len(lines) else ""
            error = following[len("error: "):] if following.startswith("error: ") else None
            found.append(Example(str(page.relative_to(ROOT)), line.strip(), tuple(runs), error))
    return found
