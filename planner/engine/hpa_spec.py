"""An HPA's spec.behavior as the API server validates and defaults it: read from the app's manifests
(workloads.py) and applied by the HPA model (planner/scalers/hpa_scaling.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Policy:
    kind: Literal["Pods", "Percent"]
    value: int
    period: int  # periodSeconds


@dataclass(frozen=True)
class ScalingRules:
    """spec.behavior.scaleUp or .scaleDown; a field left None takes the API default."""

    policies: tuple[Policy, ...] | None = None
    window: int | None = None  # stabilizationWindowSeconds
    select: Literal["Max", "Min", "Disabled"] | None = None
    tolerance: float | None = None

    def __post_init__(self) -> None:
        """The API server's bounds (pkg/apis/autoscaling/validation validateScalingRules)."""
        problems = [
            *(["policies must not be empty"] if self.policies == () else []),
            *(f"{policy.kind} policy value {policy.value} must be > 0" for policy in self.policies or ()
              if policy.value <= 0),
            *(f"periodSeconds {policy.period} must be 1-1800" for policy in self.policies or ()
              if not 0 < policy.period <= 1800),
            *([f"stabilizationWindowSeconds {self.window} must be 0-3600"]
              if self.window is not None and not 0 <= self.window <= 3600 else []),
            *([f"tolerance {self.tolerance} must be >= 0"] if self.tolerance is not None and not self.tolerance >= 0
              else []),
        ]
        if problems:
            raise ValueError("; ".join(problems))


@dataclass(frozen=True)
class Behavior:
    """spec.behavior. Once it is set, the API server fills each unset field of both directions with the
    defaults (defaults.go GenerateHPAScaleUpRules / GenerateHPAScaleDownRules)."""

    scale_up: ScalingRules | None = None
    scale_down: ScalingRules | None = None

    def up(self) -> ScalingRules:
        rules = self.scale_up or ScalingRules()
        return ScalingRules(rules.policies if rules.policies is not None else
                            (Policy("Pods", 4, 15), Policy("Percent", 100, 15)),
                            0 if rules.window is None else rules.window, rules.select or "Max", rules.tolerance)

    def down(self, downscale_stabilization: float) -> ScalingRules:
        """Scale-down's window defaults to the controller's flag (maybeInitScaleDownStabilizationWindow)."""
        rules = self.scale_down or ScalingRules()
        return ScalingRules(rules.policies if rules.policies is not None else (Policy("Percent", 100, 15),),
                            int(downscale_stabilization) if rules.window is None else rules.window,
                            rules.select or "Max", rules.tolerance)
