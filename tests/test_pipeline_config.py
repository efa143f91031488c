"""The `pipeline` setting: a valid pipeline, and each rejected value with its message."""

from __future__ import annotations

import copy
import json

import pytest

from eks_scaling.pipeline_config import parse_pipeline
from eks_scaling.setting_parsers import ConfigError
from tests.context import with_defaults
from tests.synth import PIPELINE


def parse(pipeline):
    return parse_pipeline(with_defaults({"pipeline": pipeline}))


def test_no_pipeline_by_default():
    assert parse_pipeline(with_defaults({})) is None
    assert parse({}) is None and parse("") is None


def test_valid_pipeline_from_cli_json():
    pipeline = parse(json.dumps(PIPELINE))
    assert (pipeline.account, pipeline.region, pipeline.branch) == ("111111111111", "eu-west-1", "main")
    staging, prod = pipeline.stages
    assert (staging.name, staging.approval, prod.approval) == ("staging", False, True)
    assert staging.app.node_autoscaler == "both" and prod.app.node_autoscaler == "karpenter"
    assert (prod.app.account, prod.app.region) == ("333333333333", "us-east-1")
    assert json.loads(staging.overrides) == PIPELINE["stages"][0]["settings"]


def changed(path: str, value):
    pipeline = copy.deepcopy(PIPELINE)
    target, *rest = path.split(".")
    if not rest:
        pipeline[target] = value
    else:
        pipeline["stages"][int(target)][rest[0]] = value
    return pipeline


BAD = [
    (changed("repository", "eks-scaling"), 'invalid setting pipeline.repository="eks-scaling": expected owner/repository'),
    (changed("connectionArn", "arn:aws:iam::111111111111:role/x"), "expected a CodeConnections connection ARN"),
    (changed("account", "1111"), 'invalid setting pipeline.account="1111": expected a 12-digit AWS account id'),
    (changed("stages", []), "invalid setting pipeline.stages: give a list of one or more stages"),
    (changed("trigger", "push"), "invalid setting pipeline: unknown key trigger; known keys: account, branch,"),
    ({k: v for k, v in PIPELINE.items() if k != "connectionArn"}, "invalid setting pipeline: connectionArn is missing"),
    (changed("1.name", "staging"), "invalid setting pipeline.stages: stage name staging is used twice"),
    (changed("0.name", "2nd"), 'invalid setting pipeline.stages[0].name="2nd": expected a name of letters'),
    (changed("1.approval", "yes"), 'invalid setting pipeline.stages[1].approval="yes": expected true or false'),
    (changed("1.verify", "no"), 'invalid setting pipeline.stages[1].verify="no": expected true or false'),
    (changed("1.settings", PIPELINE["stages"][1]["settings"] | {"endpointAccess": "private", "publicAccessCidrs": []}),
     "pipeline stage prod: endpointAccess=private cannot be verified by the pipeline, whose Verify step runs in "
     "CodeBuild outside the cluster's VPC; use public-and-private with publicAccessCidrs that include "
     'pipeline.verifyEgress.address, or set "verify": false on stage prod'),
    (changed("0.settings", PIPELINE["stages"][0]["settings"] | {"publicAccessCidrs": ["203.0.113.0/24"]}),
     'pipeline stage staging: publicAccessCidrs=["203.0.113.0/24"] would block the pipeline\'s Verify step, which '
     "reaches the endpoint from 198.51.100.7 (pipeline.verifyEgress); add 198.51.100.7/32"),
    ({k: v for k, v in PIPELINE.items() if k != "verifyEgress"},
     "pipeline stage staging: the Verify step needs a fixed address to reach the endpoint: set "
     "pipeline.verifyEgress to an Elastic IP of the pipeline account"),
    (changed("verifyEgress", "198.51.100.7"), "invalid setting pipeline.verifyEgress: expected {\"allocationId\""),
    (changed("verifyEgress", {"allocationId": "eipalloc-0123456789abcdef0"}),
     "invalid setting pipeline.verifyEgress: address is missing"),
    (changed("verifyEgress", {"allocationId": "eip-1", "address": "198.51.100.7"}),
     'invalid setting pipeline.verifyEgress.allocationId="eip-1": expected an Elastic IP allocation id'),
    (changed("verifyEgress", {"allocationId": "eipalloc-0123456789abcdef0", "address": "10.0.0.7"}),
     'invalid setting pipeline.verifyEgress.address="10.0.0.7": expected the Elastic IP\'s public IPv4 address'),
    (changed("verifyEgress", {"allocationId": "eipalloc-0123456789abcdef0", "address": "198.51.100.7/32"}),
     'invalid setting pipeline.verifyEgress.address="198.51.100.7/32"'),
    (changed("0.settings", {"region": "us-west-2"}),
     "invalid setting pipeline.stages[0].settings: region is set by the stage itself"),
    (changed("1.settings", {"clusterName": "eks-prod"}),
     "pipeline stage prod: setting availabilityZones is empty: with region=us-east-1, list two or more"),
    (changed("0.settings", {"kubernetesVersion": "1.29"}),
     'pipeline stage staging: invalid setting kubernetesVersion="1.29": supported Kubernetes versions are'),
    (changed("1.settings", {"clusterName": "eks-staging"}) | {"stages": [
        PIPELINE["stages"][0], {**PIPELINE["stages"][1], "account": "222222222222", "region": "eu-west-1",
                                "settings": PIPELINE["stages"][0]["settings"]}]},
     "two stages deploy cluster eks-staging to account 222222222222 in eu-west-1"),
    ("[1, 2]", 'invalid setting pipeline="[1, 2]": expected a JSON object'),
]


@pytest.mark.parametrize(("pipeline", "message"), BAD, ids=[message[:40] for _, message in BAD])
def test_bad_pipeline_is_rejected_with_a_clear_message(pipeline, message):
    with pytest.raises(ConfigError) as error:
        parse(pipeline)
    assert message in str(error.value)
    assert "\n" not in str(error.value)


def test_an_acknowledged_open_stage_needs_no_fixed_address():
    open_stage = {"endpointAccess": "public", "publicAccessCidrs": [], "acknowledgedWarnings": ["eks-scaling:open-endpoint"]}
    pipeline = changed("1.settings", PIPELINE["stages"][1]["settings"] | open_stage)
    pipeline["stages"][0]["verify"] = False
    del pipeline["verifyEgress"]
    assert parse(pipeline).stages[1].verify


@pytest.mark.parametrize("settings", [{"endpointAccess": "private", "publicAccessCidrs": []},
                                      {"publicAccessCidrs": "203.0.113.0/24"}])
def test_a_stage_the_pipeline_cannot_reach_is_accepted_without_verification(settings):
    pipeline = changed("1.settings", PIPELINE["stages"][1]["settings"] | settings)
    pipeline["stages"][1]["verify"] = False
    staging, prod = parse(pipeline).stages
    assert (staging.verify, prod.verify) == (True, False)
