"""Changing any one setting after a deploy must update cleanly: no custom-named resource that
CloudFormation would have to replace under its own name, no Kubernetes field the API server refuses.

Every setting has a changed valid value below (or a reason it is no update); a setting added without
one fails here. Settings are changed a few at a time on top of an everything-on base; a combination
whose result could hide one setting's effect (a resource renamed or removed) is split until each
setting is judged alone, so a finding names its setting.
"""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest

from eks_scaling.setting_parsers import ConfigError
from eks_scaling.setting_table import SETTINGS
from tests.deploy_model import convergence
from tests.docs import read, setting_lines, table_rows
from tests.synth import FIFTEEN_TYPES
from tests.update_safety import Templates, Update

# One changed valid value per setting (with what it needs alongside). Sizes grow: see GROW_ONLY.
CHANGED: dict[str, dict[str, str]] = {
    "clusterName": {"clusterName": "eks-other"},
    "kubernetesVersion": {"kubernetesVersion": "1.36", "acknowledgedWarnings": "eks-scaling:keda"},
    "endpointAccess": {"endpointAccess": "public-and-private", "publicAccessCidrs": "203.0.113.0/24"},
    "publicAccessCidrs": {"endpointAccess": "public-and-private", "publicAccessCidrs": "198.51.100.0/24"},
    "adminPrincipalArns": {"adminPrincipalArns": "arn:aws:iam::111122223333:role/Other"},
    "controlPlaneLogging": {"controlPlaneLogging": "api,audit"},
    "natGateways": {"natGateways": "2"},
    "vpcFlowLogs": {"vpcFlowLogs": "false"},
    "logRetentionDays": {"logRetentionDays": "30"},
    "retainControlPlaneLogs": {"retainControlPlaneLogs": "true"},
    "availabilityZones": {"availabilityZones": "eu-west-1a,eu-west-1c"},
    "systemNodeInstanceTypes": {"systemNodeInstanceTypes": "m5.xlarge"},
    "systemNodeMinSize": {"systemNodeMinSize": "3"},
    "systemNodeDesiredSize": {"systemNodeDesiredSize": "4"},
    "systemNodeMaxSize": {"systemNodeMaxSize": "6"},
    "workloadIdentity": {"workloadIdentity": "irsa"},
    "enableMetricsServer": {"enableMetricsServer": "false"},
    "nodeAutoscaler": {"nodeAutoscaler": "karpenter", "testerReplicas": "0"},
    # With Spot, so that both of its NodePools are created beside Karpenter's before those go.
    "autoModeNodePool": {"nodeAutoscaler": "auto-mode", "autoModeNodePool": "true", "testerReplicas": "0",
                         "karpenterCapacityTypes": "on-demand,spot"},
    "karpenterInstanceTypes": {"karpenterInstanceTypes": "m5.large,m5.2xlarge"},
    "karpenterCapacityTypes": {"karpenterCapacityTypes": "on-demand,spot"},
    "karpenterAmiAlias": {"karpenterAmiAlias": "al2023@v20260101"},
    "karpenterCpuLimit": {"karpenterCpuLimit": "500"},
    "karpenterMemoryLimit": {"karpenterMemoryLimit": "500Gi"},
    "karpenterConsolidateAfter": {"karpenterConsolidateAfter": "5m"},
    "karpenterControllerCpu": {"karpenterControllerCpu": "500m"},
    "karpenterControllerMemory": {"karpenterControllerMemory": "768Mi"},
    "caNodeInstanceTypes": {"caNodeInstanceTypes": "m5.xlarge"},
    "caNodeMinSize": {"caNodeMinSize": "2"},
    "caNodeMaxSize": {"caNodeMaxSize": "6"},
    "clusterAutoscalerExpander": {"clusterAutoscalerExpander": "random"},
    "clusterAutoscalerScaleDownUnneededTime": {"clusterAutoscalerScaleDownUnneededTime": "5m"},
    "fargateWorkloads": {"fargateWorkloads": "php-apache,podinfo"},
    "inflateReplicas": {"inflateReplicas": "2"},
    "testerReplicas": {"testerReplicas": "2"},
    "enablePrometheus": {"enablePrometheus": "false", "enableKeda": "false"},
    "enableKeda": {"enableKeda": "false"},
    "prometheusRetention": {"prometheusRetention": "30d"},
    "prometheusVolumeSize": {"prometheusVolumeSize": "16Gi"},
    "alertmanagerVolumeSize": {"alertmanagerVolumeSize": "4Gi"},
    "loadGenerators": {"loadGenerators": "false"},
    "acknowledgedWarnings": {"acknowledgedWarnings": "eks-scaling:keda"},
    "alertPendingPodsFor": {"alertPendingPodsFor": "15m"},
    "alertAtMaxFor": {"alertAtMaxFor": "30m"},
    "alertMetricUnavailableFor": {"alertMetricUnavailableFor": "10m"},
    "alertNodePoolLimitPercent": {"alertNodePoolLimitPercent": "80"},
    "karpenterConsolidationPolicy": {"karpenterConsolidationPolicy": "Balanced"},
    "karpenterDisruptionBudgets": {"karpenterDisruptionBudgets": '[{"nodes": "5%"}]'},
    "karpenterExpireAfter": {"karpenterExpireAfter": "336h"},
    "karpenterTerminationGracePeriod": {"karpenterTerminationGracePeriod": "1h"},
    "karpenterSpotNodePoolWeight": {"karpenterSpotNodePoolWeight": "80", "karpenterCapacityTypes": "on-demand,spot"},
    "karpenterSpotToSpotConsolidation": {"karpenterSpotToSpotConsolidation": "true",
                                         "karpenterCapacityTypes": "on-demand,spot",
                                         "karpenterInstanceTypes": FIFTEEN_TYPES,
                                         "karpenterConsolidationPolicy": "Balanced"},
    "clusterAutoscalerScaleDownUtilizationPercent": {"clusterAutoscalerScaleDownUtilizationPercent": "40"},
    "headroom": {"headroom": "2"},
    "headroomCpu": {"headroomCpu": "500m", "headroom": "2"},
    "headroomMemory": {"headroomMemory": "2Gi", "headroom": "2"},
    "headroomMechanism": {"headroomMechanism": "capacity-buffer", "headroom": "2"},
    "phpApacheHpaBehavior": {"phpApacheHpaBehavior": '{"scaleDown": {"stabilizationWindowSeconds": 60}}'},
    "podinfoHpaBehavior": {"podinfoHpaBehavior": '{"scaleUp": {"tolerance": "0.05"}}'},
    "kedaHpaBehavior": {"kedaHpaBehavior": '{"scaleDown": {"selectPolicy": "Disabled"}}'},
    "kedaFallbackBehavior": {"kedaFallbackBehavior": "currentReplicas"},
    "kedaInitialCooldownPeriod": {"kedaInitialCooldownPeriod": "60"},
    "kedaActivationThreshold": {"kedaActivationThreshold": "5", "kedaMinReplicas": "0"},
    "kedaMinReplicas": {"kedaMinReplicas": "0"},
}
# Settings whose change is no update of a deployed stack.
NOT_AN_UPDATE = {
    "account": "another account is another deployment",
    "region": "another region is another deployment",
    "pipeline": "turns the app into the delivery pipeline, which deploys the stack per stage",
    "existingCluster": "another cluster (one the app does not own) is another deployment",
}
# Settings that may grow but never shrink, each with a smaller value: docs/settings.md marks them grow-only.
GROW_ONLY = {
    "kubernetesVersion": {"kubernetesVersion": "1.34"},
    "prometheusVolumeSize": {"prometheusVolumeSize": "4Gi"},
    "alertmanagerVolumeSize": {"alertmanagerVolumeSize": "1Gi"},
}
# Settings whose change renames or removes resources, which could hide another setting's change to them
# in a combined update: each is judged alone. (A combination that turns out so is split all the same.)
ALONE = ("clusterName", "adminPrincipalArns", "vpcFlowLogs", "availabilityZones", "workloadIdentity",
         "enableMetricsServer", "nodeAutoscaler", "autoModeNodePool", "caNodeInstanceTypes", "enablePrometheus", "enableKeda",
         "loadGenerators")
