"""Value parsers for settings: (key, raw value) -> parsed value, or a one-line ConfigError.

Raw values come from cdk.json (JSON types) or from `-c key=value` (strings), so every parser takes both.
This module must not import aws-cdk-lib.
"""

from __future__ import annotations

import ipaddress
import json
import re
from datetime import date, datetime
from typing import Any, Callable

from eks_scaling.aws_regions import ZONE_NAME
from eks_scaling.cron import cron_problem
from eks_scaling.instance_types import UnknownInstanceType, instance_type
from eks_scaling.typed_text import ascii_pattern, full_match
from eks_scaling.versions import MATRIX, SUPPORTED_VERSIONS


class ConfigError(ValueError):
    """A setting a user can type is wrong. The message is one line, fit to print as is."""


ENDPOINT_ACCESS = ("public-and-private", "public", "private")
LOG_TYPES = ("api", "audit", "authenticator", "controllerManager", "scheduler")
WORKLOAD_IDENTITIES = ("pod-identity", "irsa")
NODE_AUTOSCALERS = ("karpenter", "cluster-autoscaler", "both", "auto-mode", "none")
CAPACITY_TYPES = ("on-demand", "spot")
# NodePool spec.disruption.consolidationPolicy (the v1.14.1 CRD's enum).
CONSOLIDATION_POLICIES = ("WhenEmpty", "WhenEmptyOrUnderutilized", "Balanced")
# placeholder-pods: low-priority pause pods that real pods preempt; capacity-buffer: the alpha
# CapacityBuffer API (autoscaling.x-k8s.io/v1beta1) that Karpenter 1.14 serves behind a feature gate.
HEADROOM_MECHANISMS = ("placeholder-pods", "capacity-buffer")
# ScaledObject spec.fallback.behavior (KEDA 2.20.2 CRD; scalingModifiers needs scalingModifiers, unused here).
KEDA_FALLBACK_BEHAVIORS = ("static", "currentReplicas", "currentReplicasIfHigher", "currentReplicasIfLower")
# Expanders that need no extra configuration (priority needs a ConfigMap, price is GCE-only).
EXPANDERS = ("least-waste", "random", "most-pods", "least-nodes")
OPEN_TO_ALL = ("0.0.0.0/0",)
# The components a version caveat can name (AppConfig.enabled_components), and the warning ids they get.
COMPONENTS = ("eks", "metrics-server", "karpenter", "cluster-autoscaler", "prometheus", "keda")
# Synth warns when no principal gets kubectl access (adminPrincipalArns empty, outside a pipeline).
NO_ADMIN_ACCESS_WARNING = "eks-scaling:no-admin-access"
# Synth refuses an API endpoint open to the whole internet unless this id is acknowledged.
OPEN_ENDPOINT_WARNING = "eks-scaling:open-endpoint"
WARNING_IDS = (*(f"eks-scaling:{component}" for component in COMPONENTS), NO_ADMIN_ACCESS_WARNING,
               OPEN_ENDPOINT_WARNING)

_CLUSTER_NAME = ascii_pattern(r"[0-9A-Za-z][A-Za-z0-9_-]{0,99}")
ACCOUNT_ID = ascii_pattern(r"[0-9]{12}")
# us-east-1, the region with the most, has six availability zones.
MAX_AVAILABILITY_ZONES = 6
AMI_ALIAS = ascii_pattern(r"al2023@(latest|v[0-9]{8})")
# IAM names: letters, digits and +=,.@_- (the IAM API's pattern), paths of the same with slashes.
_PRINCIPAL_ARN = ascii_pattern(r"arn:aws(-cn|-us-gov|-iso|-iso-b)?:iam::[0-9]{12}:(role|user)/[A-Za-z0-9_+=,.@/-]+")


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
    if not full_match(_CLUSTER_NAME, value):
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
        if value and not full_match(pattern, value):
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
        if not full_match(pattern, value):
            raise _fail(key, raw, allowed)
        return value
    return parse


