"""The suite passes for any valid cdk.json a user commits: tests pin their own settings.

Every test configuration starts from the built-in defaults (tests/context.py) and takes only the
feature flags from cdk.json. These tests prove it against a user's cdk.json (their cluster name,
instance types and the documented pipeline) without running the suite twice.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from eks_scaling.cdk_json import CDK_JSON, cdk_json_context, is_framework_key
from eks_scaling.parse_settings import parse_config
from eks_scaling.pipeline_config import parse_pipeline
from eks_scaling.setting_table import DEFAULTS, SETTINGS
from scripts.check_cdk_json import differences
from tests.context import USER_SETTINGS, base_context, with_defaults, write_user_cdk_json
from tests.synth import CONFIGS, PIPELINE

TESTS = Path(__file__).resolve().parent


@pytest.fixture(scope="module")
def user_cdk_json(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_user_cdk_json(tmp_path_factory.mktemp("user"))


@pytest.fixture(params=["shipped", "user"])
def cdk_json(request, user_cdk_json) -> Path:
    return CDK_JSON if request.param == "shipped" else user_cdk_json


def test_the_user_cdk_json_changes_every_setting_it_names(user_cdk_json):
    changed = {key for key, value in cdk_json_context(user_cdk_json).items() if key in SETTINGS and value != DEFAULTS[key]}
    assert changed == set(USER_SETTINGS) | {"pipeline"}


def test_cdk_json_lists_every_setting_with_a_valid_value(cdk_json):
    context = cdk_json_context(cdk_json)
    assert {key for key in context if not is_framework_key(key)} == set(SETTINGS)
    parse_config(context)
    parse_pipeline(context)


@pytest.mark.parametrize("name", list(CONFIGS))
def test_test_configurations_do_not_depend_on_cdk_json_settings(user_cdk_json, name):
    ours, users = with_defaults(CONFIGS[name]), with_defaults(CONFIGS[name], user_cdk_json)
    assert ours == users
    assert parse_config(ours) == parse_config(users)


def test_the_pipeline_configuration_does_not_depend_on_cdk_json_settings(user_cdk_json):
    assert (parse_pipeline(with_defaults({"pipeline": PIPELINE}))
            == parse_pipeline(with_defaults({"pipeline": PIPELINE}, user_cdk_json)))


def test_feature_flags_come_from_cdk_json(user_cdk_json):
    flags = {key: value for key, value in cdk_json_context(user_cdk_json).items() if is_framework_key(key)}
    assert flags and base_context(user_cdk_json).items() >= flags.items()


def test_tests_read_cdk_json_only_by_an_explicit_path():
    # cdk_json_context() without a path reads the user's settings; a test must name the file it reads.
    for path in sorted(TESTS.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "cdk_json_context":
                assert node.args or node.keywords, f"{path.name}:{node.lineno} reads the user's cdk.json"


def test_shipped_settings_check_names_each_difference(user_cdk_json, tmp_path):
    assert [line.split("=")[0] for line in differences(user_cdk_json)] == [
        f"cdk.json sets {key}" for key in SETTINGS if key in USER_SETTINGS or key == "pipeline"]
    shipped = json.loads(user_cdk_json.read_text())
    shipped["context"].update(DEFAULTS)
    (tmp_path / "cdk.json").write_text(json.dumps(shipped))
    assert differences(tmp_path / "cdk.json") == []
    del shipped["context"]["natGateways"]
    (tmp_path / "cdk.json").write_text(json.dumps(shipped))
    assert differences(tmp_path / "cdk.json") == ["cdk.json lacks setting natGateways"]
