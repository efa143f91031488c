"""Teardown of EBS volumes: claims -> a wait for the driver's deletions (bounded, loud) -> the add-on."""

from __future__ import annotations

import json

import pytest

from cdk_constructs.ebs_volumes_gone import VOLUME_TAG_KEY, WAIT
from cdk_constructs.handlers import ebs_volumes_gone as handler_module
from tests.synth import manifest_objects_by_name, resolve

WAIT_TYPE = "Custom::EbsVolumesGone"


class StubEc2:
    """describe_volumes answers, one list per call (the last repeats), through a paginator."""

    def __init__(self, *answers: list[dict]) -> None:
        self.answers, self.filters = list(answers), []

    def get_paginator(self, name: str):
        assert name == "describe_volumes"
        return self

    def paginate(self, Filters):  # noqa: N803 (boto3's spelling)
        self.filters.append(Filters)
        volumes = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        return [{"Volumes": volumes[:1]}, {"Volumes": volumes[1:]}]


class Context:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def get_remaining_time_in_millis(self) -> float:
        return self.seconds * 1000


def run(event_type: str, ec2, seconds: float = 600, sleeps: list | None = None):
    sent = []
    event = {"RequestType": event_type, "ResourceProperties": {"TagKey": VOLUME_TAG_KEY, "TagValue": "demo",
                                                               "MarginSeconds": "60"}}
    context = Context(seconds)

    def sleep(duration):
        (sleeps if sleeps is not None else []).append(duration)
        context.seconds -= duration

    original = handler_module.time.sleep
    handler_module.time.sleep = sleep
    try:
        handler_module.handler(event, context, ec2=ec2,
                               send=lambda *args, **kwargs: sent.append((args[2], args[4], kwargs.get("reason"))))
    finally:
        handler_module.time.sleep = original
    (answer,) = sent
    return answer


def volume(volume_id: str, state: str = "available") -> dict:
    return {"VolumeId": volume_id, "State": state}


def test_create_and_update_do_nothing():
    for event_type in ("Create", "Update"):
        ec2 = StubEc2([volume("vol-1")])
        assert run(event_type, ec2) == ("SUCCESS", "ebs-volumes-demo", None)
        assert ec2.filters == []


def test_delete_waits_until_the_volumes_are_gone():
    sleeps: list = []
    ec2 = StubEc2([volume("vol-1", "in-use"), volume("vol-2")], [volume("vol-1", "deleting")],
                  [volume("vol-1", "deleted")])
    assert run("Delete", ec2, sleeps=sleeps) == ("SUCCESS", "ebs-volumes-demo", None)
    assert sleeps == [15, 15]
    assert ec2.filters[0] == [{"Name": f"tag:{VOLUME_TAG_KEY}", "Values": ["demo"]}]


def test_delete_fails_with_the_volume_ids_when_time_runs_out():
    sleeps: list = []
    status, _, reason = run("Delete", StubEc2([volume("vol-2"), volume("vol-1", "in-use")]), seconds=120, sleeps=sleeps)
    assert status == "FAILED"
    assert reason.endswith("vol-1, vol-2") and "delete them by hand" in reason
    assert sum(sleeps) <= 120 - 60, "it answers before the Lambda times out"


def test_an_error_is_answered_not_left_to_time_out():
    class Broken:
        def get_paginator(self, name):
            raise RuntimeError("AccessDenied")

    assert run("Delete", Broken()) == ("FAILED", "ebs-volumes-demo", "AccessDenied")


@pytest.fixture(scope="module")
def prometheus(default):
    return default.nested("prometheus")


def test_teardown_order_claims_then_wait_then_add_on(prometheus):
    resources = prometheus.to_json()["Resources"]
    (addon,) = prometheus.find_resources("AWS::EKS::Addon")
    (wait,) = prometheus.find_resources(WAIT_TYPE)
    storage, _ = manifest_objects_by_name(prometheus)["PersistentVolumeClaim/storage-prometheus-alertmanager-0"]
    # CloudFormation deletes in reverse: the claims before the wait, the wait before the add-on.
    assert addon in resources[wait]["DependsOn"]
    assert wait in resources[storage]["DependsOn"]


def test_the_wait_looks_for_the_tag_the_driver_puts_on_its_volumes(prometheus):
    (addon,) = prometheus.find_resources("AWS::EKS::Addon").values()
    (wait,) = prometheus.find_resources(WAIT_TYPE).values()
    tags = json.loads(resolve(addon["Properties"]["ConfigurationValues"]))["controller"]["extraVolumeTags"]
    assert wait["Properties"]["TagKey"] == VOLUME_TAG_KEY
    assert tags == {VOLUME_TAG_KEY: resolve(wait["Properties"]["TagValue"])}


def test_the_wait_is_bounded_below_the_lambda_limit(prometheus):
    (function,) = [resource for resource in prometheus.find_resources("AWS::Lambda::Function").values()
                   if "EBS CSI" in resource["Properties"].get("Description", "")]
    (wait,) = prometheus.find_resources(WAIT_TYPE).values()
    timeout = function["Properties"]["Timeout"]
    assert timeout == WAIT.to_seconds() + int(wait["Properties"]["MarginSeconds"]) <= 900
    assert len(function["Properties"]["Code"]["ZipFile"]) <= 4096, "inline code limit"


def test_cloudformation_gives_up_soon_after_the_function_would(prometheus):
    """Without ServiceTimeout CloudFormation waits an hour for an answer that never comes."""
    (function,) = [resource for resource in prometheus.find_resources("AWS::Lambda::Function").values()
                   if "EBS CSI" in resource["Properties"].get("Description", "")]
    (wait,) = prometheus.find_resources(WAIT_TYPE).values()
    assert function["Properties"]["Timeout"] < int(wait["Properties"]["ServiceTimeout"]) <= 900 + 120
