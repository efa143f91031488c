"""Value parsers for settings: (key, raw value) -> parsed value, or a one-line ConfigError.

Raw values come from cdk.json (JSON types) or from `-c key=value` (strings), so every parser takes both.
This module must not import aws-cdk-lib.
"""

from __future__ import annotations

import ipaddress
import json
import re
from typing import Any, Callable

from stacks.versions import MATRIX, SUPPORTED_VERSIONS


class ConfigError(ValueError):
    """A setting a user can type is wrong. The message is one line, fit to print as is."""


ENDPOINT_ACCESS = ("public-and-private", "public", "private")
LOG_TYPES = ("api", "audit", "authenticator", "controllerManager", "scheduler")
WORKLOAD_IDENTITIES = ("pod-identity", "irsa")
NODE_AUTOSCALERS = ("karpenter", "cluster-autoscaler", "both", "none")
# The retention periods CloudWatch Logs accepts.
LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557,
                      2922, 3288, 3653)
CAPACITY_TYPES = ("on-demand", "spot")
# Expanders that need no extra configuration (priority needs a ConfigMap, price is GCE-only).
EXPANDERS = ("least-waste", "random", "most-pods", "least-nodes")
OPEN_TO_ALL = ("0.0.0.0/0",)

_CLUSTER_NAME = re.compile(r"^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$")
_INSTANCE_TYPE = re.compile(r"^[a-z][a-z0-9-]*\.[a-z0-9]+$")
# Graviton families carry a `g` among the letters after the generation digit (m6g, c7gn, t4g, x2gd).
ARM_INSTANCE_TYPE = re.compile(r"^([a-z]+\d+[a-z]*g[a-z]*|a1)\.")
ACCOUNT_ID = re.compile(r"^\d{12}$")
REGION_NAME = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$")
AMI_ALIAS = re.compile(r"^al2023@(latest|v\d{8})$")
DURATION = re.compile(r"^([0-9]+(s|m|h))+$")
CPU_QUANTITY = re.compile(r"^([0-9]+m|[0-9]+(\.[0-9]+)?)$")
MEMORY_QUANTITY = re.compile(r"^[0-9]+(Mi|Gi|Ti)$")
RETENTION = re.compile(r"^[0-9]+(h|d|w|y)$")
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


def integer(key: str, raw: Any, low: int, high: int) -> int:
    if isinstance(raw, bool) or not isinstance(raw, (int, str)):
        raise _fail(key, raw, f"expected a whole number from {low} to {high}")
    try:
        value = int(raw)
    except ValueError:
        raise _fail(key, raw, f"expected a whole number from {low} to {high}") from None
    if not low <= value <= high:
        raise _fail(key, raw, f"expected a whole number from {low} to {high}")
    return value


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
        if not _INSTANCE_TYPE.match(item):
            raise _fail(key, raw, f"{item!r} is not an EC2 instance type such as m5.large")
    return types


def node_group_instance_types(key: str, raw: Any) -> tuple[str, ...]:
    types = instance_types(key, raw)
    if len({bool(ARM_INSTANCE_TYPE.match(item)) for item in types}) > 1:
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


def retention_days(key: str, raw: Any) -> int:
    value = integer(key, raw, 1, 3653)
    if value not in LOG_RETENTION_DAYS:
        raise _fail(key, raw, "CloudWatch Logs keeps logs for one of " + ", ".join(map(str, LOG_RETENTION_DAYS))
                    + " days")
    return value


def cidrs(key: str, raw: Any) -> tuple[str, ...]:
    cidrs = _list(key, raw)
    if not cidrs:
        raise _fail(key, raw, "give at least one IPv4 CIDR, e.g. 203.0.113.0/24")
    for item in cidrs:
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
    if zones and len(zones) < 2:
        raise _fail(key, raw, "give at least two availability zones, or none to use the region's a and b")
    return zones
