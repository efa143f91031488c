"""Nested stack: the chapter's node-scaling demos (inflate, tester) and its load generators."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from aws_cdk import NestedStack
from aws_cdk import aws_eks_v2 as eks
from constructs import Construct

from eks_scaling.autoscaling_objects import placeholder_pods
from eks_scaling.manifests import load_manifest
from eks_scaling.placement import Placement
from eks_scaling.settings import HeadroomConfig
from eks_scaling.versions import BUSYBOX_IMAGE, NGINX_IMAGE, PAUSE_IMAGE, Image


@dataclass(frozen=True)
class LoadTarget:
    """A demo a load generator hits: it runs in the demo's namespace and loops `loop`."""

    construct_id: str
    namespace: str
    image: Image
    loop: str


# The chapter's generators: a busybox wget loop against php-apache, and against podinfo (and
# podinfo-keda) where the chapter used a curl image: one small image from ECR Public for all three.
PHP_APACHE_LOAD = LoadTarget("PhpApacheLoad", "php-apache", BUSYBOX_IMAGE,
                             "while sleep 0.01; do wget -q -O- http://php-apache; done")
PODINFO_LOAD = LoadTarget("PodinfoLoad", "podinfo", BUSYBOX_IMAGE,
                          "while sleep 0.01; do wget -q -O /dev/null http://podinfo:9898; done")
PODINFO_KEDA_LOAD = LoadTarget("PodinfoKedaLoad", "podinfo-keda", BUSYBOX_IMAGE,
                               "while sleep 0.01; do wget -q -O /dev/null http://podinfo-keda:9898; done")


class WorkloadsStack(NestedStack):
    """Placements are None for a demo whose node autoscaler is not deployed; headroom None: no placeholders."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        cluster: eks.ICluster,
        inflate_replicas: int,
        inflate_placement: Placement | None,
        tester_replicas: int,
        tester_placement: Placement | None,
        headroom: HeadroomConfig | None,
        headroom_placement: Placement,
        load_targets: Sequence[LoadTarget],
        load_placement: Placement | None,
    ) -> None:
        super().__init__(scope, construct_id, description="The chapter's demo workloads and load generators")
        if inflate_placement:
            eks.KubernetesManifest(
                self, "Inflate", cluster=cluster,
                manifest=load_manifest("inflate", replicas=inflate_replicas, image=PAUSE_IMAGE.reference,
                                       **inflate_placement.for_image(PAUSE_IMAGE.architectures).pod_fields()),
            )
        if tester_placement:
            eks.KubernetesManifest(
                self, "Tester", cluster=cluster,
                manifest=load_manifest("tester", replicas=tester_replicas, image=NGINX_IMAGE.reference,
                                       **tester_placement.for_image(NGINX_IMAGE.architectures).pod_fields()),
            )
        if headroom is not None:
            eks.KubernetesManifest(self, "Headroom", cluster=cluster,
                                   manifest=placeholder_pods(headroom, headroom_placement))
        for target in load_targets:
            assert load_placement, "load generators run where their demos run"
            eks.KubernetesManifest(
                self, target.construct_id, cluster=cluster,
                manifest=load_manifest("load-generator", namespace=target.namespace, image=target.image.reference,
                                       loop=target.loop,
                                       **load_placement.for_image(target.image.architectures).pod_fields()),
            )
