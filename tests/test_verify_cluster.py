"""The post-deploy verification's decision logic, on API responses in the shape the cluster returns:
healthy, and each way it fails."""

from __future__ import annotations

import copy
import http.server
import json
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from eks_scaling.manifests import load_manifest
from eks_scaling.parse_settings import parse_config
from scripts import verify_cluster
from scripts.verify_cluster import evaluate, report
from tests.context import with_defaults
from tests.fakes import executable

ROOT = Path(__file__).resolve().parent.parent
HEALTHY = json.loads((Path(__file__).parent / "fixtures" / "verify_healthy.json").read_text())
KEDA_HPA = "/apis/autoscaling/v2/namespaces/podinfo-keda/horizontalpodautoscalers/keda-hpa-podinfo-keda"
NODE_POOL = "/apis/karpenter.sh/v1/nodepools/default"


def config(**overrides):
    return parse_config(with_defaults(overrides))


def run(responses, **overrides):
    return evaluate(config(**overrides), lambda path: copy.deepcopy(responses.get(path)))


def failed(checks) -> dict[str, str]:
    return {check.name: check.detail for check in checks if not check.ok}


def test_healthy_default_cluster_passes_every_check():
    checks = run(HEALTHY)
    assert failed(checks) == {}
    names = [check.name for check in checks]
    assert "Deployments of kube-system/karpenter Available" in names
    assert "APIService v1beta1.external.metrics.k8s.io" in names
    assert "HPA podinfo-keda/keda-hpa-podinfo-keda reports current metrics" in names
    assert "Karpenter NodePool default Ready" in names
    assert len(checks) == 13
    assert report(checks).endswith("13 passed, 0 failed")


def test_only_enabled_components_are_checked():
    checks = run(HEALTHY, nodeAutoscaler="cluster-autoscaler", enablePrometheus="false", enableKeda="false")
    assert [check.name for check in checks] == [
        "Deployments of kube-system/metrics-server Available",
        "Deployments of kube-system/cluster-autoscaler Available",
        "APIService v1beta1.metrics.k8s.io",
        "HPA php-apache/php-apache reports current metrics",
    ]
    assert failed(checks) == {}


def test_unavailable_controller_fails():
    responses = copy.deepcopy(HEALTHY)
    path = "/apis/apps/v1/namespaces/kube-system/deployments?labelSelector=app.kubernetes.io/instance%3Dkarpenter"
    responses[path]["items"][0]["status"]["conditions"][0].update(status="False", reason="MinimumReplicasUnavailable")
    assert failed(run(responses)) == {
        "Deployments of kube-system/karpenter Available": "karpenter: Available=False (MinimumReplicasUnavailable)"}


def test_missing_controller_fails():
    responses = copy.deepcopy(HEALTHY)
    responses["/apis/apps/v1/namespaces/keda/deployments?labelSelector=app.kubernetes.io/instance%3Dkeda"]["items"] = []
    assert failed(run(responses)) == {"Deployments of keda/keda Available": "no Deployment with that release label"}


def test_unavailable_metrics_api_fails():
    responses = copy.deepcopy(HEALTHY)
    condition = responses["/apis/apiregistration.k8s.io/v1/apiservices/v1beta1.custom.metrics.k8s.io"]["status"][
        "conditions"][0]
    condition.update(status="False", reason="FailedDiscoveryCheck")
    assert failed(run(responses)) == {"APIService v1beta1.custom.metrics.k8s.io": "Available=False (FailedDiscoveryCheck)"}


def test_hpa_without_current_metrics_fails():
    responses = copy.deepcopy(HEALTHY)
    responses[KEDA_HPA]["status"]["currentMetrics"] = None
    del responses["/apis/autoscaling/v2/namespaces/podinfo/horizontalpodautoscalers/podinfo"]
    assert failed(run(responses)) == {
        "HPA podinfo-keda/keda-hpa-podinfo-keda reports current metrics": "no current metric values yet",
        "HPA podinfo/podinfo reports current metrics": "not found",
    }


def test_scaled_object_not_ready_fails():
    responses = copy.deepcopy(HEALTHY)
    ready = responses["/apis/keda.sh/v1alpha1/namespaces/podinfo-keda/scaledobjects/podinfo-keda"]["status"][
        "conditions"][0]
    ready.update(status="False", reason="ScaledObjectCheckFailed")
    assert failed(run(responses)) == {
        "ScaledObject podinfo-keda/podinfo-keda Ready": "Ready=False (ScaledObjectCheckFailed)"}


@pytest.mark.parametrize(("change", "detail"), [
    (lambda pool: pool["status"]["conditions"][2].update(status="False", reason="NodeClassNotReady"),
     "Ready=False (NodeClassNotReady)"),
    (lambda pool: pool["status"].update(conditions=[]), "no Ready condition yet"),
])
def test_node_pool_not_ready_fails(change, detail):
    responses = copy.deepcopy(HEALTHY)
    change(responses[NODE_POOL])
    assert failed(run(responses)) == {"Karpenter NodePool default Ready": detail}


def test_report_names_every_failure():
    responses = copy.deepcopy(HEALTHY)
    del responses[NODE_POOL]
    text = report(run(responses))
    assert "FAIL  Karpenter NodePool default Ready: not found" in text
    assert text.endswith("12 passed, 1 failed")


