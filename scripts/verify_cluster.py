"""Post-deploy verification: prove that every enabled scaler of a deployed cluster works.

Checks, for the components the settings enable:
- each controller's Deployments are Available (metrics-server, Karpenter, Cluster Autoscaler,
  Prometheus, prometheus-adapter, KEDA);
- the metrics APIServices are Available (metrics.k8s.io, custom.metrics.k8s.io, external.metrics.k8s.io);
- the demo HPAs report current metric values, and the ScaledObject is Ready;
- Karpenter's NodePool is Ready.

It reads the cluster through the Kubernetes API with a token from `aws eks get-token`, so it needs the
AWS CLI and credentials that map to a cluster access entry, and nothing else (standard library only).
By hand:   python3 -m scripts.verify_cluster --region eu-west-1 [--settings '{"clusterName": "x"}'] [--wait 600]
Exit code: 0 when every check passes, 1 otherwise, with a report either way; 2 with one line saying what
to fix when the checks cannot run (no AWS CLI, no credentials, an unreachable endpoint, bad --settings).
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import ssl
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any, Callable, Iterator

from eks_scaling.aws_regions import REGION_NAME
from eks_scaling.cdk_json import CdkJsonError, cdk_json_context
from eks_scaling.parse_settings import parse_config
from eks_scaling.setting_parsers import ConfigError
from eks_scaling.settings import AppConfig
from eks_scaling.typed_text import ascii_pattern, full_match
from scripts.aws_cli import AwsCliError, aws

_WHOLE = ascii_pattern(r"[0-9]+")
Get = Callable[[str], "dict[str, Any] | None"]  # API path -> object, or None when not found


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


def _controllers(config: AppConfig) -> Iterator[tuple[str, str]]:
    """(namespace, Helm release) of each enabled controller; charts label their objects with the release."""
    flags = [
        (config.enable_metrics_server, "kube-system", "metrics-server"),
        (config.enable_karpenter, "kube-system", "karpenter"),
        (config.enable_cluster_autoscaler, "kube-system", "cluster-autoscaler"),
        (config.enable_prometheus, "prometheus", "prometheus"),
        (config.enable_prometheus, "prometheus", "prometheus-adapter"),
        (config.enable_keda, "keda", "keda"),
    ]
    return ((namespace, release) for enabled, namespace, release in flags if enabled)


def _metrics_apis(config: AppConfig) -> Iterator[str]:
    flags = [(config.enable_metrics_server, "v1beta1.metrics.k8s.io"),
             (config.enable_prometheus, "v1beta1.custom.metrics.k8s.io"),
             (config.enable_keda, "v1beta1.external.metrics.k8s.io")]
    return (name for enabled, name in flags if enabled)


def _hpas(config: AppConfig) -> Iterator[tuple[str, str]]:
    flags = [(config.enable_metrics_server, "php-apache", "php-apache"),
             (config.enable_prometheus, "podinfo", "podinfo"),
             (config.enable_keda, "podinfo-keda", "keda-hpa-podinfo-keda")]
    return ((namespace, name) for enabled, namespace, name in flags if enabled)


def _objects(value: Any) -> list[dict[str, Any]]:
    """The objects of a list field, whatever else an API answer holds there."""
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _status(obj: Any) -> dict[str, Any]:
    status = obj.get("status") if isinstance(obj, dict) else None
    return status if isinstance(status, dict) else {}


def _condition(obj: dict[str, Any] | None, kind: str) -> dict[str, Any] | None:
    return next((condition for condition in _objects(_status(obj).get("conditions"))
                 if condition.get("type") == kind), None)


def _condition_check(name: str, obj: dict[str, Any] | None, kind: str) -> Check:
    if obj is None:
        return Check(name, False, "not found")
    condition = _condition(obj, kind)
    if condition is None:
        return Check(name, False, f"no {kind} condition yet")
    ok = condition.get("status") == "True"
    reason = condition.get("reason") or condition.get("message") or ""
    return Check(name, ok, f"{kind}={condition.get('status')}" + (f" ({reason})" if reason and not ok else ""))


_METRIC_SOURCE = {"Resource": "resource", "ContainerResource": "containerResource", "Pods": "pods",
                  "Object": "object", "External": "external"}


def _current_values(hpa: dict[str, Any]) -> list[str]:
    """The values an HPA reports for its metrics (empty while it has none)."""
    values = []
    for metric in _objects(_status(hpa).get("currentMetrics")):
        source = metric.get(_METRIC_SOURCE.get(metric.get("type"), ""))
        current = source.get("current") if isinstance(source, dict) else None
        current = current if isinstance(current, dict) else {}
        for field in ("averageUtilization", "averageValue", "value"):
            if current.get(field) is not None:
                values.append(f"{field}={current[field]}")
                break
    return values


def evaluate(config: AppConfig, get: Get) -> list[Check]:
    """Every check for the enabled components, against API responses fetched with `get`."""
    checks = []
    for namespace, release in _controllers(config):
        name = f"Deployments of {namespace}/{release} Available"
        found = _objects((get(f"/apis/apps/v1/namespaces/{namespace}/deployments"
                              f"?labelSelector=app.kubernetes.io/instance%3D{release}") or {}).get("items"))
        if not found:
            checks.append(Check(name, False, "no Deployment with that release label"))
            continue
        names = [str((d.get("metadata") if isinstance(d.get("metadata"), dict) else {}).get("name", "?")) for d in found]
        states = {name: _condition_check(name, d, "Available") for name, d in zip(names, found)}
        failing = [f"{state.name}: {state.detail}" for state in states.values() if not state.ok]
        checks.append(Check(name, not failing, "; ".join(failing) or f"{len(found)} Available"))
    for api in _metrics_apis(config):
        checks.append(_condition_check(f"APIService {api}", get(f"/apis/apiregistration.k8s.io/v1/apiservices/{api}"),
                                       "Available"))
    for namespace, name in _hpas(config):
        hpa = get(f"/apis/autoscaling/v2/namespaces/{namespace}/horizontalpodautoscalers/{name}")
        label = f"HPA {namespace}/{name} reports current metrics"
        values = _current_values(hpa) if hpa else []
        checks.append(Check(label, bool(values), ", ".join(values) if values else
                            ("not found" if hpa is None else "no current metric values yet")))
    if config.enable_keda:
        checks.append(_condition_check(
            "ScaledObject podinfo-keda/podinfo-keda Ready",
            get("/apis/keda.sh/v1alpha1/namespaces/podinfo-keda/scaledobjects/podinfo-keda"), "Ready"))
    if config.enable_karpenter:
        checks.append(_condition_check("Karpenter NodePool default Ready",
                                       get("/apis/karpenter.sh/v1/nodepools/default"), "Ready"))
    return checks


def report(checks: list[Check]) -> str:
    lines = [f"{'PASS' if check.ok else 'FAIL'}  {check.name}: {check.detail}" for check in checks]
    failed = sum(not check.ok for check in checks)
    lines.append(f"{len(checks) - failed} passed, {failed} failed")
    return "\n".join(lines)


class VerifyError(Exception):
    """Why the checks cannot run, and what to do: printed as one line, exit code 2."""


def _aws(*args: str) -> dict[str, Any]:
    return aws(*args, otherwise="check the cluster's name (clusterName in --settings or cdk.json) and --region")


def _field(answer: Any, *path: str) -> Any:
    """answer[path[0]][path[1]]..., or VerifyError naming what the AWS CLI left out."""
    for name in path:
        if not isinstance(answer, dict) or name not in answer:
            raise VerifyError(f"the AWS CLI answered without {'.'.join(path)}: update the AWS CLI (v2) and retry")
        answer = answer[name]
    return answer


def _tls(cluster: str, info: dict[str, Any]) -> ssl.SSLContext:
    try:
        authority = base64.b64decode(_field(info, "certificateAuthority", "data"), validate=True).decode("ascii")
        return ssl.create_default_context(cadata=authority)
    except (TypeError, ValueError, ssl.SSLError) as error:  # binascii.Error and UnicodeError are ValueErrors
        raise VerifyError(f"cluster {cluster}'s certificate authority from describe-cluster is unusable "
                          f"({type(error).__name__}); check that --region names the cluster's region") from None


def kubernetes_api(cluster: str, region: str) -> Get:
    """A `get` over the live API: endpoint and CA from describe-cluster, a fresh token per call."""
    info = _field(_aws("eks", "describe-cluster", "--name", cluster, "--region", region), "cluster")
    status = _field(info, "status")
    if status != "ACTIVE":
        raise VerifyError(f"cluster {cluster} is {status}, not ACTIVE: wait for it (aws eks wait cluster-active "
                          f"--name {cluster} --region {region}) and verify again")
    endpoint, context = _field(info, "endpoint"), _tls(cluster, info)

    def get(path: str) -> dict[str, Any] | None:
        token = _field(_aws("eks", "get-token", "--cluster-name", cluster, "--region", region), "status", "token")
        request = urllib.request.Request(endpoint + path, headers={"Authorization": f"Bearer {token}"})
        try:
            with urllib.request.urlopen(request, context=context, timeout=API_TIMEOUT_SECONDS) as response:
                answer = json.loads(response.read())
        except urllib.error.HTTPError as error:
            if error.code == 404:
                return None
            if error.code in (401, 403):
                raise VerifyError(f"the cluster's API refused {path} ({error.code} {error.reason}): the caller "
                                  "needs an access entry on the cluster (adminPrincipalArns, or the pipeline's "
                                  "verifier role)") from None
            raise VerifyError(f"the cluster's API answered {path} with {error.code} {error.reason}") from None
        except (urllib.error.URLError, OSError, http.client.HTTPException) as error:
            reason = getattr(error, "reason", None) or type(error).__name__
            raise VerifyError(f"cannot reach the cluster's endpoint {endpoint} ({reason}): run from a "
                              "network that endpointAccess and publicAccessCidrs allow") from None
        except (ValueError, RecursionError):
            answer = None
        if not isinstance(answer, dict):
            raise VerifyError(f"the cluster's API answered {path} with something other than a JSON object: "
                              "is the endpoint the cluster's?")
        return answer
    return get


def _settings(text: str) -> dict[str, Any]:
    example = """give a JSON object of setting overrides, e.g. --settings '{"clusterName": "eks-scaling"}'"""
    try:
        settings = json.loads(text)
    except json.JSONDecodeError as error:
        raise VerifyError(f"--settings is not JSON ({error}): {example}") from None
    if not isinstance(settings, dict):
        raise VerifyError(f"--settings={text}: {example}")
    return settings


# A deploy's verification: a CodeBuild action waits at most 8 h, and a cluster that is not ready in an hour
# after its stack completed will not be by waiting longer.
MAX_WAIT_SECONDS = 3600
API_TIMEOUT_SECONDS = 30


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, like every other failure here, instead of usage and message
        raise VerifyError(f"{message} (see python3 -m scripts.verify_cluster --help)")


def _seconds(low: int, high: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        if not full_match(_WHOLE, text) or not low <= int(text) <= high:
            raise argparse.ArgumentTypeError(f"expected whole seconds from {low} to {high}, got {text!r}")
        return int(text)
    return parse


def main(argv: list[str] | None = None) -> int:
    parser = _Parser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--region", required=True, help="the cluster's AWS region")
    parser.add_argument("--settings", default="{}",
                        help="JSON object of setting overrides, as the stage deployed them (default: cdk.json)")
    parser.add_argument("--wait", type=_seconds(0, MAX_WAIT_SECONDS), default=0, metavar="SECONDS",
                        help=f"keep checking until everything passes or this many seconds (at most "
                             f"{MAX_WAIT_SECONDS}) have passed")
    parser.add_argument("--interval", type=_seconds(1, 300), default=15, metavar="SECONDS",
                        help="seconds between checks, 1 to 300 (default 15)")
    try:
        args = parser.parse_args(argv)
        if not full_match(REGION_NAME, args.region):
            raise VerifyError(f"--region {args.region!r} is not an AWS region such as eu-west-1")
        config = parse_config({**cdk_json_context(), "pipeline": {}, **_settings(args.settings)})
        get = kubernetes_api(config.cluster.name, args.region)
        deadline = time.monotonic() + args.wait
        while True:
            checks = evaluate(config, get)
            if all(check.ok for check in checks) or time.monotonic() >= deadline:
                break
            time.sleep(args.interval)
    except (ConfigError, CdkJsonError, VerifyError, AwsCliError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"cluster {config.cluster.name} in {args.region}\n{report(checks)}")
    return 0 if all(check.ok for check in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
