"""Settings parsing: defaults, the string forms -c delivers, and every rejected value with its message."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from eks_scaling.parse_settings import parse_config
from eks_scaling.setting_parsers import ConfigError
from eks_scaling.setting_table import DEFAULTS, SETTINGS
from tests.context import with_defaults

ROOT = Path(__file__).resolve().parent.parent


def parse(**overrides):
    return parse_config(with_defaults(overrides))


def test_defaults():
    config = parse()
    assert config.cluster.name == "eks-scaling"
    assert config.cluster.kubernetes_version == "1.35"
    assert config.account is None and config.region is None
    assert config.system_nodes.instance_types == ("m5.large",)
    assert (config.system_nodes.min_size, config.system_nodes.desired_size, config.system_nodes.max_size) == (2, 2, 5)
    assert config.network.nat_gateways == 1
    # No public endpoint unless the operator names who may reach it (issue 19, item 9).
    assert config.cluster.endpoint_access == "private"
    assert config.cluster.public_access_cidrs == ()
    assert config.workload_identity == "pod-identity"
    assert config.enable_metrics_server is True
    assert config.node_autoscaler == "karpenter"
    assert config.karpenter.instance_types == ("c5.large", "m5.large", "m5.xlarge")
    assert config.karpenter.capacity_types == ("on-demand",)
    assert config.karpenter.consolidate_after == "30s"
    assert (config.inflate_replicas, config.tester_replicas) == (0, 0)


def test_every_setting_has_a_default():
    assert list(DEFAULTS) == list(SETTINGS)


def test_cli_strings_are_parsed():
    config = parse(
        enableMetricsServer="False",
        systemNodeMinSize="1",
        systemNodeDesiredSize="3",
        systemNodeMaxSize="10",
        systemNodeInstanceTypes="c5.large, m5.xlarge",
        adminPrincipalArns='["arn:aws:iam::111122223333:role/A","arn:aws:iam::111122223333:user/b"]',
        controlPlaneLogging="",
        workloadIdentity="irsa",
    )
    assert config.enable_metrics_server is False
    assert (config.system_nodes.min_size, config.system_nodes.desired_size, config.system_nodes.max_size) == (1, 3, 10)
    assert config.system_nodes.instance_types == ("c5.large", "m5.xlarge")
    assert config.cluster.admin_principal_arns == (
        "arn:aws:iam::111122223333:role/A", "arn:aws:iam::111122223333:user/b")
    assert config.cluster.logging == ()
    assert config.workload_identity == "irsa"


def test_framework_context_keys_are_not_settings():
    config = parse(**{"aws:cdk:enable-path-metadata": True,
                      "availability-zones:account=111122223333:region=eu-west-1": ["eu-west-1a"]})
    assert config.cluster.name == "eks-scaling"


def test_arm_instance_types_are_detected():
    assert parse(systemNodeInstanceTypes="m7g.large,c6gn.xlarge,t4g.medium").system_nodes.arm
    assert not parse(systemNodeInstanceTypes="g5.xlarge,m5.large").system_nodes.arm


def test_public_endpoint_needs_the_operators_networks_or_an_acknowledgment():
    restricted = parse(endpointAccess="public-and-private", publicAccessCidrs="203.0.113.7/32")
    assert restricted.cluster.public_access_cidrs == ("203.0.113.7/32",)
    for open_to_all in ({"endpointAccess": "public"},
                        {"endpointAccess": "public-and-private", "publicAccessCidrs": "0.0.0.0/0"}):
        accepted = parse(**open_to_all, acknowledgedWarnings="Annotation::eks-scaling:open-endpoint")
        assert accepted.cluster.endpoint_access == open_to_all["endpointAccess"]


def test_env_specific_config():
    config = parse(account="111122223333", region="eu-west-1", availabilityZones="eu-west-1b,eu-west-1c")
    assert (config.account, config.region) == ("111122223333", "eu-west-1")
    assert config.network.availability_zones == ("eu-west-1b", "eu-west-1c")


BAD_INPUT = [
    ({"clusterName": "my cluster!"},
     'invalid setting clusterName="my cluster!": EKS cluster names are 1-100 letters, digits, hyphens and '
     "underscores, starting with a letter or digit"),
    ({"clusterName": "-starts-with-hyphen"}, 'invalid setting clusterName="-starts-with-hyphen"'),
    ({"clusterName": "x" * 101}, "EKS cluster names are 1-100"),
    ({"kubernetesVersion": "1.29"},
     'invalid setting kubernetesVersion="1.29": supported Kubernetes versions are 1.33, 1.34, 1.35, 1.36'),
    ({"kubernetesVersion": 1.35}, 'invalid setting kubernetesVersion=1.35: write the version as a string, e.g. "1.35"'),
    ({"systemNodeInstanceTypes": "m5.large,bogus"},
     "invalid setting systemNodeInstanceTypes=\"m5.large,bogus\": 'bogus' is not an EC2 instance type; "
     "the known ones are in eks_scaling/data/ec2_instance_types.json"),
    ({"caNodeInstanceTypes": "m5.huge"}, "'m5.huge' is not an EC2 instance type (did you mean m5.large?)"),
    ({"systemNodeInstanceTypes": ""}, "give at least one EC2 instance type"),
    ({"systemNodeInstanceTypes": "m5.large,m7g.large"}, "mix of x86_64 and arm64 instance types"),
    ({"systemNodeInstanceTypes": "m5.large,m5.large"}, "the list has duplicates"),
    ({"systemNodeMinSize": "3", "systemNodeDesiredSize": "2"},
     "invalid system node group sizes min=3 desired=2 max=5: "
     "need systemNodeMinSize <= systemNodeDesiredSize <= systemNodeMaxSize"),
    ({"systemNodeMaxSize": "4", "systemNodeDesiredSize": "5"}, "min=2 desired=5 max=4"),
    ({"systemNodeMinSize": "0"}, 'invalid setting systemNodeMinSize="0": expected a whole number from 1 to 450'),
    ({"systemNodeDesiredSize": "two"}, 'invalid setting systemNodeDesiredSize="two": expected a whole number'),
    ({"systemNodeMaxSize": True}, "invalid setting systemNodeMaxSize=true: expected a whole number"),
    # Both ends give the same message, with the range the zones in use allow.
    ({"natGateways": "0"}, 'invalid setting natGateways="0": expected a whole number from 1 to 2 '
                           "(one per availability zone, and 2 zones are used)"),
    ({"natGateways": "3"}, 'invalid setting natGateways="3": expected a whole number from 1 to 2 '
                           "(one per availability zone, and 2 zones are used)"),
    ({"account": "111122223333", "region": "eu-west-1", "availabilityZones": "eu-west-1a,eu-west-1b,eu-west-1c",
      "natGateways": "4"}, "expected a whole number from 1 to 3 (one per availability zone, and 3 zones are used)"),
    ({"endpointAccess": "internal"},
     'invalid setting endpointAccess="internal": expected one of public-and-private, public, private'),
    ({"publicAccessCidrs": "10.0.0.1/8"}, "'10.0.0.1/8' is not an IPv4 CIDR such as 203.0.113.0/24"),
    ({"publicAccessCidrs": "2001:db8::/32"}, "'2001:db8::/32' is not an IPv4 CIDR"),
    ({"endpointAccess": "public-and-private"},
     "setting publicAccessCidrs is empty: endpointAccess=public-and-private needs the networks allowed to reach "
     "the public endpoint (your own, e.g. 203.0.113.7/32), or use endpointAccess=private, the default"),
    ({"endpointAccess": "public-and-private", "publicAccessCidrs": ""}, "setting publicAccessCidrs is empty"),
    # Open to the whole internet: refused unless acknowledged, in each form it can take.
    ({"endpointAccess": "public-and-private", "publicAccessCidrs": "0.0.0.0/0"},
     'invalid setting endpointAccess=public-and-private with publicAccessCidrs=["0.0.0.0/0"]: the cluster\'s API '
     "endpoint would be open to the whole internet (0.0.0.0/0); name your own networks in publicAccessCidrs, or "
     'add "eks-scaling:open-endpoint" to acknowledgedWarnings to accept it'),
    ({"endpointAccess": "public-and-private", "publicAccessCidrs": "203.0.113.0/24,0.0.0.0/0"},
     "would be open to the whole internet"),
    ({"endpointAccess": "public"}, "invalid setting endpointAccess=public: the cluster's API endpoint would be open"),
    ({"endpointAccess": "public", "acknowledgedWarnings": "eks-scaling:no-admin-access"}, "open to the whole"),
    ({"publicAccessCidrs": "1.2.3.4"},
     "invalid setting publicAccessCidrs=\"1.2.3.4\": '1.2.3.4' has no prefix length: write 1.2.3.4/32 for one "
     "address, or a network such as 203.0.113.0/24"),
    ({"endpointAccess": "public", "publicAccessCidrs": "203.0.113.0/24"},
     'invalid setting publicAccessCidrs=["203.0.113.0/24"]: CIDRs can be restricted only with '
     "endpointAccess=public-and-private (with public, nodes or users would be locked out)"),
    ({"endpointAccess": "private", "publicAccessCidrs": "203.0.113.0/24"}, "(with private, nodes or users"),
    ({"adminPrincipalArns": "arn:aws:sts::111122223333:assumed-role/Admin/me"},
     "is not an IAM role or user ARN (arn:aws:iam::123456789012:role/Name)"),
    ({"adminPrincipalArns": '["arn:aws:iam::1:role/x"'}, "expected a JSON list such as"),
    ({"controlPlaneLogging": "api,kubelet"},
     "'kubelet' is not a log type; allowed: api, audit, authenticator, controllerManager, scheduler"),
    ({"workloadIdentity": "kiam"}, 'invalid setting workloadIdentity="kiam": expected one of pod-identity, irsa'),
    ({"enableMetricsServer": "yes"}, 'invalid setting enableMetricsServer="yes": expected true or false'),
    ({"account": "12345"}, 'invalid setting account="12345": expected a 12-digit AWS account id, or empty'),
    ({"region": "Europe"}, 'invalid setting region="Europe": expected an AWS region such as eu-west-1'),
    ({"account": "111122223333"}, "settings account and region go together"),
    ({"availabilityZones": "eu-west-1a,eu-west-1b"}, "availability zones need the account and region settings"),
    ({"account": "111122223333", "region": "eu-west-1", "availabilityZones": "us-east-1a,us-east-1b"},
     "every zone must be in region eu-west-1"),
    ({"account": "111122223333", "region": "eu-west-1", "availabilityZones": "eu-west-1a"},
     "give two to 6 availability zones of the region"),
    ({"account": "111122223333", "region": "eu-west-1", "availabilityZones": "eu-west-1a,west"},
     "'west' is not an availability zone name such as eu-west-1a"),
    ({"account": "111122223333", "region": "eu-west-1"},
     "setting availabilityZones is empty: with region=eu-west-1, list two or more of its zones that your account "
     "has and EKS supports (aws ec2 describe-availability-zones --region eu-west-1), "
     'e.g. ["eu-west-1a","eu-west-1b"]'),
    ({"nodeAutoscaler": "keda"},
     'invalid setting nodeAutoscaler="keda": expected one of karpenter, cluster-autoscaler, both, auto-mode, none'),
    ({"karpenterInstanceTypes": "c5.large,huge"}, "'huge' is not an EC2 instance type"),
    ({"karpenterCapacityTypes": "reserved"},
     'invalid setting karpenterCapacityTypes="reserved": expected one or both of on-demand, spot'),
    ({"karpenterCapacityTypes": ""}, "expected one or both of on-demand, spot"),
    ({"karpenterAmiAlias": "al2@latest"},
     'invalid setting karpenterAmiAlias="al2@latest": expected al2023@latest or a pinned al2023@vYYYYMMDD'),
    ({"karpenterCpuLimit": "0"}, "invalid setting karpenterCpuLimit=\"0\": expected a whole number from 1 to "),
    ({"karpenterMemoryLimit": "1000GB"}, "expected a memory quantity from 1Gi to "),
    ({"karpenterConsolidateAfter": "30"}, "expected a duration from 0s to 2562047h"),
    ({"karpenterControllerCpu": "one"}, "expected a CPU quantity from 100m to "),
    ({"karpenterControllerMemory": "1G"}, "expected a memory quantity from 256Mi to "),
    ({"caNodeInstanceTypes": "m5.large,c7g.large"}, "mix of x86_64 and arm64 instance types"),
    ({"caNodeMinSize": "6"}, "invalid Cluster Autoscaler node group sizes min=6 max=5: need caNodeMinSize <= caNodeMaxSize"),
    ({"clusterAutoscalerExpander": "priority"},
     "expected one of least-waste, random, most-pods, least-nodes"),
    ({"clusterAutoscalerScaleDownUnneededTime": "ten minutes"}, "expected a duration from 0s to 2562047h"),
    ({"inflateReplicas": "-1"}, "expected a whole number from 0 to 150000"),
    ({"nodeAutoscaler": "cluster-autoscaler", "inflateReplicas": "5"},
     "invalid setting inflateReplicas=5: the inflate demo runs on Karpenter's nodes, "
     "and nodeAutoscaler=cluster-autoscaler has no Karpenter"),
    ({"testerReplicas": "150"},
     "invalid setting testerReplicas=150: the tester demo runs on the Cluster Autoscaler's nodes, "
     "and nodeAutoscaler=karpenter has none"),
    ({"nodeAutoscaler": "none", "testerReplicas": "1"}, "and nodeAutoscaler=none has none"),
    ({"enableKeda": "true", "enablePrometheus": "false"},
     "invalid settings enableKeda=true with enablePrometheus=false: KEDA's trigger queries the Prometheus server"),
    ({"loadGenerators": "true", "enableMetricsServer": "false", "enablePrometheus": "false", "enableKeda": "false"},
     "invalid setting loadGenerators=true: there is no demo to load"),
    ({"prometheusRetention": "15 days"}, "expected a retention from 2h to 100y"),
    ({"prometheusVolumeSize": "8G"}, 'invalid setting prometheusVolumeSize="8G": expected a volume size from 1Gi to 64Ti'),
    ({"alertmanagerVolumeSize": ""}, "expected a volume size from 1Gi to 64Ti"),
    ({"alertPendingPodsFor": "30s"},
     'invalid setting alertPendingPodsFor="30s": expected a duration from 1m to 24h (an alert waits at least a minute'),
    ({"alertAtMaxFor": "25h"}, "expected a duration from 1m to 24h"),
    ({"alertMetricUnavailableFor": "5 min"}, 'invalid setting alertMetricUnavailableFor="5 min": expected a duration'),
    ({"alertNodePoolLimitPercent": "101"},
     'invalid setting alertNodePoolLimitPercent="101": expected a whole number from 50 to 100'),
    ({"logRetentionDays": "100"}, "invalid setting logRetentionDays=\"100\": expected one of 1, 3,"),
    ({"vpcFlowLogs": "on"}, 'invalid setting vpcFlowLogs="on": expected true or false'),
    ({"clusterNmae": "x"}, "unknown setting clusterNmae (did you mean clusterName?); docs/settings.md lists every setting"),
]


@pytest.mark.parametrize(("overrides", "message"), BAD_INPUT, ids=[str(case[0]) for case in BAD_INPUT])
def test_bad_input_is_rejected_with_a_clear_message(overrides, message):
    with pytest.raises(ConfigError) as error:
        parse(**overrides)
    assert message in str(error.value)
    assert "\n" not in str(error.value)


@pytest.mark.parametrize("key", ["natGateways", "clusterName", "pipeline"])
def test_null_setting_says_null_not_missing(key):
    with pytest.raises(ConfigError, match=f"^invalid setting {key}=null: null is not a value; give one"):
        parse(**{key: None})


def test_null_in_cdk_json_is_not_reported_as_missing(monkeypatch):
    # CDK drops null context values before the app reads them: the setting arrives absent.
    import eks_scaling.parse_settings
    monkeypatch.setattr(eks_scaling.parse_settings, "cdk_json_context", lambda: {**DEFAULTS, "natGateways": None})
    context = with_defaults({})
    del context["natGateways"]
    with pytest.raises(ConfigError, match="^invalid setting natGateways=null: null is not a value"):
        parse_config(context)


def test_missing_setting_is_an_error():
    context = with_defaults({})
    del context["natGateways"]
    with pytest.raises(ConfigError, match=r"setting natGateways is missing; cdk.json lists every setting \(its default: 1\)"):
        parse_config(context)


@pytest.mark.parametrize(("overrides", "message"), [
    ({"kubernetesVersion": "1.29"},
     'error: invalid setting kubernetesVersion="1.29": supported Kubernetes versions are 1.33, 1.34, 1.35, 1.36'),
    ({"nodeAutoscalr": "karpenter"},
     "error: unknown setting nodeAutoscalr (did you mean nodeAutoscaler?); docs/settings.md lists every setting"),
])
def test_app_exits_with_one_line_and_no_traceback(overrides, message):
    # The CDK CLI hands its context to the app in CDK_CONTEXT_JSON; it takes precedence over cdk.json.
    result = subprocess.run(
        [sys.executable, "app.py"], cwd=ROOT, capture_output=True, text=True, timeout=120,
        env={**os.environ, "CDK_CONTEXT_JSON": json.dumps(with_defaults(overrides))},
    )
    assert result.returncode == 1
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_settings_load_without_aws_cdk_lib():
    # The offline planner and the verification script parse settings without starting jsii.
    code = ("import sys, eks_scaling.parse_settings, eks_scaling.pipeline_config, scripts.verify_cluster; "
            "sys.exit('aws_cdk' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT, timeout=60).returncode == 0


def test_version_warnings_say_how_to_acknowledge_them():
    from eks_scaling.versions import MATRIX
    from tests.test_versions import MATRIX_DAY
    config = parse(kubernetesVersion="1.36")
    assert config.version_warnings(MATRIX["1.36"], MATRIX_DAY) == ((
        "eks-scaling:keda",
        "KEDA 2.20.2 is tested upstream on Kubernetes 1.33-1.35, not 1.36; to acknowledge it, add "
        '"eks-scaling:keda" to the acknowledgedWarnings setting (cdk.json or -c)'),)
    # The id as the CDK CLI prints it ("Acknowledge with 'Annotation::eks-scaling:keda'") works too.
    for given in ("eks-scaling:keda", "Annotation::eks-scaling:keda"):
        acknowledged = parse(kubernetesVersion="1.36", acknowledgedWarnings=given)
        assert acknowledged.version_warnings(MATRIX["1.36"], MATRIX_DAY) == ()


def test_every_component_has_a_warning_id():
    from eks_scaling.setting_parsers import COMPONENTS
    assert parse().enabled_components <= set(COMPONENTS)
    with pytest.raises(ConfigError, match="'eks-scaling:istio' is not a warning of this app; allowed: eks-scaling:eks,"):
        parse(acknowledgedWarnings="eks-scaling:istio")
