"""The Prometheus nested stack: EBS CSI storage, Prometheus, prometheus-adapter, podinfo and its HPA."""

from __future__ import annotations

import json

import pytest
from aws_cdk.assertions import Match

from tests.synth import chart_values, manifest_objects_by_name, resolve

HELM = "Custom::AWSCDK-EKS-HelmChart"


@pytest.fixture(scope="module")
def prometheus(default):
    return default.nested("prometheus")


def _chart(template, name: str) -> tuple[str, dict]:
    return next((key, chart) for key, chart in template.find_resources(HELM).items()
                if chart["Properties"]["Chart"] == name)


def test_ebs_csi_add_on_with_pod_identity(prometheus):
    addon = next(iter(prometheus.find_resources("AWS::EKS::Addon").values()))["Properties"]
    assert addon["AddonName"] == "aws-ebs-csi-driver"
    (association,) = addon["PodIdentityAssociations"]
    assert association["ServiceAccount"] == "ebs-csi-controller-sa"
    assert association["RoleArn"]["Fn::GetAtt"][0].startswith("EbsCsiDriverRole")
    assert "ServiceAccountRoleArn" not in addon
    controller = json.loads(resolve(addon["ConfigurationValues"]))["controller"]
    assert controller["nodeSelector"] == {"role": "system"}
    assert controller["tolerations"] == [{"key": "CriticalAddonsOnly", "operator": "Exists", "effect": "NoSchedule"}]
    prometheus.has_resource_properties("AWS::IAM::Role", {
        "AssumeRolePolicyDocument": {"Statement": [Match.object_like({
            "Action": ["sts:AssumeRole", "sts:TagSession"], "Principal": {"Service": "pods.eks.amazonaws.com"}})]},
        "ManagedPolicyArns": [{"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"},
                                                 ":iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy"]]}],
    })


def test_ebs_csi_add_on_with_irsa(synth):
    template = synth("k8s-1.33-ca-irsa").nested("prometheus")
    addon = next(iter(template.find_resources("AWS::EKS::Addon").values()))["Properties"]
    assert "PodIdentityAssociations" not in addon
    assert addon["ServiceAccountRoleArn"]["Fn::GetAtt"][0].startswith("EbsCsiDriverRole")
    template.has_resource_properties("AWS::IAM::Role", {"AssumeRolePolicyDocument": {"Statement": [
        Match.object_like({"Action": "sts:AssumeRoleWithWebIdentity"})]}})


def test_gp3_is_the_encrypted_default_storage_class(prometheus):
    _, storage_class = manifest_objects_by_name(prometheus)["StorageClass/gp3"]
    assert storage_class["metadata"]["annotations"] == {"storageclass.kubernetes.io/is-default-class": "true"}
    assert storage_class["provisioner"] == "ebs.csi.aws.com"
    assert storage_class["parameters"] == {"type": "gp3", "encrypted": "true"}
    assert storage_class["volumeBindingMode"] == "WaitForFirstConsumer"
    assert storage_class["allowVolumeExpansion"] is True


def test_prometheus_chart(prometheus):
    _, chart = _chart(prometheus, "prometheus")
    assert chart["Properties"]["Repository"] == "https://prometheus-community.github.io/helm-charts"
    assert chart["Properties"]["Version"] == "29.27.0"
    assert chart["Properties"]["Release"] == "prometheus"
    values = chart_values(chart)
    assert values["server"]["persistentVolume"] == {"enabled": True, "size": "8Gi", "storageClass": "gp3"}
    assert values["server"]["retention"] == "15d"
    assert values["server"]["retentionSize"] == "6553MB", "80 % of the 8Gi volume: the TSDB never fills it"
    assert values["alertmanager"]["persistence"] == {"enabled": True, "size": "2Gi", "storageClass": "gp3"}
    for component in (values["server"], values["alertmanager"], values["kube-state-metrics"]):
        assert component["nodeSelector"] == {"role": "system"}
    assert values["prometheus-pushgateway"] == {"enabled": False}, "nothing pushes metrics"


def test_alertmanager_claim_matches_the_chart_so_teardown_deletes_it(prometheus):
    _, claim = manifest_objects_by_name(prometheus)["PersistentVolumeClaim/storage-prometheus-alertmanager-0"]
    assert claim["metadata"]["namespace"] == "prometheus"
    assert claim["spec"]["storageClassName"] == "gp3"
    assert claim["spec"]["resources"]["requests"]["storage"] == "2Gi"


def test_adapter_rules_and_no_external_or_resource_rules(prometheus):
    _, chart = _chart(prometheus, "prometheus-adapter")
    assert chart["Properties"]["Version"] == "5.3.0"
    values = chart_values(chart)
    assert values["prometheus"] == {"url": "http://prometheus-server.prometheus.svc", "port": 80}
    assert values["rules"]["default"] is False
    assert "external" not in values["rules"] and "resource" not in values["rules"]
    (rule,) = values["rules"]["custom"]
    assert rule["seriesQuery"].startswith("http_requests_total")
    assert rule["resources"] == {"overrides": {"namespace": {"resource": "namespace"}, "pod": {"resource": "pod"}}}
    assert rule["name"] == {"matches": "^(.*)_total", "as": "${1}_per_second"}
    assert "rate(<<.Series>>{<<.LabelMatchers>>}[2m])" in rule["metricsQuery"]
    assert values["replicas"] == 2 and values["podDisruptionBudget"]["enabled"] is True


def test_podinfo_is_scraped(prometheus):
    _, deployment = manifest_objects_by_name(prometheus)["Deployment/podinfo"]
    template = deployment["spec"]["template"]
    assert template["metadata"]["annotations"] == {"prometheus.io/scrape": "true", "prometheus.io/port": "9797"}
    assert template["spec"]["containers"][0]["image"] == "ghcr.io/stefanprodan/podinfo:6.14.1"
    assert "replicas" not in deployment["spec"], "the HPA owns the replica count"


def test_podinfo_hpa_on_the_custom_metric(prometheus):
    _, hpa = manifest_objects_by_name(prometheus)["HorizontalPodAutoscaler/podinfo"]
    assert hpa["apiVersion"] == "autoscaling/v2"
    assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (1, 10)
    assert hpa["spec"]["metrics"] == [{"type": "Pods", "pods": {
        "metric": {"name": "http_requests_per_second"}, "target": {"type": "AverageValue", "averageValue": "10"}}}]


def test_order_driver_storage_charts_hpa(prometheus):
    resources = prometheus.to_json()["Resources"]
    addon = next(iter(prometheus.find_resources("AWS::EKS::Addon")))
    objects = manifest_objects_by_name(prometheus)
    storage, _ = objects["StorageClass/gp3"]
    hpa, _ = objects["HorizontalPodAutoscaler/podinfo"]
    server, _ = _chart(prometheus, "prometheus")
    adapter, _ = _chart(prometheus, "prometheus-adapter")
    (wait,) = prometheus.find_resources("Custom::EbsVolumesGone")
    assert addon in resources[wait]["DependsOn"] and wait in resources[storage]["DependsOn"]
    assert storage in resources[server]["DependsOn"]
    assert storage in resources[adapter]["DependsOn"]
    assert adapter in resources[hpa]["DependsOn"]
