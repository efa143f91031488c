"""The bad-input table (issue 19, "Input edges"): what a new user may type or hand over, at every entry point,
with the one line each must get. tests/test_bad_inputs.py runs every row; a row passes only when the entry
point answers with exactly one line holding `expect`, without a traceback, a hang or a silent acceptance.

Causes: 1 typed text not ASCII or with a trailing newline; 2 a malformed cdk.json (or other JSON a user
edits); 3 an answer of a server or the AWS CLI of an unexpected shape; 4 work without an upper bound;
5 settings CDK would drop silently; 6 semantics offline data can check; 7 make bench and make crds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tests.fake_servers import RESET, SILENT, http
from tests.synth import PIPELINE


@dataclass(frozen=True)
class Case:
    cause: int
    entry: str  # which runner of tests/test_bad_inputs.py
    given: Any
    expect: str

    @property
    def id(self) -> str:
        return f"{self.cause}-{self.entry}-{str(self.given)[:60]}"


ARABIC_ACCOUNT = "١١١١٢٢٢٢٣٣٣٣"  # Arabic-Indic digits: Python's \d and int() take them
FULLWIDTH = "１２"
ENV = {"account": "111122223333", "region": "eu-west-1", "availabilityZones": ["eu-west-1a", "eu-west-1b"]}
ROLE = "arn:aws:iam::111122223333:role/Admin"


def _pipeline(**changes: Any) -> dict[str, Any]:
    return {"pipeline": {**PIPELINE, **changes}}


TYPED_TEXT = [
    Case(1, "synth", {**ENV, "account": ARABIC_ACCOUNT}, "invalid setting account="),
    Case(1, "synth", {**ENV, "region": "eu-west-١"}, "invalid setting region="),
    Case(1, "synth", {**ENV, "availabilityZones": ["eu-west-1a\n", "eu-west-1b"]}, "is not an availability zone name"),
    Case(1, "synth", {"karpenterAmiAlias": "al2023@v٢٠٢٥٠١٠١"}, "invalid setting karpenterAmiAlias="),
    Case(1, "synth", {"adminPrincipalArns": [ROLE + "\n"]}, "is not an IAM role or user ARN"),
    Case(1, "synth", {"adminPrincipalArns": [f"arn:aws:iam::{ARABIC_ACCOUNT}:role/Admin"]},
         "is not an IAM role or user ARN"),
    Case(1, "synth", {"adminPrincipalArns": ["arn:aws:iam::111122223333:role/Ädmin"]}, "is not an IAM role or user ARN"),
    Case(1, "synth", {"clusterName": "démo"}, "invalid setting clusterName="),
    Case(1, "synth", {"prometheusVolumeSize": "٨Gi"}, "invalid setting prometheusVolumeSize="),
    Case(1, "synth", {"testerReplicas": FULLWIDTH, "nodeAutoscaler": "both"}, "invalid setting testerReplicas="),
    Case(1, "synth", _pipeline(repository="acme/eks-scaling\n"), "invalid setting pipeline.repository="),
    Case(1, "synth", _pipeline(branch="main\n"), "invalid setting pipeline.branch="),
    Case(1, "synth", _pipeline(branch="mäin"), "invalid setting pipeline.branch="),
    Case(1, "synth", _pipeline(account=ARABIC_ACCOUNT), "invalid setting pipeline.account="),
    Case(1, "planner", ["--hours", FULLWIDTH], "--hours takes a number, got '１２'"),
    Case(1, "planner", ["--latency", "ca-node-ready=٩٠s"], "is not a duration"),
    Case(1, "planner", ["--seed", "٧"], "argument --seed: expected a whole number, got '٧'"),
    Case(1, "planner", ["--csv", "{file}", "", "time_s,inflate\n0,١٠\n"], "inflate is not a number: '١٠'"),
    Case(1, "planner", ["--replay", "{url}", "--from", "١٧٠٠٠٠٠٠٠٠", "--to", "1700003600"],
         "--from '١٧٠٠٠٠٠٠٠٠': expected an RFC 3339 time"),
    Case(1, "verify", {"argv": ["--interval", "١٥"]}, "argument --interval: expected whole seconds from 1 to 300"),
    Case(1, "verify", {"argv": ["--region", "eu-west-١"]}, "--region 'eu-west-١' is not an AWS region"),
]

# Each malformed cdk.json, through every entry point that reads cdk.json.
BAD_CDK_JSON = [
    (b'{"context": {"clusterName": "x",}}', ":1:33: not valid JSON"),
    (b'{"context": {"clusterName": "\xe9"}}', "not UTF-8 text (byte 29)"),
    (b'{"app": "python3 app.py"}', 'no "context" object of settings'),
    (b'{"context": {"headroom": 1e400}}', "the number 1e400 is out of range"),
    (b'{"context": {"headroom": NaN}}', "NaN is not a JSON number"),
    (b'{"context": ' + b"[" * 100000 + b"]" * 100000 + b"}", "nested too deeply to read"),
    (b"[]", 'no "context" object of settings'),
]
CDK_JSON_VALUES = [
    Case(2, "check-aws", b'{"context": {"region": 5}}', 'cdk.json: region is 5, not an AWS region'),
    Case(2, "check-aws", b'{"context": {"region": ["eu-west-1"]}}', 'cdk.json: region is ["eu-west-1"], not an AWS'),
    Case(2, "check-aws", b'{"context": {"region": "eu-west-1", "account": 111122223333}}',
         "cdk.json: account is 111122223333, not a 12-digit account id"),
    Case(2, "doctor", b'{"context": {"region": "mars-1"}}', 'cdk.json: region is "mars-1", not an AWS region'),
    Case(2, "doctor", b'{"context": {"region": "eu-west-1", "clusterName": 7}}', "no clusterName setting"),
]
CDK_JSON_READERS = ("synth-file", "check-cdk-json", "check-aws", "doctor", "verify-file", "planner-file")
CDK_JSON_FILES = [Case(2, entry, content, expect) for content, expect in BAD_CDK_JSON for entry in CDK_JSON_READERS]


def _vector(value: Any) -> bytes:
    return http({"status": "success", "data": {"resultType": "vector", "result": [{"metric": {}, "value": [1, value]}]}})


SERVER_ANSWERS = [
    Case(3, "prometheus", http([1, 2]), "did not answer like Prometheus (no JSON object from /api/v1/query)"),
    Case(3, "prometheus", http("up"), "did not answer like Prometheus (no JSON object"),
    Case(3, "prometheus", http(42), "did not answer like Prometheus (no JSON object"),
    Case(3, "prometheus", http({"status": "success"}), "did not answer like Prometheus (no data from /api/v1/query)"),
    Case(3, "prometheus", http({"status": "success", "data": [1]}), "an unexpected shape from /api/v1/query"),
    Case(3, "prometheus", http({"status": "success", "data": {"resultType": "vector", "result": [{"value": [1]}]}}),
         "an unexpected shape from /api/v1/query"),
    Case(3, "prometheus", _vector("many"), "answered a sample that is not a number: 'many'"),
    Case(3, "prometheus", _vector("NaN"), "answered a sample of 'NaN'"),
    Case(3, "prometheus", _vector("+Inf"), "answered a sample of '+Inf'"),
    Case(3, "prometheus", http(b"<html>proxy login</html>"), "did not answer like Prometheus (no JSON object"),
    Case(3, "prometheus", http([1], status=500), "answered HTTP 500"),
    Case(3, "prometheus", b"SSH-2.0-OpenSSH_9.6\r\n", "did not answer in HTTP (BadStatusLine)"),
    Case(3, "prometheus", RESET, "is unreachable ("),
    Case(3, "prometheus", SILENT, "is unreachable (timed out)"),
    Case(3, "calibrate", {"sum": "1796461200", "count": "1"}, "karpenter-node-ready = 1796461200.0 s"),
    Case(3, "calibrate", {"sum": "-50", "count": "1"}, "karpenter-node-ready = -50.0 s over 1 samples"),
    Case(3, "calibrate", {"sum": "5", "count": "NaN"}, "answered a sample of 'NaN'"),
    Case(3, "planner", ["--calibration", "{file}", "", '{"latencies": {"ca-node-ready": 1796461200}}'],
         "ca-node-ready must be a number of seconds from 0 to 3600, got 1796461200"),
    Case(3, "verify", {"describe": {"cluster": {"status": "CREATING"}}}, "cluster eks-scaling is CREATING, not ACTIVE"),
    Case(3, "verify", {"describe": {"cluster": {"status": "ACTIVE", "endpoint": "{url}",
                                                "certificateAuthority": {"data": "not base64!"}}}},
         "certificate authority from describe-cluster is unusable (Error)"),
    Case(3, "verify", {"describe": {"cluster": {"status": "ACTIVE", "endpoint": "{url}",
                                                "certificateAuthority": {"data": "aGVsbG8="}}}},
         "certificate authority from describe-cluster is unusable (SSLError)"),
    Case(3, "verify", {"describe": {"cluster": {"status": "ACTIVE"}}}, "the AWS CLI answered without endpoint"),
    Case(3, "verify", {"describe": [1]}, "the AWS CLI answered without cluster"),
    Case(3, "verify", {"api": http([1])}, "answered /apis/apps/v1/namespaces/kube-system/deployments?labelSelector"),
    Case(3, "verify", {"api": b"SSH-2.0-OpenSSH_9.6\r\n"}, "cannot reach the cluster's endpoint"),
    Case(3, "verify", {"api": RESET}, "cannot reach the cluster's endpoint"),
    Case(3, "verify", {"api": http(b"{")}, "with something other than a JSON object"),
    Case(3, "verify-report", {"items": [1, {"metadata": 5, "status": {"conditions": "Available"}}]},
         "FAIL  Deployments of kube-system/metrics-server Available: ?: no Available condition yet"),
    Case(3, "verify-report", {"items": "all", "status": {"conditions": [1, {"type": "Available"}],
                                                         "currentMetrics": [{"type": "Resource", "resource": 3}]}},
         "FAIL  HPA php-apache/php-apache reports current metrics: no current metric values yet"),
    Case(3, "verify-report", {"status": {"conditions": {"type": "Ready"}}},
         "FAIL  Karpenter NodePool default Ready: no Ready condition yet"),
    Case(3, "verify", {"argv": ["--interval", "-1"]}, "argument --interval: expected whole seconds from 1 to 300"),
    Case(3, "aws-cli", "echo 'not json'", "answered something other than JSON"),
]

UNBOUNDED = [
    Case(4, "planner", ["--replay", "{url}", "--from", "2025-01-01T00:00:00Z", "--to", "2026-01-01T00:00:00Z"],
         "spans 8760 h; a replay plans at most 744 h"),
    Case(4, "planner", ["--calibrate", "{url}", "--since", "400d"],
         "--since 400d is longer than Prometheus keeps samples (prometheusRetention=15d)"),
    Case(4, "planner", ["--csv", "{file}", "", "time_s,tester\n0,150001\n"],
         "tester asks for 150001 replicas; the testerReplicas setting's cap is 150000"),
    Case(4, "planner", ["--sweep", "headroom=0,1,2,3,4", "--sweep", "karpenterCpuLimit=10,20,30,40,50",
                        "--sweep", "caNodeMaxSize=2,3,4"], "--sweep plans 75 combinations (5 headroom x 5"),
    Case(4, "planner", ["--sweep", "headroom=0,1", "--max-combinations", "100000"],
         "--max-combinations takes a whole number from 1 to 4096"),
    Case(4, "planner", ["--latency", "ca-node-ready=999h"], "--latency ca-node-ready=999h is longer than 3600 s"),
    Case(4, "verify", {"argv": ["--wait", "86400"]}, "argument --wait: expected whole seconds from 0 to 3600"),
    Case(4, "bench", ["synth_time.py", "1000"], "RUNS=1000: give a whole number of runs from 1 to 50"),
]

DROPPED = [
    Case(5, "synth", {"eks-scaling:clusterName": "prod"}, "unknown setting eks-scaling:clusterName (did you mean "
                                                          "clusterName?)"),
    Case(5, "synth", {"eks-scaling:headroom": 2}, "unknown setting eks-scaling:headroom (did you mean headroom?)"),
    Case(5, "synth", {"clusterName:prod": "x"}, "unknown setting clusterName:prod"),
    Case(5, "synth", {"aws:clusterName": "x"}, "unknown setting aws:clusterName"),
    Case(5, "cdk-args", ("deploy", "-c clusterName"), "-c clusterName is not KEY=VALUE"),
    Case(5, "cdk-args", ("deploy", "--frobnicate"), "--frobnicate is not an option of cdk deploy"),
    Case(5, "cdk-args", ("synth", "--all"), "--all is not an option of cdk synth"),
    Case(5, "cdk-args", ("deploy", "-c eks-scaling:clusterName=prod"), "unknown setting eks-scaling:clusterName"),
    Case(5, "cdk-args", ("diff", "-c clusterName=demo EksScalingStack"), "-c EksScalingStack is not KEY=VALUE"),
    Case(5, "cdk-args", ("deploy", "-c 'clusterName=demo"), "No closing quotation"),
    Case(5, "cdk-args", ("destroy", "-x"), "-x is not an option of cdk destroy"),
    Case(5, "planner", ["-c", "eks-scaling:clusterName=prod"], "unknown setting eks-scaling:clusterName"),
]

_BUDGET = {"nodes": "10%", "duration": "8h"}
SEMANTICS = [
    Case(6, "synth", {**ENV, "region": "eu-fake-1", "availabilityZones": ["eu-fake-1a", "eu-fake-1b"]},
         "invalid setting region=\"eu-fake-1\": expected an AWS region"),
    Case(6, "synth", _pipeline(region="us-west-9"), "invalid setting pipeline.region="),
    Case(6, "synth", {"karpenterAmiAlias": "al2023@v20991231"}, "al2023@v20991231 is dated after today"),
    Case(6, "synth", {"karpenterAmiAlias": "al2023@v20251399"}, "al2023@v20251399 names no calendar date"),
    Case(6, "synth", {"karpenterDisruptionBudgets": [{**_BUDGET, "schedule": "99 9 * * *"}]},
         "the minute field '99' is outside 0-59"),
    Case(6, "synth", {"karpenterDisruptionBudgets": [{**_BUDGET, "schedule": "a b c d e"}]}, "is outside 0-59"),
    Case(6, "synth", {"karpenterDisruptionBudgets": [{**_BUDGET, "schedule": "0 9 * * 7"}]},
         "the day of week field '7' is outside 0-6"),
    Case(6, "synth", {"karpenterDisruptionBudgets": [{**_BUDGET, "schedule": "@often"}]}, "@often is not one of"),
    Case(6, "synth", {"publicAccessCidrs": ["10.0.0.0/8"]}, "'10.0.0.0/8' is a private, loopback or reserved range"),
    Case(6, "synth", {"publicAccessCidrs": ["203.0.113.0/24", "127.0.0.1/32"]}, "'127.0.0.1/32' is a private"),
    Case(6, "synth", {"publicAccessCidrs": ["192.168.1.0/24"]}, "is a private, loopback or reserved range"),
    Case(6, "planner", ["--prices", "{file}", "", '{"m5.large": 1e300}'], "the price of m5.large, 1e+300 USD/hour, "
                                                                         "is over 10000"),
    Case(6, "planner", ["--csv", "{file}", "", "time_s,inflate\n0,1_000\n"], "inflate is not a number: '1_000'"),
    Case(6, "planner", ["--hours", "1_0"], "--hours takes a number, got '1_0'"),
]

BENCH_AND_CRDS = [
    Case(7, "bench", ["synth_time.py", "0"], "RUNS=0: give a whole number of runs from 1 to 50"),
    Case(7, "bench", ["synth_time.py", "²"], "RUNS=²: give a whole number of runs"),
    Case(7, "bench", ["synth_time.py", "-1"], "RUNS=-1: give a whole number of runs"),
    Case(7, "bench-synth", "import sys; sys.exit('error: invalid setting clusterName=\\'x!\\'')",
         "cdk synth of the default app failed (exit 1): error: invalid setting clusterName="),
    Case(7, "crds", "missing", "no bare clone of aws/karpenter-provider-aws at"),
    Case(7, "crds", "not a clone", "no bare clone of aws/karpenter-provider-aws at"),
]

CASES = TYPED_TEXT + CDK_JSON_FILES + CDK_JSON_VALUES + SERVER_ANSWERS + UNBOUNDED + DROPPED + SEMANTICS + BENCH_AND_CRDS
