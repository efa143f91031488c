"""EKS Auto Mode (nodeAutoscaler=auto-mode): what the setting refuses, and in the synthesized `auto-mode`
configuration the cluster's compute config, its IAM, and where the demos and controllers run."""

from __future__ import annotations

import pytest
from aws_cdk.assertions import Match

from eks_scaling.auto_mode import AUTO_MODE_PLACEMENT
from eks_scaling.parse_settings import parse_config
from eks_scaling.setting_parsers import ConfigError
from tests.context import with_defaults
from tests.synth import manifest_objects, resolve
from tests.update_safety import Update

CLUSTER = "AWS::EKS::Cluster"


def parse(**overrides):
    return parse_config(with_defaults(overrides))


def test_auto_mode_replaces_karpenter_and_cluster_autoscaler():
    config = parse(nodeAutoscaler="auto-mode", inflateReplicas="5")
    assert config.enable_auto_mode and not config.enable_karpenter and not config.enable_cluster_autoscaler
    assert config.dedicated_system_nodes  # controllers keep the tainted system node group
    assert not parse().enable_auto_mode


@pytest.mark.parametrize("overrides, message", [
    ({"karpenterInstanceTypes": "m5.large"}, "invalid setting karpenterInstanceTypes=[\"m5.large\"] with "
                                             "nodeAutoscaler=auto-mode: Auto Mode's built-in NodePools cannot be modified"),
    ({"karpenterCapacityTypes": "on-demand,spot"}, "karpenterCapacityTypes=[\"on-demand\", \"spot\"] with"),
    ({"karpenterConsolidationPolicy": "Balanced"}, "karpenterConsolidationPolicy=\"Balanced\" with"),
    ({"headroom": "2"}, "invalid setting headroom=2 with nodeAutoscaler=auto-mode: the app sizes headroom"),
    ({"testerReplicas": "5"}, "the tester demo runs on the Cluster Autoscaler's nodes, and nodeAutoscaler=auto-mode"),
])
def test_refuses_what_the_built_in_node_pools_cannot_do(overrides, message):
    with pytest.raises(ConfigError) as error:
        parse(nodeAutoscaler="auto-mode", **overrides)
    assert message in str(error.value)


def test_a_graviton_system_group_leaves_the_amd64_demos_on_auto_modes_general_purpose_pool():
    graviton = {"systemNodeInstanceTypes": "m7g.large"}
    with pytest.raises(ConfigError, match="php-apache runs there"):
        parse(nodeAutoscaler="none", **graviton)
    assert parse(nodeAutoscaler="auto-mode", **graviton).system_nodes.instance_types == ("m7g.large",)


def test_the_cluster_runs_both_built_in_node_pools_with_storage_and_load_balancing(synth):
    template = synth("auto-mode").template
    template.has_resource_properties(CLUSTER, {
        "ComputeConfig": {"Enabled": True, "NodePools": ["system", "general-purpose"],
                          "NodeRoleArn": {"Fn::GetAtt": [Match.string_like_regexp("nodePoolRole"), "Arn"]}},
        "StorageConfig": {"BlockStorage": {"Enabled": True}},
        "KubernetesNetworkConfig": Match.object_like({"ElasticLoadBalancing": {"Enabled": True}}),
    })


