"""The manifest loader: typed substitution, and errors for missing or unused values."""

from __future__ import annotations

import pytest

from eks_scaling import manifests
from eks_scaling.manifests import ManifestError, load_manifest


@pytest.fixture
def manifest_dir(tmp_path, monkeypatch):
    monkeypatch.setattr(manifests, "MANIFESTS_DIR", tmp_path)
    (tmp_path / "demo.yaml").write_text(
        "kind: Deployment\n"
        "metadata:\n  name: web\n  namespace: ${namespace}\n"
        "spec:\n  replicas: ${replicas}\n"
        "  template:\n    spec:\n      containers:\n        - image: ${repo}:${tag}\n"
        "---\n"
        "kind: Service\nmetadata:\n  name: web-${namespace}\n"
    )
    return tmp_path


def test_placeholders_are_filled_keeping_types(manifest_dir):
    deployment, service = load_manifest("demo", namespace="shop", replicas=3, repo="nginx", tag="1.29")
    assert deployment["metadata"]["namespace"] == "shop"
    assert deployment["spec"]["replicas"] == 3
    assert deployment["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.29"
    assert service["metadata"]["name"] == "web-shop"


def test_missing_value_is_an_error(manifest_dir):
    with pytest.raises(ManifestError, match=r"demo.yaml: no value given for \$\{tag\}"):
        load_manifest("demo", namespace="shop", replicas=3, repo="nginx")


def test_unused_value_is_an_error(manifest_dir):
    with pytest.raises(ManifestError, match="demo.yaml: values given but not used: replica"):
        load_manifest("demo", namespace="shop", replicas=3, repo="nginx", tag="1", replica=2)


def test_php_apache_manifests_need_exactly_their_values():
    objects = load_manifest("php-apache", namespace="demo", image="example:1", nodeSelector={}, tolerations=[])
    assert [obj["kind"] for obj in objects] == ["Namespace", "Deployment", "Service", "PodDisruptionBudget"]
    deployment = objects[1]
    assert "replicas" not in deployment["spec"], "the HPA owns the replica count"
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["resources"] == {"requests": {"cpu": "200m", "memory": "128Mi"}, "limits": {"cpu": "500m"}}
