"""Session fixtures: each configuration in tests/synth.py is synthesized at most once per session."""

from __future__ import annotations

from typing import Callable

import pytest

from eks_scaling import cdk_json
from eks_scaling.setting_table import DEFAULTS
from tests.context import write_cdk_json
from tests.synth import CONFIGS, PIPELINE, Synth, synthesize, synthesize_pipeline, update_templates


@pytest.fixture(scope="session")
def synth(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Synth]:
    cache: dict[str, Synth] = {}

    def get(name: str) -> Synth:
        if name not in cache:
            cache[name] = synthesize(CONFIGS[name], tmp_path_factory.mktemp(name))
        return cache[name]

    return get


@pytest.fixture(scope="session")
def default(synth: Callable[[str], Synth]) -> Synth:
    return synth("default")




@pytest.fixture(scope="session")
def update_synth(tmp_path_factory: pytest.TempPathFactory) -> Callable[[dict[str, str]], dict]:
    """Templates under tests/synth.py's UPDATE_BASE and overrides, each set synthesized once per session."""
    cache: dict[str, dict] = {}

    def run(overrides: dict[str, str]) -> dict:
        key = repr(sorted(overrides.items()))
        if key not in cache:
            cache[key] = update_templates(overrides, tmp_path_factory.mktemp("update"))
        return cache[key]
    return run


@pytest.fixture(scope="session")
def pipeline_stack(tmp_path_factory: pytest.TempPathFactory):
    return synthesize_pipeline(PIPELINE, tmp_path_factory.mktemp("pipeline"))


@pytest.fixture
def planner_defaults(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """The planner reads the user's cdk.json by default: planner tests plan with the built-in defaults."""
    monkeypatch.setattr(cdk_json, "CDK_JSON", write_cdk_json(tmp_path_factory.mktemp("settings"), DEFAULTS))
