"""Where pods run (docs/architecture.md, rule 6): controllers on the tainted system nodes, workloads never.

The system nodes carry CriticalAddonsOnly=true:NoSchedule, the taint EKS's own system pods already
tolerate, so tainting needs nothing from them:
- CoreDNS (installed by EKS): `CriticalAddonsOnly Exists`, as in kubernetes/kubernetes
  cluster/addons/dns/coredns/coredns.yaml.base and EKS's add-ons (aws/containers-roadmap#2127).
- kube-proxy, aws-node (aws/amazon-vpc-cni-k8s charts/aws-vpc-cni/templates/daemonset.yaml) and
  eks-pod-identity-agent (aws/eks-pod-identity-agent charts/.../values.yaml): DaemonSets tolerating
  every taint (`operator: Exists`); aws-node and the agent run on the host network.
- aws-ebs-csi-driver: its controller tolerates `CriticalAddonsOnly Exists` (chart values
  controller.tolerations, kubernetes-sigs/aws-ebs-csi-driver v1.64.0); its node DaemonSet tolerates
  all taints (node.tolerateAllTaints). The app sets the controller's tolerations explicitly anyway.
This module must not import aws-cdk-lib (the config parser reads it).
"""

from __future__ import annotations

from eks_scaling.placement import Placement, tolerating

SYSTEM_NODE_LABELS = {"role": "system"}
SYSTEM_TAINT = {"key": "CriticalAddonsOnly", "value": "true", "effect": "NoSchedule"}
SYSTEM = Placement(SYSTEM_NODE_LABELS, (tolerating(SYSTEM_TAINT),))
