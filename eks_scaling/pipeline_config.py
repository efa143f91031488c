"""The `pipeline` setting: where the delivery pipeline lives, its source, and its stages.

Each stage's `settings` override the app's settings for that stage and are parsed by the same
parse_config, so a bad stage setting fails synth like any other. This module must not import
aws-cdk-lib.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Mapping

from eks_scaling.typed_text import ascii_pattern, full_match
from eks_scaling.aws_regions import REGION_NAME
from eks_scaling.setting_parsers import ACCOUNT_ID, ConfigError, OPEN_TO_ALL
from eks_scaling.settings import AppConfig
from eks_scaling.parse_settings import parse_config

_REPOSITORY = ascii_pattern(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+")
_CONNECTION_ARN = ascii_pattern(
    r"arn:aws[a-z-]*:(codestar-connections|codeconnections):[a-z0-9-]+:[0-9]{12}:connection/[0-9a-f-]+")
_STAGE_NAME = ascii_pattern(r"[A-Za-z][A-Za-z0-9-]{0,63}")
# A branch git takes (`git check-ref-format --branch`, git/git:refs.c), narrowed to ASCII letters, digits and
# punctuation without space, quotes or ~^:?*[\ ; no "..", "@{" or "//", no leading "-" or "/", no trailing
# "/", "." or ".lock".
_BRANCH = ascii_pattern(r"(?![-/])(?!.*(\.\.|@\{|//|/\.|\.lock\Z|/\Z|\.\Z))[A-Za-z0-9!#$%&()+,./;<=>@\]_`{|}-]+")

PIPELINE_KEYS = {"account", "region", "repository", "branch", "connectionArn", "stages"}
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
class PipelineConfig:
    account: str
    region: str
    repository: str
    branch: str
    connection_arn: str
    stages: tuple[StageConfig, ...]


def parse_pipeline(context: Mapping[str, Any]) -> PipelineConfig | None:
    """None when the `pipeline` setting is empty; else the validated pipeline with each stage's config."""
    parse_config(context)  # the base settings, `pipeline` included, must be valid on their own
    raw = context["pipeline"]
    raw = json.loads(raw) if isinstance(raw, str) and raw.strip() else raw or {}
    if not raw:
        return None
    _keys("pipeline", raw, PIPELINE_KEYS, required=PIPELINE_KEYS - {"branch"})
    account = _match("pipeline.account", raw["account"], ACCOUNT_ID, "a 12-digit AWS account id")
    region = _match("pipeline.region", raw["region"], REGION_NAME, "an AWS region such as eu-west-1")
    stages = raw["stages"]
    if not isinstance(stages, list) or not stages:
        raise ConfigError("invalid setting pipeline.stages: give a list of one or more stages")
    parsed = tuple(_stage(context, index, stage) for index, stage in enumerate(stages))
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
    )


def _stage(context: Mapping[str, Any], index: int, raw: Any) -> StageConfig:
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
        _check_reachable(name, app)
    return StageConfig(name=name, account=account, region=region, approval=approval, verify=verify,
                       overrides=json.dumps(overrides, sort_keys=True), app=app)


def _flag(where: str, raw: dict, key: str, default: bool) -> bool:
    value = raw.get(key, default)
    if not isinstance(value, bool):
        raise ConfigError(f"invalid setting {where}.{key}={json.dumps(value)}: expected true or false")
    return value


def _check_reachable(name: str, app: AppConfig) -> None:
    """The Verify step runs in CodeBuild outside any VPC: it reaches only a public endpoint open to all.

    Running it inside the stage's VPC is not an option: the VPC belongs to the stage's account and is
    created by the stage's own stack after the pipeline's, so the pipeline's CodeBuild project could
    attach to it only through a VPC shared into the pipeline account and IDs looked up at synth
    (which must stay offline). CodeBuild's public addresses are AWS ranges that change over time, so
    CIDRs that happen to include them today would break verification later.
    """
    cluster = app.cluster
    instead = (f'or set "verify": false on stage {name} and run scripts.verify_cluster from a network '
               "that reaches the endpoint")
    if cluster.endpoint_access == "private":
        raise ConfigError(f"pipeline stage {name}: endpointAccess=private cannot be verified by the pipeline, "
                          "whose Verify step runs in CodeBuild outside the cluster's VPC; use "
                          f"public-and-private, {instead}")
    if cluster.public_access_cidrs != OPEN_TO_ALL:
        raise ConfigError(f"pipeline stage {name}: publicAccessCidrs={json.dumps(list(cluster.public_access_cidrs))} "
                          "would block the pipeline's Verify step, which runs in CodeBuild from AWS addresses "
                          f"that change; allow 0.0.0.0/0, {instead}")


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