GROUP_SIZE = 10
# Settings whose change cannot converge in place, each with what docs/settings.md tells the user to do.
NOT_IN_PLACE = {
    "clusterName": "destroy",
}


@pytest.fixture(scope="module")
def synth(update_synth):
    return update_synth


@pytest.fixture(scope="module")
def base(synth) -> Templates:
    return synth({})


def judge(settings: list[str], base: Templates, synth) -> dict[str, list[str]]:
    """Findings per setting: the group together if that is conclusive (and valid), else each alone."""
    try:
        update = Update(base, synth({key: value for name in settings for key, value in CHANGED[name].items()}))
    except ConfigError:
        if len(settings) == 1:
            raise
        update = None  # these changes do not go together
    if update:
        findings = update.findings() + both_ways(update.old, update.new, back=not set(settings) & set(GROW_ONLY))
        if len(settings) == 1 or not (findings or update.renamed() or update.removed()):
            return {name: findings for name in settings}
    return {name: found for setting in settings for name, found in judge([setting], base, synth).items()}


def both_ways(old: Templates, new: Templates, back: bool = True) -> list[str]:
    """The deploy model's findings on the update and on its way back (tests/deploy_model.py); a grow-only
    setting's way back is a shrink, which test_grow_only_settings_are_refused_only_when_they_shrink holds."""
    return ([f"update: {finding}" for finding in convergence(old, new)]
            + [f"back: {finding}" for finding in (convergence(new, old) if back else [])])