def _permission(path: str) -> tuple[str, str, str, str | None]:
    """(API group, resource, verb, name or None) that a GET of this API path needs."""
    parts = path.split("?")[0].strip("/").split("/")
    group, rest = (parts[1], parts[3:]) if parts[0] == "apis" else ("", parts[2:])
    if rest[0] == "namespaces":
        rest = rest[2:]
    return (group, rest[0], "get", rest[1]) if len(rest) > 1 else (group, rest[0], "list", None)


def _granted(rules: list[dict]) -> set[tuple[str, str, str, str | None]]:
    return {(group, resource, verb, name) for rule in rules for group in rule["apiGroups"]
            for resource in rule["resources"] for verb in rule["verbs"]
            for name in rule.get("resourceNames") or [None]}


def test_verifier_cluster_role_grants_exactly_what_the_script_reads():
    """manifests/verifier-rbac.yaml against every request the checks make, every component enabled."""
    paths: set[str] = set()
    for overrides in ({}, {"nodeAutoscaler": "both"}):
        evaluate(config(**overrides), lambda path: paths.add(path) or copy.deepcopy(HEALTHY.get(path)))
    cluster_role, _ = load_manifest("verifier-rbac", group="verifiers")
    assert _granted(cluster_role["rules"]) == {_permission(path) for path in paths}


def _run_script(tmp_path, *args: str, aws: str | None = None) -> subprocess.CompletedProcess:
    """`python3 -m scripts.verify_cluster` with only a fake `aws` (or none) on PATH."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    if aws is not None:
        executable(bin_dir / "aws", aws)
    return subprocess.run([sys.executable, "-m", "scripts.verify_cluster", *args], capture_output=True, text=True,
                          cwd=ROOT, env={"PATH": str(bin_dir), "HOME": str(tmp_path)}, timeout=60)


NO_CREDENTIALS = ('echo "" >&2; echo "Unable to locate credentials. You can configure credentials by running '
                  '\\"aws configure\\"." >&2; exit 253')
NO_CLUSTER = ('echo "An error occurred (ResourceNotFoundException) when calling the DescribeCluster operation: '
              'No cluster found for name: eks-scaling." >&2; exit 254')


@pytest.mark.parametrize(("args", "aws", "message"), [
    ([], NO_CREDENTIALS, "error: `aws eks describe-cluster` failed: Unable to locate credentials. You can configure "
                         'credentials by running "aws configure"; configure credentials with `aws configure`'),
    ([], NO_CLUSTER, "No cluster found for name: eks-scaling; check the cluster's name (clusterName in --settings"),
    ([], None, "error: the AWS CLI (`aws`) is not on PATH: install AWS CLI v2"),
    (["--settings", "[1]"], NO_CREDENTIALS, "error: --settings=[1]: give a JSON object of setting overrides"),
    (["--settings", "{"], NO_CREDENTIALS, "error: --settings is not JSON (Expecting property name"),
    (["--settings", '{"natGateways": 0}'], NO_CREDENTIALS, "error: invalid setting natGateways=0"),
], ids=["no credentials", "no cluster", "no aws", "settings not an object", "settings not JSON", "bad setting"])
def test_cannot_run_ends_in_one_line_and_exit_2(tmp_path, args, aws, message):
    result = _run_script(tmp_path, "--region", "eu-west-1", *args, aws=aws)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr.startswith("error: ") and message in result.stderr, result.stderr
    assert result.stderr.count("\n") == 1


@pytest.fixture
def api(monkeypatch):
    """kubernetes_api against a local HTTP server answering every path with the status in `answer`."""
    answer = {"status": 200}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(answer["status"])
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    endpoint = {"url": f"http://127.0.0.1:{server.server_port}"}
    monkeypatch.setattr(verify_cluster.ssl, "create_default_context", lambda **_: None)
    monkeypatch.setattr(verify_cluster, "_aws", lambda *args: {
        "cluster": {"endpoint": endpoint["url"], "certificateAuthority": {"data": ""}, "status": "ACTIVE"},
        "status": {"token": "t"}})
    yield answer, endpoint
    server.shutdown()


@pytest.mark.parametrize(("status", "message"), [
    (403, "the cluster's API refused /apis/x (403 Forbidden): the caller needs an access entry on the cluster"),
    (500, "the cluster's API answered /apis/x with 500 Internal Server Error"),
])
def test_api_errors_say_what_is_wrong(api, status, message):
    api[0]["status"] = status
    with pytest.raises(verify_cluster.VerifyError, match=re.escape(message)):
        verify_cluster.kubernetes_api("demo", "eu-west-1")("/apis/x")


def test_api_answers_and_not_found(api):
    get = verify_cluster.kubernetes_api("demo", "eu-west-1")
    assert get("/apis/x") == {}
    api[0]["status"] = 404
    assert get("/apis/x") is None


def test_unreachable_endpoint_says_where_to_run_from(api):
    api[1]["url"] = "http://127.0.0.1:9"  # the discard port: nothing listens there
    with pytest.raises(verify_cluster.VerifyError, match="^cannot reach the cluster's endpoint http://127.0.0.1:9 "
                                                         r"\(.*\): run from a network that endpointAccess"):
        verify_cluster.kubernetes_api("demo", "eu-west-1")("/apis/x")
