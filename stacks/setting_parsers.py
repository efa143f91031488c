"""Value parsers for settings: (key, raw value) -> parsed value, or a one-line ConfigError.

Raw values come from cdk.json (JSON types) or from `-c key=value` (strings), so every parser takes both.
This module must not import aws-cdk-lib.
"""

from __future__ import annotations

import ipaddress
import json
import re
from typing import Any, Callable

from stacks.instance_types import UnknownInstanceType, instance_type
from stacks.versions import MATRIX, SUPPORTED_VERSIONS


class ConfigError(ValueError):
    """A setting a user can type is wrong. The message is one line, fit to print as is."""


ENDPOINT_ACCESS = ("public-and-private", "public", "private")
LOG_TYPES = ("api", "audit", "authenticator", "controllerManager", "scheduler")
WORKLOAD_IDENTITIES = ("pod-identity", "irsa")
NODE_AUTOSCALERS = ("karpenter", "cluster-autoscaler", "both", "none")
CAPACITY_TYPES = ("on-demand", "spot")
# Expanders that need no extra configuration (priority needs a ConfigMap, price is GCE-only).
EXPANDERS = ("least-waste", "random", "most-pods", "least-nodes")
OPEN_TO_ALL = ("0.0.0.0/0",)
# The components a version caveat can name (AppConfig.enabled_components), and the warning ids they get.
COMPONENTS = ("eks", "metrics-server", "karpenter", "cluster-autoscaler", "prometheus", "keda")
WARNING_IDS = tuple(f"eks-scaling:{component}" for component in COMPONENTS)

_CLUSTER_NAME = re.compile(r"^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$")
ACCOUNT_ID = re.compile(r"^\d{12}$")
REGION_NAME = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$")
_ZONE_NAME = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d[a-z]$")
# us-east-1, the region with the most, has six availability zones.
MAX_AVAILABILITY_ZONES = 6
AMI_ALIAS = re.compile(r"^al2023@(latest|v\d{8})$")
_PRINCIPAL_ARN = re.compile(r"^arn:aws(-cn|-us-gov|-iso|-iso-b)?:iam::\d{12}:(role|user)/[\w+=,.@/-]+$")


def _fail(key: str, raw: Any, allowed: str) -> ConfigError:
    return ConfigError(f"invalid setting {key}={json.dumps(raw)}: {allowed}")


def _string(key: str, raw: Any) -> str:
    if not isinstance(raw, str):
        raise _fail(key, raw, "expected a string")
    return raw.strip()