def groups() -> list[list[str]]:
    alone = [name for name in (*ALONE, *GROW_ONLY) if name not in NOT_IN_PLACE]  # grow-only: no way back
    together = [name for name in CHANGED if name not in alone and name not in NOT_IN_PLACE]
    return [[name] for name in alone] + [together[start:start + GROUP_SIZE]
                                          for start in range(0, len(together), GROUP_SIZE)]


def test_every_setting_has_a_changed_value_or_a_reason():
    assert set(CHANGED) | set(NOT_AN_UPDATE) == set(SETTINGS), "give a new setting a CHANGED value"
    assert not set(CHANGED) & set(NOT_AN_UPDATE)
    assert all(name in changes for name, changes in CHANGED.items())


def test_no_setting_change_is_refused_on_update(base, synth):
    found = {name: findings for group in groups() for name, findings in judge(group, base, synth).items()}
    assert set(found) | set(NOT_IN_PLACE) == set(CHANGED)
    refused = [f"{name}={CHANGED[name][name]}: {finding}" for name, findings in found.items() for finding in findings]
    assert not refused, "\n".join(refused)


@pytest.mark.parametrize("name", list(GROW_ONLY))
def test_grow_only_settings_are_refused_only_when_they_shrink(base, synth, name):
    grown = Update(base, synth(CHANGED[name])).findings()
    shrunk = Update(base, synth(GROW_ONLY[name])).findings()
    assert not grown
    assert shrunk and all("decreases" in finding for finding in shrunk), shrunk


@pytest.mark.parametrize("name", sorted(SETTINGS))
def test_the_settings_page_says_whether_each_setting_changes_in_place(name):
    after_a_deploy = table_rows(read("docs/settings.md"), "`")[f"`{name}`"][3]
    expected = ("no update" if name in NOT_AN_UPDATE else "not in place" if name in NOT_IN_PLACE
                else "grow-only" if name in GROW_ONLY else "in place")
    assert after_a_deploy.startswith(expected), after_a_deploy


@pytest.mark.parametrize("name", list(GROW_ONLY))
def test_the_settings_page_marks_grow_only_settings(name):
    assert "grow-only" in setting_lines()[name]


def test_a_fixed_name_on_a_replaced_resource_is_found(base, synth):
    """The check itself: today's fixed node group name would fail on a change of its instance types."""
    base, changed = copy.deepcopy(base), copy.deepcopy(synth(CHANGED["caNodeInstanceTypes"]))
    for template in (base, changed):
        for resource in template[_ca_template(template)]["Resources"].values():
            if resource["Type"] == "AWS::EKS::Nodegroup":
                resource["Properties"]["NodegroupName"] = "ca-workers"
    (finding,) = Update(base, changed).findings()
    assert re.search(r"create-only InstanceTypes changed.*cannot under the same name \"ca-workers\"", finding)


