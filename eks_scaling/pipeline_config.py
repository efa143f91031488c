"""The `pipeline` setting: where the delivery pipeline lives, its source, and its stages.

Each stage's `settings` override the app's settings for that stage and are parsed by the same
parse_config, so a bad stage setting fails synth like any other. This module must not import
aws-cdk-lib.
"""

from __future__ import annotations

import ipaddress
import json
import re
from dataclasses import dataclass
from typing import Any, Mapping

from eks_scaling.aws_regions import REGION_NAME
from eks_scaling.parse_settings import parse_config
from eks_scaling.setting_parsers import ACCOUNT_ID, OPEN_TO_ALL, ConfigError
from eks_scaling.settings import AppConfig
from eks_scaling.typed_text import ascii_pattern, full_match

_REPOSITORY = ascii_pattern(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+")
_CONNECTION_ARN = ascii_pattern(
    r"arn:aws[a-z-]*:(codestar-connections|codeconnections):[a-z0-9-]+:[0-9]{12}:connection/[0-9a-f-]+")
_STAGE_NAME = ascii_pattern(r"[A-Za-z][A-Za-z0-9-]{0,63}")
# A branch git takes (`git check-ref-format --branch`, git/git:refs.c), narrowed to ASCII letters, digits and
# punctuation without space, quotes or ~^:?*[\ ; no "..", "@{" or "//", no leading "-" or "/", no trailing
# "/", "." or ".lock".
_BRANCH = ascii_pattern(r"(?![-/])(?!.*(\.\.|@\{|//|/\.|\.lock\Z|/\Z|\.\Z))[A-Za-z0-9!#$%&()+,./;<=>@\]_`{|}-]+")
# EC2 allocation ids: eipalloc- and 8 or 17 hex digits (EC2 API reference, AllocateAddress).
_ALLOCATION_ID = ascii_pattern(r"eipalloc-([0-9a-f]{8}|[0-9a-f]{17})")

PIPELINE_KEYS = {"account", "region", "repository", "branch", "connectionArn", "stages", "verifyEgress"}
EGRESS_KEYS = {"allocationId", "address"}
# Ranges an Elastic IP never comes from: RFC 1918, shared (RFC 6598), loopback, link-local, multicast.
# (ipaddress' is_global would refuse the documentation ranges too, which the examples use.)
_NOT_PUBLIC = tuple(ipaddress.IPv4Network(cidr) for cidr in (
    "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
    "192.168.0.0/16", "224.0.0.0/3"))
STAGE_KEYS = {"name", "account", "region", "approval", "verify", "settings"}
# Settings a stage may not override: the stage's own account/region decide them.
STAGE_OWNED = {"account", "region", "pipeline"}


@dataclass(frozen=True)
class StageConfig:
    name: str
    account: str
    region: str
    approval: bool
    verify: bool  # the pipeline checks the deployed cluster (scripts/verify_cluster.py)
    overrides: str  # the stage's settings as JSON, for the post-deploy verification
    app: AppConfig


@dataclass(frozen=True)
class VerifyEgress:
    """The Elastic IP (allocated by the operator) that the Verify step's NAT gateway sends from."""
    allocation_id: str
    address: str


@dataclass(frozen=True)
class PipelineConfig:
    account: str
    region: str
    repository: str
    branch: str
    connection_arn: str
    stages: tuple[StageConfig, ...]
    verify_egress: VerifyEgress | None
    log_retention_days: int  # the base settings' logRetentionDays, for the pipeline's own log groups


def parse_pipeline(context: Mapping[str, Any]) -> PipelineConfig | None:
    """None when the `pipeline` setting is empty; else the validated pipeline with each stage's config."""
    base = parse_config(context)  # the base settings, `pipeline` included, must be valid on their own
    raw = context["pipeline"]
    raw = json.loads(raw) if isinstance(raw, str) and raw.strip() else raw or {}
    if not raw:
        return None
    _keys("pipeline", raw, PIPELINE_KEYS, required=PIPELINE_KEYS - {"branch", "verifyEgress"})
    account = _match("pipeline.account", raw["account"], ACCOUNT_ID, "a 12-digit AWS account id")
    region = _match("pipeline.region", raw["region"], REGION_NAME, "an AWS region such as eu-west-1")
    stages = raw["stages"]
    if not isinstance(stages, list) or not stages:
        raise ConfigError("invalid setting pipeline.stages: give a list of one or more stages")
    egress = _egress(raw.get("verifyEgress"))
    parsed = tuple(_stage(context, index, stage, egress) for index, stage in enumerate(stages))
    _distinct(parsed)
    return PipelineConfig(
        account=account,
        region=region,
        repository=_match("pipeline.repository", raw["repository"], _REPOSITORY, "owner/repository"),
        branch=_match("pipeline.branch", raw.get("branch", "main"), _BRANCH, "a branch name"),
        connection_arn=_match("pipeline.connectionArn", raw["connectionArn"], _CONNECTION_ARN,
                              "a CodeConnections connection ARN "
                              "(arn:aws:codeconnections:<region>:<account>:connection/<id>)"),
        stages=parsed,
        verify_egress=egress,
        log_retention_days=base.log_retention_days,
    )


def _egress(raw: Any) -> VerifyEgress | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise ConfigError('invalid setting pipeline.verifyEgress: expected {"allocationId": "eipalloc-...", '
                          '"address": "<its public IPv4 address>"}')
    _keys("pipeline.verifyEgress", raw, EGRESS_KEYS, required=EGRESS_KEYS)
    allocation = _match("pipeline.verifyEgress.allocationId", raw["allocationId"], _ALLOCATION_ID,
                        "an Elastic IP allocation id (eipalloc-0123456789abcdef0)")
    address = raw["address"]
    try:
        parsed = ipaddress.IPv4Address(address) if isinstance(address, str) and address.isascii() else None
    except ValueError:
        parsed = None
    if parsed is None or any(parsed in network for network in _NOT_PUBLIC):
        raise ConfigError(f"invalid setting pipeline.verifyEgress.address={json.dumps(address)}: expected the "
                          "Elastic IP's public IPv4 address (aws ec2 describe-addresses)")
    return VerifyEgress(allocation_id=allocation, address=address)


def _stage(context: Mapping[str, Any], index: int, raw: Any, egress: VerifyEgress | None) -> StageConfig:
    where = f"pipeline.stages[{index}]"
    if not isinstance(raw, dict):
        raise ConfigError(f"invalid setting {where}: expected an object with {', '.join(sorted(STAGE_KEYS))}")
    _keys(where, raw, STAGE_KEYS, required={"name", "account", "region"})
    name = _match(f"{where}.name", raw["name"], _STAGE_NAME, "a name of letters, digits and hyphens")
    account = _match(f"{where}.account", raw["account"], ACCOUNT_ID, "a 12-digit AWS account id")
    region = _match(f"{where}.region", raw["region"], REGION_NAME, "an AWS region such as eu-west-1")
    approval, verify = (_flag(where, raw, key, default) for key, default in (("approval", False), ("verify", True)))
    overrides = raw.get("settings", {})
    if not isinstance(overrides, dict):
        raise ConfigError(f"invalid setting {where}.settings: expected an object of app settings")
    owned = sorted(STAGE_OWNED & set(overrides))
    if owned:
        raise ConfigError(f"invalid setting {where}.settings: {owned[0]} is set by the stage itself")
    try:
        app = parse_config({**context, **overrides, "account": account, "region": region, "pipeline": {}})
    except ConfigError as error:
        raise ConfigError(f"pipeline stage {name}: {error}") from None
    if verify:
        _check_reachable(name, app, egress)
    return StageConfig(name=name, account=account, region=region, approval=approval, verify=verify,
                       overrides=json.dumps(overrides, sort_keys=True), app=app)


def _flag(where: str, raw: dict, key: str, default: bool) -> bool:
    value = raw.get(key, default)
    if not isinstance(value, bool):
        raise ConfigError(f"invalid setting {where}.{key}={json.dumps(value)}: expected true or false")
    return value


def _check_reachable(name: str, app: AppConfig, egress: VerifyEgress | None) -> None:
    """The Verify step reaches a stage's public endpoint from one fixed address: pipeline.verifyEgress.

    It runs in CodeBuild in a small VPC of the pipeline account, behind a NAT gateway on the operator's
    Elastic IP, so the stage's publicAccessCidrs can name that address instead of 0.0.0.0/0. Running it
    inside the stage's own VPC is not an option: that VPC belongs to the stage's account and is created
    by the stage's stack after the pipeline's, so the pipeline's CodeBuild could join it only through a
    VPC shared into the pipeline account and IDs looked up at synth (which must stay offline).
    """
    cluster = app.cluster
    instead = (f'or set "verify": false on stage {name} and run scripts.verify_cluster from a network '
               "that reaches the endpoint")
    if cluster.endpoint_access == "private":
        raise ConfigError(f"pipeline stage {name}: endpointAccess=private cannot be verified by the pipeline, "
                          "whose Verify step runs in CodeBuild outside the cluster's VPC; use "
                          "public-and-private with publicAccessCidrs that include pipeline.verifyEgress.address, "
                          + instead)
    if cluster.endpoint_access == "public" or OPEN_TO_ALL[0] in cluster.public_access_cidrs:
        return  # open to all, as the stage's settings acknowledge (setting_checks.check_endpoint)
    if egress is None:
        raise ConfigError(f"pipeline stage {name}: the Verify step needs a fixed address to reach the endpoint: "
                          "set pipeline.verifyEgress to an Elastic IP of the pipeline account and include its "
                          f"address in the stage's publicAccessCidrs, {instead}")
    address = ipaddress.IPv4Address(egress.address)
    if not any(address in ipaddress.IPv4Network(cidr) for cidr in cluster.public_access_cidrs):
        raise ConfigError(f"pipeline stage {name}: publicAccessCidrs={json.dumps(list(cluster.public_access_cidrs))} "
                          f"would block the pipeline's Verify step, which reaches the endpoint from "
                          f"{egress.address} (pipeline.verifyEgress); add {egress.address}/32, {instead}")


def _distinct(stages: tuple[StageConfig, ...]) -> None:
    names = [stage.name for stage in stages]
    duplicate = next((name for name in names if names.count(name) > 1), None)
    if duplicate:
        raise ConfigError(f"invalid setting pipeline.stages: stage name {duplicate} is used twice")
    places = [(stage.account, stage.region, stage.app.cluster.name) for stage in stages]
    clash = next((place for place in places if places.count(place) > 1), None)
    if clash:
        raise ConfigError(f"invalid setting pipeline.stages: two stages deploy cluster {clash[2]} "
                          f"to account {clash[0]} in {clash[1]}; give one a clusterName of its own")


def _keys(where: str, raw: dict, allowed: set[str], *, required: set[str]) -> None:
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise ConfigError(f"invalid setting {where}: unknown key {unknown[0]}; known keys: "
                          + ", ".join(sorted(allowed)))
    missing = sorted(required - set(raw))
    if missing:
        raise ConfigError(f"invalid setting {where}: {missing[0]} is missing")


def _match(where: str, value: Any, pattern: re.Pattern[str], allowed: str) -> str:
    if not full_match(pattern, value):
        raise ConfigError(f"invalid setting {where}={json.dumps(value)}: expected {allowed}")
    return value