def test_the_cluster_role_gets_auto_modes_policies_and_tag_session(synth):
    roles = synth("auto-mode").template.find_resources("AWS::IAM::Role")
    (role,) = [r["Properties"] for key, r in roles.items() if key.startswith("ClusterRole")]
    policies = {resolve(arn).rsplit("/", 1)[1] for arn in role["ManagedPolicyArns"]}
    assert policies == {"AmazonEKSClusterPolicy", "AmazonEKSComputePolicy", "AmazonEKSBlockStoragePolicy",
                        "AmazonEKSLoadBalancingPolicy", "AmazonEKSNetworkingPolicy"}
    (statement,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Action"] == ["sts:AssumeRole", "sts:TagSession"]


def test_no_self_managed_node_autoscaler_is_deployed(synth):
    result = synth("auto-mode")
    assert result.stack.karpenter is None and result.stack.cluster_autoscaler is None
    assert result.stack.workloads is not None  # inflate, on Auto Mode's nodes
    nodegroups = result.template.find_resources("AWS::EKS::Nodegroup")
    assert [group["Properties"]["Labels"] for group in nodegroups.values()] == [{"role": "system"}]


def test_every_demo_selects_auto_modes_nodes(synth):
    result = synth("auto-mode")
    selectors = {}
    for template in result.template_files().values():
        for resource in template["Resources"].values():
            if resource["Type"] == "Custom::AWSCDK-EKS-KubernetesResource":
                for obj in manifest_objects(resource):
                    if obj["kind"] == "Deployment":
                        selectors[obj["metadata"]["namespace"] + "/" + obj["metadata"]["name"]] = (
                            obj["spec"]["template"]["spec"]["nodeSelector"])
    assert {"default/inflate", "php-apache/php-apache", "podinfo/podinfo", "php-apache/load-generator"} <= set(selectors)
    for name, selector in selectors.items():
        assert selector.items() >= AUTO_MODE_PLACEMENT.node_selector.items(), name


def test_switching_to_auto_mode_and_back_updates_cleanly(default, synth):
    """ComputeConfig, StorageConfig and the load balancing flag are not create-only on AWS::EKS::Cluster (its
    resource schema): the cluster updates in place; Karpenter's nested stack goes, terminating its nodes."""
    nodes, auto = default.template_files(), synth("auto-mode").template_files()
    assert Update(nodes, auto).findings() == []
    assert Update(auto, nodes).findings() == []


POOL = {"nodeAutoscaler": "auto-mode", "autoModeNodePool": "true"}


@pytest.mark.parametrize("overrides, message", [
    ({"autoModeNodePool": "true"}, "invalid setting autoModeNodePool=true with nodeAutoscaler=karpenter: it adds a "
                                   "NodePool to EKS Auto Mode"),
    ({"autoModeNodePool": "on"}, "invalid setting autoModeNodePool=\"on\": expected true or false"),
    ({**POOL, "karpenterAmiAlias": "al2023@v20260101"}, "invalid setting karpenterAmiAlias=\"al2023@v20260101\" "
                                                        "with nodeAutoscaler=auto-mode"),
    ({**POOL, "karpenterControllerCpu": "500m"}, "invalid setting karpenterControllerCpu=\"500m\" with"),
    ({**POOL, "karpenterConsolidationPolicy": "Balanced"}, "Auto Mode's node pool page does not list Balanced"),
    ({**POOL, "headroom": "2"}, "invalid setting headroom=2 with nodeAutoscaler=auto-mode"),
])
def test_the_own_node_pool_is_refused_off_auto_mode_and_keeps_the_controllers_settings_refused(overrides, message):
    with pytest.raises(ConfigError) as error:
        parse(**overrides)
    assert message in str(error.value)


def test_the_own_node_pool_takes_the_node_pool_settings():
    changed = {"karpenterInstanceTypes": "m5.large,m5.2xlarge", "karpenterCapacityTypes": "on-demand,spot",
               "karpenterCpuLimit": "100", "karpenterMemoryLimit": "400Gi", "karpenterConsolidateAfter": "5m",
               "karpenterConsolidationPolicy": "WhenEmptyOrUnderutilized", "karpenterExpireAfter": "336h",
               "karpenterDisruptionBudgets": '[{"nodes": "5%"}]', "karpenterTerminationGracePeriod": "1h",
               "karpenterSpotNodePoolWeight": "80"}
    config = parse(**POOL, **changed)
    assert config.auto_mode_node_pool and config.karpenter.cpu_limit == 100
    for key, value in changed.items():  # each refused without the pool
        with pytest.raises(ConfigError, match=f"invalid setting {key}="):
            parse(nodeAutoscaler="auto-mode", **{key: value})


def _node_pools(result) -> dict[str, dict]:
    return {obj["metadata"]["name"]: obj for template in result.template_files().values()
            for resource in template["Resources"].values()
            if resource["Type"] == "Custom::AWSCDK-EKS-KubernetesResource"
            for obj in manifest_objects(resource) if obj["kind"] == "NodePool"}


def test_the_own_node_pool_is_on_auto_modes_node_class_with_the_karpenter_settings(synth):
    result = synth("auto-mode-node-pool")
    pools = _node_pools(result)
    assert set(pools) == {"auto-mode", "auto-mode-spot"}  # not Karpenter's names (tests/test_update_safety.py)
    for name, capacity in (("auto-mode", ["on-demand"]), ("auto-mode-spot", ["spot"])):
        spec = pools[name]["spec"]
        assert spec["template"]["spec"]["nodeClassRef"] == {"group": "eks.amazonaws.com", "kind": "NodeClass",
                                                            "name": "default"}
        assert spec["template"]["metadata"]["labels"] == {"type": "karpenter"}
        requirements = {req["key"]: req["values"] for req in spec["template"]["spec"]["requirements"]}
        assert requirements == {"karpenter.sh/capacity-type": capacity,
                                "node.kubernetes.io/instance-type": ["m5.large", "m5.xlarge", "c6a.large"]}
        assert spec["disruption"] == {"consolidationPolicy": "WhenEmptyOrUnderutilized", "consolidateAfter": "30s",
                                      "budgets": [{"nodes": "20%"}]}
        assert spec["limits"] == {"cpu": 1000, "memory": "1000Gi"}
        assert spec["template"]["spec"]["expireAfter"] == "336h"
    assert result.stack.karpenter is None  # no self-managed controller, no EC2NodeClass
    kinds = {obj["kind"] for template in result.template_files().values()
             for resource in template["Resources"].values()
             if resource["Type"] == "Custom::AWSCDK-EKS-KubernetesResource" for obj in manifest_objects(resource)}
    assert "EC2NodeClass" not in kinds
    assert _node_pools(synth("auto-mode")) == {}  # the built-in pools alone without the setting


def test_inflate_runs_on_the_own_node_pool(synth):
    result = synth("auto-mode-node-pool")
    (inflate,) = [obj for template in result.template_files().values()
                  for resource in template["Resources"].values()
                  if resource["Type"] == "Custom::AWSCDK-EKS-KubernetesResource"
                  for obj in manifest_objects(resource) if obj["metadata"].get("name") == "inflate"]
    assert inflate["spec"]["template"]["spec"]["nodeSelector"]["type"] == "karpenter"
    # The NodePool is there before inflate, and inflate goes first on teardown.
    assert result.stack.auto_mode_node_pool in result.stack.workloads.node.dependencies


def test_turning_the_own_node_pool_on_and_off_updates_cleanly(synth):
    built_in, own = synth("auto-mode").template_files(), synth("auto-mode-node-pool").template_files()
    assert Update(built_in, own).findings() == []
    assert Update(own, built_in).findings() == []
