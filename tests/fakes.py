"""Fake command-line tools for tests of the scripts that call them: shell scripts put first on PATH."""

from __future__ import annotations

from pathlib import Path


def executable(path: Path, script: str) -> Path:
    """An executable shell script at path (folders created)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"#!/bin/sh\n{script}\n")
    path.chmod(0o755)
    return path


def fake_tool(bin_dir: Path, name: str, answers: dict[str, str]) -> Path:
    """bin_dir/name, running answers["<first two arguments>"] (shell), and exiting 9 on anything else."""
    cases = "".join(f'  "{arguments}") {script};;\n' for arguments, script in answers.items())
    executable(bin_dir / name, f'case "$1 $2" in\n{cases}  *) exit 9;;\nesac')
    return bin_dir
