"""Nested stack: the chapter's node-scaling demos (inflate for Karpenter, tester for Cluster Autoscaler)."""

from __future__ import annotations

from typing import Mapping

from aws_cdk import NestedStack
from aws_cdk import aws_eks_v2 as eks
from constructs import Construct

from cdk_constructs.manifests import load_manifest
from stacks.versions import NGINX_IMAGE, PAUSE_IMAGE


class WorkloadsStack(NestedStack):
    """Replica counts are None for a demo whose autoscaler is not deployed."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        cluster: eks.ICluster,
        inflate_replicas: int | None,
        tester_replicas: int | None,
        tester_node_selector: Mapping[str, str],
    ) -> None:
        super().__init__(scope, construct_id, description="The chapter's node-scaling demo workloads")
        if inflate_replicas is not None:
            eks.KubernetesManifest(
                self, "Inflate", cluster=cluster,
                manifest=load_manifest("inflate", replicas=inflate_replicas, image=PAUSE_IMAGE),
            )
        if tester_replicas is not None:
            eks.KubernetesManifest(
                self, "Tester", cluster=cluster,
                manifest=load_manifest("tester", replicas=tester_replicas, image=NGINX_IMAGE,
                                       nodeSelector=dict(tester_node_selector)),
            )
