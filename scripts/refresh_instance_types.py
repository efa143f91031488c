"""Regenerate eks_scaling/data/ec2_instance_types.json from upstream's generated tables, offline.

    python3 -m scripts.refresh_instance_types <kubernetes/autoscaler clone> <aws/karpenter-provider-aws clone>

Reads, at the tags pinned in eks_scaling/versions.py (INSTANCE_TYPE_DATA_TAGS), with `git show` (a bare clone works):
- vCPUs, memory and architecture: kubernetes/autoscaler
  cluster-autoscaler/cloudprovider/aws/ec2_instance_types.go;
- ENIs and IPv4 addresses per ENI: aws/karpenter-provider-aws pkg/providers/instancetype/zz_generated.vpclimits.go,
  turned into max pods as Karpenter's ENILimitedPods does (pkg/providers/instancetype/types.go):
  ENIs of the default network card * (IPv4 per ENI - 1) + 2, with no reserved ENIs (its default);
- on-demand prices (USD): aws/karpenter-provider-aws pkg/providers/pricing/zz_generated.pricing_aws.go
  (us-east-1) and zz_generated.pricing_aws_us_gov.go (us-gov-east-1, us-gov-west-1).
Only the numbers carry over. A type must be in both of the first two tables to be listed.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from eks_scaling.versions import INSTANCE_TYPE_DATA_TAGS

OUTPUT = Path(__file__).resolve().parent.parent / "stacks" / "data" / "ec2_instance_types.json"
SPECS = "cluster-autoscaler/cloudprovider/aws/ec2_instance_types.go"
VPC_LIMITS = "pkg/providers/instancetype/zz_generated.vpclimits.go"
# The aws-cn table is left out: its prices are in CNY.
PRICES = ("pkg/providers/pricing/zz_generated.pricing_aws.go", "pkg/providers/pricing/zz_generated.pricing_aws_us_gov.go")
ARCHITECTURES = {"amd64": "x86_64", "arm64": "arm64"}

_ENTRY = re.compile(r'^\t"([a-z0-9.-]+)": \{\n(.*?)^\t\},?$', re.MULTILINE | re.DOTALL)
_FIELD = re.compile(r"(\w+):\s+\"?([\w.-]*)\"?,", re.ASCII)
_CARD = re.compile(r"MaximumNetworkInterfaces:\s+(\d+),\s+NetworkCardIndex:\s+(\d+),", re.ASCII)
_PRICE = re.compile(r'"([a-z0-9.-]+)": ([0-9.]+)')
_DATE = re.compile(r'StaticListLastUpdateTime = "([0-9-]+)"|generated at ([0-9-]+)T')


def _show(clone: Path, tag: str, path: str) -> str:
    return subprocess.run(["git", "-C", str(clone), "show", f"{tag}:{path}"], check=True,
                          capture_output=True, text=True).stdout


def _dated(text: str) -> str:
    match = _DATE.search(text)
    return (match.group(1) or match.group(2)) if match else "undated"


def specs(text: str) -> dict[str, dict]:
    found = {}
    for name, body in _ENTRY.findall(text):
        fields = dict(_FIELD.findall(body))
        found[name] = {"vcpus": int(fields["VCPU"]), "memory_mib": int(fields["MemoryMb"]),
                       "architecture": ARCHITECTURES[fields["Architecture"]]}
    return found


def max_pods(text: str) -> dict[str, int]:
    found = {}
    for name, body in _ENTRY.findall(text):
        fields = dict(_FIELD.findall(body))
        cards = {int(index): int(enis) for enis, index in _CARD.findall(body)}
        enis = cards.get(int(fields["DefaultNetworkCardIndex"]), int(fields["Interface"]))
        found[name] = enis * (int(fields["IPv4PerInterface"]) - 1) + 2
    return found


def prices(text: str) -> dict[str, dict[str, float]]:
    """instance type -> region -> USD per hour."""
    found: dict[str, dict[str, float]] = {}
    for region, body in _ENTRY.findall(text):
        for name, price in _PRICE.findall(body):
            found.setdefault(name, {})[region] = float(price)
    return found


def build(autoscaler: Path, karpenter: Path) -> dict:
    ca_tag, karpenter_tag = INSTANCE_TYPE_DATA_TAGS["kubernetes/autoscaler"], INSTANCE_TYPE_DATA_TAGS[
        "aws/karpenter-provider-aws"]
    spec_text, limits_text = _show(autoscaler, ca_tag, SPECS), _show(karpenter, karpenter_tag, VPC_LIMITS)
    price_texts = [_show(karpenter, karpenter_tag, path) for path in PRICES]
    pods = max_pods(limits_text)
    price_table: dict[str, dict[str, float]] = {}
    for text in price_texts:
        for name, by_region in prices(text).items():
            price_table.setdefault(name, {}).update(by_region)
    types = {name: {**spec, "max_pods": pods[name], "on_demand_usd_per_hour": dict(sorted(price_table.get(name, {}).items()))}
             for name, spec in sorted(specs(spec_text).items()) if name in pods}
    sources = (f"vcpus, memory_mib, architecture: kubernetes/autoscaler {SPECS} at {ca_tag} "
               f"(list of {_dated(spec_text)}); max_pods = ENIs * (IPv4 per ENI - 1) + 2 from "
               f"aws/karpenter-provider-aws {VPC_LIMITS} at {karpenter_tag} (generated {_dated(limits_text)}); "
               f"on_demand_usd_per_hour: aws/karpenter-provider-aws {', '.join(PRICES)} at {karpenter_tag} "
               f"(generated {', '.join(_dated(text) for text in price_texts)})")
    return {"sources": sources, "instance_types": types}


def write(table: dict, path: Path = OUTPUT) -> None:
    """One instance type per line, so a refresh reads as a short diff."""
    rows = [f"  {json.dumps(name)}: {json.dumps(row, sort_keys=True)}" for name, row in table["instance_types"].items()]
    path.write_text('{\n  "sources": ' + json.dumps(table["sources"]) + ',\n  "instance_types": {\n'
                    + ",\n".join("  " + row for row in rows) + "\n  }\n}\n")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: python3 -m scripts.refresh_instance_types <autoscaler clone> <karpenter-provider-aws clone>")
    write(build(Path(sys.argv[1]), Path(sys.argv[2])))
    print(f"wrote {OUTPUT}")
