"""The EC2 instance-type table, the node-reservation formulas and the generator that refreshes the table."""

from __future__ import annotations

import pytest

from eks_scaling.instance_types import (EVICTION_HARD_MEMORY_MIB, INSTANCE_TYPES, SOURCES, UnknownInstanceType,
                                        instance_type, kube_reserved_cpu_millicores, kube_reserved_memory_mib)
from scripts import refresh_instance_types as refresh


def test_known_types():
    m5 = instance_type("m5.large")
    assert (m5.vcpus, m5.memory_mib, m5.architecture, m5.max_pods) == (2, 8192, "x86_64", 29)
    assert m5.on_demand_usd_per_hour["us-east-1"] == 0.096
    m7g = instance_type("m7g.large")
    assert (m7g.vcpus, m7g.memory_mib, m7g.architecture, m7g.max_pods) == (2, 8192, "arm64", 29)
    # 3 ENIs x (6 - 1) + 2 (the VPC CNI's eni-max-pods.txt lists t3.medium at 17).
    assert instance_type("t3.medium").max_pods == 17


def test_every_row_is_complete():
    assert len(INSTANCE_TYPES) > 1000
    for name, row in INSTANCE_TYPES.items():
        assert row.name == name
        assert row.architecture in ("x86_64", "arm64"), name
        assert row.vcpus > 0 and row.memory_mib > 0 and row.max_pods > 0, name
        assert all(price > 0 for price in row.on_demand_usd_per_hour.values()), name


def test_sources_name_each_upstream_file_and_tag():
    for source in ("cluster-autoscaler/cloudprovider/aws/ec2_instance_types.go at cluster-autoscaler-1.35.2",
                   "zz_generated.vpclimits.go at v1.14.1", "zz_generated.pricing_aws.go"):
        assert source in SOURCES


def test_unknown_type_is_a_one_line_value_error():
    with pytest.raises(UnknownInstanceType, match=r"^'m5.huge' is not an EC2 instance type") as error:
        instance_type("m5.huge")
    assert isinstance(error.value, ValueError) and "\n" not in str(error.value)


@pytest.mark.parametrize("vcpus, millicores", [
    (1, 60),                   # 6 % of the first core
    (2, 60 + 10),              # + 1 % of the second
    (4, 60 + 10 + 10),         # + 0.5 % of cores 3-4
    (8, 60 + 10 + 10 + 10),    # + 0.25 % of the rest
    (48, 60 + 10 + 10 + 110),  # 44 cores x 2.5 millicores
])
def test_kube_reserved_cpu(vcpus, millicores):
    assert kube_reserved_cpu_millicores(vcpus) == millicores


@pytest.mark.parametrize("max_pods, mib", [(29, 11 * 29 + 255), (110, 1465), (8, 343)])
def test_kube_reserved_memory(max_pods, mib):
    assert kube_reserved_memory_mib(max_pods) == mib


def test_eviction_threshold():
    assert EVICTION_HARD_MEMORY_MIB == 100


SPECS_GO = '''var InstanceTypes = map[string]*InstanceType{
\t"x9.large": {
\t\tInstanceType: "x9.large",
\t\tVCPU:         2,
\t\tMemoryMb:     4096,
\t\tGPU:          0,
\t\tArchitecture: "amd64",
\t},
\t"x9g.large": {
\t\tInstanceType: "x9g.large",
\t\tVCPU:         2,
\t\tMemoryMb:     8192,
\t\tGPU:          0,
\t\tArchitecture: "arm64",
\t},
}
'''

LIMITS_GO = '''var Limits = map[string]*VPCLimits{
\t"x9.large": {
\t\tInterface:               8,
\t\tIPv4PerInterface:        10,
\t\tDefaultNetworkCardIndex: 0,
\t\tNetworkCards: []NetworkCard{
\t\t\t{
\t\t\t\tMaximumNetworkInterfaces: 2,
\t\t\t\tNetworkCardIndex:         0,
\t\t\t},

\t\t\t{
\t\t\t\tMaximumNetworkInterfaces: 6,
\t\t\t\tNetworkCardIndex:         1,
\t\t\t},
\t\t},
\t\tHypervisor:  "nitro",
\t},
}
'''

PRICES_GO = '''var InitialOnDemandPricesAWS = map[string]map[ec2types.InstanceType]float64{
\t// us-east-1
\t"us-east-1": {
\t\t// x9 family
\t\t"x9.large": 0.100000, "x9g.large": 0.080000,
\t},
}
'''


def test_generator_parses_upstream_tables():
    assert refresh.specs(SPECS_GO) == {
        "x9.large": {"vcpus": 2, "memory_mib": 4096, "architecture": "x86_64"},
        "x9g.large": {"vcpus": 2, "memory_mib": 8192, "architecture": "arm64"},
    }
    # Only the default network card's ENIs carry pod IPs: 2 x (10 - 1) + 2.
    assert refresh.max_pods(LIMITS_GO) == {"x9.large": 20}
    assert refresh.prices(PRICES_GO) == {"x9.large": {"us-east-1": 0.1}, "x9g.large": {"us-east-1": 0.08}}
