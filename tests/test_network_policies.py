"""NetworkPolicies (issue 19, item 12): enforced by the VPC CNI, ingress denied by default in the prometheus
and keda namespaces, and every flow a scaler needs still allowed.

The charts are not rendered here (see test_scrape_targets.py): the pods' labels and ports below were read
from `helm template` of each chart at its pin with the synthesized values (Helm v4.1.4 from the v35
kubectl layer): prometheus 29.27.0 (kube-state-metrics 8.4.0, alertmanager 1.42.0), prometheus-adapter
5.3.0, kedacore/charts v2.20.2. The policies are evaluated as the NetworkPolicy API defines them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest

from tests.synth import manifest_objects

KUBERNETES = "Custom::AWSCDK-EKS-KubernetesResource"
API_SERVER = None  # the control plane: no namespace and no labels a selector could match


@dataclass(frozen=True)
class Pod:
    namespace: str
    labels: dict


SERVER = Pod("prometheus", {"app.kubernetes.io/name": "prometheus", "app.kubernetes.io/component": "server"})
ALERTMANAGER = Pod("prometheus", {"app.kubernetes.io/name": "alertmanager"})
KUBE_STATE_METRICS = Pod("prometheus", {"app.kubernetes.io/name": "kube-state-metrics"})
ADAPTER = Pod("prometheus", {"app.kubernetes.io/name": "prometheus-adapter"})
KEDA_OPERATOR = Pod("keda", {"app": "keda-operator"})
KEDA_METRICS = Pod("keda", {"app": "keda-operator-metrics-apiserver"})
KEDA_WEBHOOKS = Pod("keda", {"app": "keda-admission-webhooks"})
ELSEWHERE = Pod("default", {"app": "anything"})

# (source, destination, destination port): what each scaler needs.
NEEDED = [
    (API_SERVER, ADAPTER, 6443),        # custom.metrics.k8s.io -> the podinfo HPA
    (API_SERVER, KEDA_METRICS, 6443),   # external.metrics.k8s.io -> KEDA's HPA
    (API_SERVER, KEDA_WEBHOOKS, 9443),  # ScaledObject admission
    (ADAPTER, SERVER, 9090),            # the adapter's queries
    (KEDA_OPERATOR, SERVER, 9090),      # the ScaledObject's trigger
    (KEDA_METRICS, KEDA_OPERATOR, 9666),
    (SERVER, KEDA_OPERATOR, 8080), (SERVER, KEDA_METRICS, 8080),  # scrapes
    (SERVER, KUBE_STATE_METRICS, 8080), (SERVER, ADAPTER, 6443), (SERVER, ALERTMANAGER, 9093),
]
DENIED = [(ELSEWHERE, SERVER, 9090), (ELSEWHERE, ALERTMANAGER, 9093), (ELSEWHERE, KUBE_STATE_METRICS, 8080),
          (ELSEWHERE, KEDA_OPERATOR, 9666), (ELSEWHERE, KEDA_OPERATOR, 8080), (API_SERVER, SERVER, 9090),
          (KEDA_OPERATOR, ALERTMANAGER, 9093)]


def _matches(selector: dict, labels: dict) -> bool:
    assert set(selector) <= {"matchLabels"}, "only matchLabels is modelled"
    return all(labels.get(key) == value for key, value in selector.get("matchLabels", {}).items())


def _peer_matches(peer: dict, source: Pod | None, namespace: str) -> bool:
    if source is None:
        return False
    assert set(peer) <= {"podSelector", "namespaceSelector"}, "only pod and namespace selectors are modelled"
    if "namespaceSelector" in peer:
        in_namespace = _matches(peer["namespaceSelector"], {"kubernetes.io/metadata.name": source.namespace})
    else:
        in_namespace = source.namespace == namespace
    return in_namespace and _matches(peer.get("podSelector", {}), source.labels)


def allowed(policies: list[dict], source: Pod | None, destination: Pod, port: int) -> bool:
    selecting = [policy for policy in policies if policy["metadata"]["namespace"] == destination.namespace
                 and _matches(policy["spec"]["podSelector"], destination.labels)
                 and "Ingress" in policy["spec"]["policyTypes"]]
    if not selecting:
        return True  # not isolated
    return any(
        (not rule.get("ports") or any(entry["port"] == port for entry in rule["ports"]))
        and (not rule.get("from") or any(_peer_matches(peer, source, destination.namespace) for peer in rule["from"]))
        for policy in selecting for rule in policy["spec"].get("ingress", []))


def _policies(result) -> list[dict]:
    return [obj for template in result.template_files().values() for resource in template["Resources"].values()
            if resource["Type"] == KUBERNETES for obj in manifest_objects(resource) if obj["kind"] == "NetworkPolicy"]


@pytest.fixture(scope="module")
def policies(default):
    return _policies(default)


def test_ingress_is_denied_by_default_in_both_namespaces(policies):
    defaults = {policy["metadata"]["namespace"] for policy in policies if policy["spec"]["podSelector"] == {}
                and policy["spec"]["policyTypes"] == ["Ingress"] and not policy["spec"].get("ingress")}
    assert defaults == {"prometheus", "keda"}


@pytest.mark.parametrize(("source", "destination", "port"), NEEDED,
                         ids=[f"{s.labels if s else 'api-server'}->{d.labels}:{p}" for s, d, p in NEEDED])
def test_every_flow_a_scaler_needs_is_allowed(policies, source, destination, port):
    assert allowed(policies, source, destination, port)


@pytest.mark.parametrize(("source", "destination", "port"), DENIED,
                         ids=[f"{s.labels if s else 'api-server'}->{d.labels}:{p}" for s, d, p in DENIED])
def test_other_flows_are_denied(policies, source, destination, port):
    assert not allowed(policies, source, destination, port)


def test_the_policies_come_with_their_capabilities(synth):
    namespaces = {policy["metadata"]["namespace"] for policy in _policies(synth("k8s-1.33-ca-irsa"))}
    assert namespaces == {"prometheus", "keda"}
    assert not _policies(synth("k8s-1.34-env-private"))  # neither Prometheus nor KEDA


def test_the_vpc_cni_enforces_network_policies_before_nodes_join(default):
    resources = default.template.to_json()["Resources"]
    (addon_id, addon), = [(key, resource) for key, resource in resources.items()
                          if resource["Type"] == "AWS::EKS::Addon" and resource["Properties"]["AddonName"] == "vpc-cni"]
    assert json.loads(addon["Properties"]["ConfigurationValues"]) == {"enableNetworkPolicy": "true"}
    assert addon["Properties"]["ResolveConflicts"] == "OVERWRITE"
    (nodegroup,) = [resource for resource in resources.values() if resource["Type"] == "AWS::EKS::Nodegroup"]
    assert addon_id in nodegroup["DependsOn"]