def ami_alias(key: str, raw: Any) -> str:
    """al2023@latest, or al2023@vYYYYMMDD of a real date that has come (a release can only be of the past)."""
    value = matching(AMI_ALIAS, "expected al2023@latest or a pinned al2023@vYYYYMMDD")(key, raw)
    if value != "al2023@latest":
        try:
            released = datetime.strptime(value.removeprefix("al2023@v"), "%Y%m%d").date()
        except ValueError:
            raise _fail(key, raw, f"{value} names no calendar date (al2023@vYYYYMMDD)") from None
        if released > date.today():
            raise _fail(key, raw, f"{value} is dated after today: no AMI release can be")
    return value


# The public endpoint is reached from the internet: a source in these ranges never reaches it, so such an
# entry would lock everyone out (IANA special-purpose registry, RFC 6890: private, shared, loopback, link-local,
# "this network", multicast and reserved).
_NOT_PUBLIC = tuple(ipaddress.ip_network(block) for block in (
    "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
    "0.0.0.0/8", "224.0.0.0/4", "240.0.0.0/4"))


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
        if network.prefixlen and any(network.subnet_of(block) for block in _NOT_PUBLIC):
            raise _fail(key, raw, f"{item!r} is a private, loopback or reserved range, from which the public "
                                  "endpoint is never reached; list your public addresses")
    return cidrs


def principal_arns(key: str, raw: Any) -> tuple[str, ...]:
    arns = _list(key, raw)
    for item in arns:
        if not full_match(_PRINCIPAL_ARN, item):
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
        if not full_match(ZONE_NAME, zone):
            raise _fail(key, raw, f"{zone!r} is not an availability zone name such as eu-west-1a")
    return zones


def warning_ids(key: str, raw: Any) -> tuple[str, ...]:
    """Warning ids to acknowledge; the CLI prints them as 'Annotation::<id>', which is accepted too."""
    ids = tuple(item.removeprefix("Annotation::") for item in _list(key, raw))
    for item in ids:
        if item not in WARNING_IDS:
            raise _fail(key, raw, f"{item!r} is not a warning of this app; allowed: " + ", ".join(WARNING_IDS))
    return ids


def _json_value(key: str, raw: Any, expected: type, noun: str) -> Any:
    """A JSON value of one type, or from the CLI its JSON text."""
    value = raw
    if isinstance(raw, str):
        try:
            value = json.loads(raw)
        except json.JSONDecodeError:
            raise _fail(key, raw, f"expected {noun}") from None
    if not isinstance(value, expected):
        raise _fail(key, raw, f"expected {noun}")
    return value