def boolean(key: str, raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.strip().lower() in ("true", "false"):
        return raw.strip().lower() == "true"
    raise _fail(key, raw, "expected true or false")


def _list(key: str, raw: Any) -> tuple[str, ...]:
    """A JSON list, or from the CLI a JSON list or comma-separated string ("" is empty)."""
    if isinstance(raw, str):
        text = raw.strip()
        if text.startswith("["):
            try:
                raw = json.loads(text)
            except json.JSONDecodeError:
                raise _fail(key, text, 'expected a JSON list such as ["a","b"] or a comma-separated list') from None
        else:
            raw = [part.strip() for part in text.split(",") if part.strip()]
    if not isinstance(raw, list) or not all(isinstance(item, str) for item in raw):
        raise _fail(key, raw, "expected a list of strings")
    if len(set(raw)) != len(raw):
        raise _fail(key, raw, "the list has duplicates")
    return tuple(raw)


def choice(key: str, raw: Any, choices: tuple[str, ...]) -> str:
    value = _string(key, raw)
    if value not in choices:
        raise _fail(key, raw, "expected one of " + ", ".join(choices))
    return value


def cluster_name(key: str, raw: Any) -> str:
    value = _string(key, raw)
    if not _CLUSTER_NAME.match(value):
        raise _fail(key, raw, "EKS cluster names are 1-100 letters, digits, hyphens and underscores, "
                              "starting with a letter or digit")
    return value


def kubernetes_version(key: str, raw: Any) -> str:
    if not isinstance(raw, str):
        raise _fail(key, raw, 'write the version as a string, e.g. "1.35"')
    value = raw.strip()
    if value not in MATRIX:
        raise _fail(key, raw, "supported Kubernetes versions are " + ", ".join(SUPPORTED_VERSIONS))
    return value


def optional(pattern: re.Pattern[str], allowed: str) -> Callable[[str, Any], str | None]:
    def parse(key: str, raw: Any) -> str | None:
        value = _string(key, raw)
        if value and not pattern.match(value):
            raise _fail(key, raw, allowed)
        return value or None
    return parse


def json_object(key: str, raw: Any) -> dict[str, Any]:
    """A JSON object, or from the CLI its JSON text ("" is empty)."""
    value = raw
    if isinstance(raw, str):
        try:
            value = json.loads(raw) if raw.strip() else {}
        except json.JSONDecodeError:
            raise _fail(key, raw, "expected a JSON object") from None
    if not isinstance(value, dict):
        raise _fail(key, raw, "expected a JSON object")
    return value


def instance_types(key: str, raw: Any) -> tuple[str, ...]:
    types = _list(key, raw)
    if not types:
        raise _fail(key, raw, "give at least one EC2 instance type, e.g. m5.large")
    for item in types:
        try:
            instance_type(item)
        except UnknownInstanceType as error:
            raise _fail(key, raw, str(error)) from None
    return types


def node_group_instance_types(key: str, raw: Any) -> tuple[str, ...]:
    types = instance_types(key, raw)
    if len({instance_type(item).architecture for item in types}) > 1:
        raise _fail(key, raw, "mix of x86_64 and arm64 instance types: one node group runs one AMI architecture")
    return types


def capacity_types(key: str, raw: Any) -> tuple[str, ...]:
    types = _list(key, raw)
    if not types or any(item not in CAPACITY_TYPES for item in types):
        raise _fail(key, raw, "expected one or both of " + ", ".join(CAPACITY_TYPES))
    return types


def matching(pattern: re.Pattern[str], allowed: str) -> Callable[[str, Any], str]:
    def parse(key: str, raw: Any) -> str:
        value = _string(key, raw)
        if not pattern.match(value):
            raise _fail(key, raw, allowed)
        return value
    return parse


def cidrs(key: str, raw: Any) -> tuple[str, ...]:
    cidrs = _list(key, raw)
    if not cidrs:
        raise _fail(key, raw, "give at least one IPv4 CIDR, e.g. 203.0.113.0/24")
    for item in cidrs:
        if "/" not in item:
            raise _fail(key, raw, f"{item!r} has no prefix length: write {item}/32 for one address, "
                                  "or a network such as 203.0.113.0/24")
        try:
            network = ipaddress.ip_network(item, strict=True)
        except ValueError:
            raise _fail(key, raw, f"{item!r} is not an IPv4 CIDR such as 203.0.113.0/24") from None
        if network.version != 4:
            raise _fail(key, raw, f"{item!r} is not an IPv4 CIDR such as 203.0.113.0/24")
    return cidrs


def principal_arns(key: str, raw: Any) -> tuple[str, ...]:
    arns = _list(key, raw)
    for item in arns:
        if not _PRINCIPAL_ARN.match(item):
            raise _fail(key, raw, f"{item!r} is not an IAM role or user ARN "
                                  "(arn:aws:iam::123456789012:role/Name)")
    return arns


def log_types(key: str, raw: Any) -> tuple[str, ...]:
    types = _list(key, raw)
    for item in types:
        if item not in LOG_TYPES:
            raise _fail(key, raw, f"{item!r} is not a log type; allowed: " + ", ".join(LOG_TYPES))
    return types


def availability_zones(key: str, raw: Any) -> tuple[str, ...]:
    zones = _list(key, raw)
    if zones and not 2 <= len(zones) <= MAX_AVAILABILITY_ZONES:
        raise _fail(key, raw, f"give two to {MAX_AVAILABILITY_ZONES} availability zones of the region")
    for zone in zones:
        if not _ZONE_NAME.match(zone):
            raise _fail(key, raw, f"{zone!r} is not an availability zone name such as eu-west-1a")
    return zones


def warning_ids(key: str, raw: Any) -> tuple[str, ...]:
    """Warning ids to acknowledge; the CLI prints them as 'Annotation::<id>', which is accepted too."""
    ids = tuple(item.removeprefix("Annotation::") for item in _list(key, raw))
    for item in ids:
        if item not in WARNING_IDS:
            raise _fail(key, raw, f"{item!r} is not a warning of this app; allowed: " + ", ".join(WARNING_IDS))
    return ids
