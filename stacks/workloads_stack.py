"""Nested stack: the chapter's node-scaling demos (inflate, tester) and its load generators."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

from aws_cdk import NestedStack
from aws_cdk import aws_eks_v2 as eks
from constructs import Construct

from cdk_constructs.manifests import load_manifest
from stacks.versions import BUSYBOX_IMAGE, CURL_IMAGE, NGINX_IMAGE, PAUSE_IMAGE


@dataclass(frozen=True)
class LoadTarget:
    """A demo a load generator hits: it runs in the demo's namespace and loops `loop`."""

    construct_id: str
    namespace: str
    image: str
    loop: str


# The chapter's generators: busybox wget against php-apache, curl against podinfo (and podinfo-keda).
PHP_APACHE_LOAD = LoadTarget("PhpApacheLoad", "php-apache", BUSYBOX_IMAGE,
                             "while sleep 0.01; do wget -q -O- http://php-apache; done")
PODINFO_LOAD = LoadTarget("PodinfoLoad", "podinfo", CURL_IMAGE,
                          "while sleep 0.01; do curl -s -o /dev/null http://podinfo:9898; done")
PODINFO_KEDA_LOAD = LoadTarget("PodinfoKedaLoad", "podinfo-keda", CURL_IMAGE,
                               "while sleep 0.01; do curl -s -o /dev/null http://podinfo-keda:9898; done")


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
        load_targets: Sequence[LoadTarget],
    ) -> None:
        super().__init__(scope, construct_id, description="The chapter's demo workloads and load generators")
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
        for target in load_targets:
            eks.KubernetesManifest(
                self, target.construct_id, cluster=cluster,
                manifest=load_manifest("load-generator", namespace=target.namespace, image=target.image,
                                       loop=target.loop),
            )