def _whole(value: Any, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


# autoscaling/v2 spec.behavior, as the API server validates it (kubernetes/kubernetes
# pkg/apis/autoscaling/validation/validation.go: MaxPeriodSeconds 1800, MaxStabilizationWindowSeconds 3600,
# policy values > 0, selectPolicy Max/Min/Disabled; tolerance a non-negative quantity).
SELECT_POLICIES = ("Max", "Min", "Disabled")
POLICY_TYPES = ("Pods", "Percent")
_RULE_FIELDS = ("stabilizationWindowSeconds", "selectPolicy", "policies", "tolerance")
_TOLERANCE = ascii_pattern(r"[0-9]+(\.[0-9]+)?")


def _scaling_rules(key: str, raw: Any, direction: str, rules: Any) -> None:
    where = f"behavior.{direction}"
    if not isinstance(rules, dict):
        raise _fail(key, raw, f"{where} must be an object")
    unknown = sorted(set(rules) - set(_RULE_FIELDS))
    if unknown:
        raise _fail(key, raw, f"{where} has no field {unknown[0]}; allowed: " + ", ".join(_RULE_FIELDS))
    if "stabilizationWindowSeconds" in rules and not _whole(rules["stabilizationWindowSeconds"], 0, 3600):
        raise _fail(key, raw, f"{where}.stabilizationWindowSeconds must be a whole number of seconds from 0 to 3600")
    if "selectPolicy" in rules and rules["selectPolicy"] not in SELECT_POLICIES:
        raise _fail(key, raw, f"{where}.selectPolicy must be one of " + ", ".join(SELECT_POLICIES))
    if "tolerance" in rules and not (isinstance(rules["tolerance"], str) and full_match(_TOLERANCE, rules["tolerance"])):
        raise _fail(key, raw, f'{where}.tolerance must be a non-negative decimal as a string, e.g. "0.05"')
    policies = rules.get("policies")
    if policies is None:
        return
    if not isinstance(policies, list) or not policies:
        raise _fail(key, raw, f"{where}.policies must be a non-empty list")
    for policy in policies:
        if (not isinstance(policy, dict) or set(policy) != {"type", "value", "periodSeconds"}
                or policy["type"] not in POLICY_TYPES or not _whole(policy["value"], 1, 2**31 - 1)
                or not _whole(policy["periodSeconds"], 1, 1800)):
            raise _fail(key, raw, f"each of {where}.policies is {{type: Pods or Percent, value > 0, "
                                  "periodSeconds 1-1800}")


def hpa_behavior(key: str, raw: Any) -> dict[str, Any]:
    """An HPA's spec.behavior ({}: none, the controller's defaults)."""
    value = _json_value(key, raw, dict, "a JSON object: an HPA behavior with scaleUp and/or scaleDown")
    unknown = sorted(set(value) - {"scaleUp", "scaleDown"})
    if unknown:
        raise _fail(key, raw, f"behavior has no field {unknown[0]}; allowed: scaleUp, scaleDown")
    for direction, rules in value.items():
        _scaling_rules(key, raw, direction, rules)
    return value


def has_tolerance(behavior: dict[str, Any]) -> bool:
    return any("tolerance" in rules for rules in behavior.values())


# NodePool spec.disruption.budgets as the v1.14.1 CRD accepts them (tests/reference/crds/karpenter-1.14.1).
BUDGET_REASONS = ("Underutilized", "Empty", "Drifted")
_BUDGET_NODES = ascii_pattern(r"(100|[0-9]{1,2})%|[0-9]+")
_BUDGET_DURATION = ascii_pattern(r"[0-9]+(h|m)|[0-9]+h[0-9]+m")


def disruption_budgets(key: str, raw: Any) -> tuple[dict[str, Any], ...]:
    """Karpenter disruption budgets ([]: the NodePool's default, 10 % of its nodes)."""
    budgets = _json_value(key, raw, list, "a JSON list of budgets such as [{\"nodes\": \"10%\"}]")
    if len(budgets) > 50:
        raise _fail(key, raw, "at most 50 budgets (the NodePool CRD's maxItems)")
    for budget in budgets:
        if not isinstance(budget, dict) or "nodes" not in budget:
            raise _fail(key, raw, 'each budget is an object with "nodes" (a count or a percentage such as "10%")')
        unknown = sorted(set(budget) - {"nodes", "schedule", "duration", "reasons"})
        if unknown:
            raise _fail(key, raw, f"a budget has no field {unknown[0]}; allowed: nodes, schedule, duration, reasons")
        if not isinstance(budget["nodes"], str) or not full_match(_BUDGET_NODES, budget["nodes"]):
            raise _fail(key, raw, 'a budget\'s nodes is a string: a count ("0", "3") or a percentage ("10%")')
        if ("schedule" in budget) != ("duration" in budget):
            raise _fail(key, raw, "a budget's schedule and duration go together")
        if "schedule" in budget:
            problem = cron_problem(budget["schedule"]) if isinstance(budget["schedule"], str) else "not a string"
            if problem:
                raise _fail(key, raw, f'a budget\'s schedule is a cron expression ("0 9 * * mon-fri") or a macro '
                                      f"(@daily): {problem}")
        if "duration" in budget and not (isinstance(budget["duration"], str) and full_match(_BUDGET_DURATION, budget["duration"])):
            raise _fail(key, raw, 'a budget\'s duration is in hours and/or minutes ("8h", "1h30m")')
        reasons = budget.get("reasons", [])
        if not isinstance(reasons, list) or any(reason not in BUDGET_REASONS for reason in reasons) \
                or len(set(reasons)) != len(reasons):
            raise _fail(key, raw, "a budget's reasons are distinct ones of " + ", ".join(BUDGET_REASONS))
    return tuple(budgets)


def blocks_all_disruption(budget: dict[str, Any]) -> bool:
    """A budget of zero nodes that is always active (no schedule) and covers every reason."""
    return budget["nodes"] in ("0", "0%") and "schedule" not in budget and not budget.get("reasons")