def _ca_template(templates: Templates) -> str:
    return next(file for file in templates if "ClusterAutoscaler" in file)


def test_only_cluster_autoscaler_min_size_moves_its_groups_desired_size(base, synth):
    """Cluster Autoscaler owns the CA group's size. EKS requires DesiredSize at creation ("all or none"
    of the scaling config), and aws-cdk-lib renders desired = min when it is omitted
    (aws-eks-v2/lib/managed-nodegroup.js); CloudFormation resizes the group only when the template's
    DesiredSize changes (EKS API reference, NodegroupScalingConfig). So no setting but caNodeMinSize,
    the size it starts at, may change it."""
    def desired(templates: Templates) -> Any:
        (group,) = [resource for resource in templates[_ca_template(templates)]["Resources"].values()
                    if resource["Type"] == "AWS::EKS::Nodegroup"]
        return group["Properties"]["ScalingConfig"]["DesiredSize"]

    # fargateWorkloads names demos that enableMetricsServer/enablePrometheus=false turn off.
    everything_but_min = {key: value for name, changes in CHANGED.items()
                          if name not in ("caNodeMinSize", "nodeAutoscaler", "autoModeNodePool", "clusterName",
                                          "endpointAccess", "fargateWorkloads")
                          for key, value in changes.items()}
    assert desired(synth(everything_but_min)) == desired(base)


def _cluster(version: str) -> Templates:
    return {"Parent.template.json": {"Resources": {"Cluster": {"Type": "AWS::EKS::Cluster", "Properties": {
        "Name": "eks-scaling", "RoleArn": "arn:aws:iam::111122223333:role/cluster", "Version": version}}}}}


@pytest.mark.parametrize(("old", "new", "finding"), [
    ("1.33", "1.35", "Version skips a minor (1.33 to 1.35): EKS upgrades one minor at a time"),
    ("1.35", "1.34", "Version decreases from 1.35 to 1.34: EKS never downgrades a cluster"),
    ("1.35", "1.36", None),
])
def test_cluster_versions_move_up_one_minor_at_a_time(old, new, finding):
    assert Update(_cluster(old), _cluster(new)).findings() == ([f"Parent/Cluster: {finding}"] if finding else [])


def _zones_change(zone: str, name: str) -> Templates:
    """A parent whose subnet moves zone (create-only), and a nested node group on it through a parameter."""
    subnet = {"Type": "AWS::EC2::Subnet", "Properties": {"VpcId": "vpc-1", "CidrBlock": "10.0.0.0/24",
                                                         "AvailabilityZone": zone}}
    stack = {"Type": "AWS::CloudFormation::Stack", "Metadata": {"nested": "Nested.nested.template.json"},
             "Properties": {"TemplateURL": "https://s3/x.json", "Parameters": {"SubnetRef": {"Ref": "Subnet"}}}}
    group = {"Type": "AWS::EKS::Nodegroup", "Properties": {
        "ClusterName": "eks-scaling", "NodeRole": "arn:aws:iam::111122223333:role/node", "NodegroupName": name,
        "Subnets": [{"Ref": "SubnetRef"}], "ScalingConfig": {"MinSize": 1, "DesiredSize": 1, "MaxSize": 2}}}
    return {"Parent.template.json": {"Resources": {"Subnet": subnet, "Stack": stack}},
            "Nested.nested.template.json": {"Parameters": {"SubnetRef": {"Type": "String"}},
                                            "Resources": {"Group": group}}}


def test_a_replacement_reaches_resources_that_reference_it_across_nested_stacks():
    (finding,) = Update(_zones_change("eu-west-1a", "workers"), _zones_change("eu-west-1c", "workers")).findings()
    assert finding.startswith("Nested/Group (AWS::EKS::Nodegroup): create-only Subnets changed")
    assert not Update(_zones_change("eu-west-1a", "workers-1"), _zones_change("eu-west-1c", "workers-2")).findings()
