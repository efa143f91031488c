"""Every quantity setting (count, CPU, memory, volume, duration, retention) is bounded, with its reason,
and a value just outside its range is rejected with one line naming the key, the value and the range."""

from __future__ import annotations

import json

import pytest

from eks_scaling.parse_settings import parse_config
from eks_scaling.quantities import CPU, DURATION, MEMORY, RETENTION, Bounded
from eks_scaling.setting_parsers import ConfigError
from eks_scaling.setting_table import DEFAULTS, SETTINGS
from tests.context import with_defaults
from tests.docs import setting_lines


def _is_quantity(key: str, default: object) -> bool:
    """Told by the shipped default: a number, or text shaped like a quantity (CPU settings by name,
    since "1.35" would read as a CPU quantity too)."""
    if isinstance(default, bool):
        return False
    if isinstance(default, int):
        return True
    if isinstance(default, str):
        return key.endswith("Cpu") and bool(CPU.pattern.match(default)) or any(
            kind.pattern.match(default) for kind in (MEMORY, DURATION, RETENTION))
    return False


QUANTITIES = [key for key in SETTINGS if _is_quantity(key, DEFAULTS[key])]


def test_the_quantity_settings_are_found():
    assert {"natGateways", "karpenterMemoryLimit", "karpenterControllerCpu", "prometheusVolumeSize",
            "prometheusRetention", "karpenterConsolidateAfter", "logRetentionDays"} <= set(QUANTITIES)


@pytest.mark.parametrize("key", QUANTITIES)
def test_every_quantity_setting_is_bounded_with_a_reason(key):
    parser = SETTINGS[key]
    assert isinstance(parser, Bounded), f"{key} is a quantity: give it a Bounded parser (eks_scaling/setting_bounds.py)"
    assert parser.reason and parser.low <= parser.kind.to_base(str(DEFAULTS[key])) <= parser.high


def _just_outside(parser: Bounded) -> list[str]:
    kind = parser.kind
    values = [kind.to_text(parser.low - kind.resolution), kind.to_text(parser.high + kind.resolution)]
    if parser.steps:
        values.append(kind.to_text(next(n for n in range(parser.low, parser.high) if n not in parser.steps)))
    return values


@pytest.mark.parametrize("key", QUANTITIES)
def test_values_just_outside_the_range_are_rejected_in_one_line(key):
    parser = SETTINGS[key]
    for value in _just_outside(parser):
        with pytest.raises(ConfigError) as error:
            parser(key, value)
        assert str(error.value) == f"invalid setting {key}={json.dumps(value)}: {parser.allowed}"
        with pytest.raises(ConfigError, match=f"^invalid setting {key}={json.dumps(value)}: expected ") as error:
            parse_config(with_defaults({key: value}))
        assert "\n" not in str(error.value)


@pytest.mark.parametrize("key", QUANTITIES)
def test_the_ends_of_the_range_are_accepted(key):
    parser = SETTINGS[key]
    for end in (parser.steps[0], parser.steps[-1]) if parser.steps else (parser.low, parser.high):
        parser(key, parser.kind.to_text(end))


@pytest.mark.parametrize(("overrides", "message"), [
    ({"karpenterMemoryLimit": "0Gi"},
     'invalid setting karpenterMemoryLimit="0Gi": expected a memory quantity from 1Gi to '),
    ({"prometheusVolumeSize": "0Gi"},
     'invalid setting prometheusVolumeSize="0Gi": expected a volume size from 1Gi to 64Ti (the sizes of a gp3 EBS volume)'),
    ({"prometheusVolumeSize": "999999Ti"}, 'invalid setting prometheusVolumeSize="999999Ti": expected a volume size'),
    ({"karpenterControllerCpu": "0"}, 'invalid setting karpenterControllerCpu="0": expected a CPU quantity from 100m'),
    ({"karpenterControllerMemory": "1Mi"},
     'invalid setting karpenterControllerMemory="1Mi": expected a memory quantity from 256Mi'),
    ({"prometheusRetention": "0d"}, 'invalid setting prometheusRetention="0d": expected a retention from 2h to 100y'),
    ({"karpenterCpuLimit": "1"},
     "invalid setting karpenterCpuLimit=1: expected at least 2, the vCPUs of c5.large, the smallest of "
     "karpenterInstanceTypes (below it Karpenter can launch no node)"),
    ({"karpenterMemoryLimit": "2Gi"},
     'invalid setting karpenterMemoryLimit="2Gi": expected at least 4Gi, the memory of c5.large'),
])
def test_the_reviewed_values_are_rejected(overrides, message):
    with pytest.raises(ConfigError) as error:
        parse_config(with_defaults(overrides))
    assert str(error.value).startswith(message)


def test_the_settings_page_states_every_range():
    rows = setting_lines()
    for key in QUANTITIES:
        parser = SETTINGS[key]
        if not parser.steps:
            assert f"{parser.kind.to_text(parser.low)}–{parser.kind.to_text(parser.high)}" in rows[key], key
