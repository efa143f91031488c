"""The version matrix against the upstream compatibility tables it encodes."""

from __future__ import annotations

import dataclasses
import importlib.util
from datetime import date

import pytest

from eks_scaling.setting_table import DEFAULTS
from eks_scaling.versions import DEFAULT_KUBERNETES_VERSION, MATRIX, Caveat

MATRIX_DAY = date(2026, 11, 26)


def test_every_version_eks_creates_in_standard_support_is_a_row():
    assert {"1.34", "1.35", "1.36"} <= set(MATRIX)


def test_default_is_1_35_everywhere():
    assert DEFAULT_KUBERNETES_VERSION == "1.35" == DEFAULTS["kubernetesVersion"]


@pytest.mark.parametrize("version", list(MATRIX))
def test_each_row_pins_its_own_kubectl_layer_and_autoscaler_minor(version):
    row = MATRIX[version]
    assert row.kubectl_layer_module == f"aws_cdk.lambda_layer_kubectl_v{version.split('.')[1]}"
    assert importlib.util.find_spec(row.kubectl_layer_module) is not None, "pin the layer in requirements.txt"
    assert row.cluster_autoscaler_image_tag.startswith(f"v{version}.")


def test_rows_in_standard_support_have_no_caveat_but_keda_on_1_36():
    assert MATRIX["1.34"].caveats(MATRIX_DAY) == ()
    assert MATRIX["1.35"].caveats(MATRIX_DAY) == ()
    assert MATRIX["1.36"].caveats(MATRIX_DAY) == (
        Caveat("keda", "KEDA 2.20.2 is tested upstream on Kubernetes 1.33-1.35, not 1.36"),)


def test_extended_support_and_end_of_life_are_flagged():
    assert MATRIX["1.33"].caveats(MATRIX_DAY) == (Caveat(
        "eks", "Kubernetes 1.33 is in EKS extended support (extra cost) since 2026-07-29, until 2027-07-29"),)
    assert MATRIX["1.33"].caveats(date(2027, 8, 1))[0].message.startswith(
        "EKS no longer creates Kubernetes 1.33 clusters")


def test_unsupported_pins_are_flagged():
    row = dataclasses.replace(MATRIX["1.35"], karpenter="1.8.0", cluster_autoscaler_image_tag="v1.34.5")
    assert row.caveats(MATRIX_DAY) == (
        Caveat("karpenter", "Karpenter 1.8.0 does not support Kubernetes 1.35 (needs >= 1.9)"),
        Caveat("cluster-autoscaler", "Cluster Autoscaler v1.34.5 does not match Kubernetes 1.35"),
    )


def test_only_caveats_of_deployed_components_are_warned_about():
    row = MATRIX["1.36"]
    assert row.caveats_for(frozenset({"eks", "keda"}), MATRIX_DAY) == row.caveats(MATRIX_DAY)
    assert row.caveats_for(frozenset({"eks", "karpenter"}), MATRIX_DAY) == ()
