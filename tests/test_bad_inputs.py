"""Every row of tests/bad_inputs.py at its entry point: one line holding the row's words, and no traceback
(an uncaught exception fails the test), no hang (every server wait is bounded by the client's timeout) and no
silent acceptance (each entry point must refuse). In-process wherever that shows the same as a subprocess."""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import sys
from pathlib import Path

import pytest

import app
from benchmarks import synth_time
from eks_scaling import cdk_json
from eks_scaling.cdk_json import is_framework_key
from eks_scaling.parse_settings import parse_config
from eks_scaling.setting_table import DEFAULTS
from planner.cli.main import main as planner
from planner.prometheus import calibrate
from planner.prometheus.api import Prometheus, PrometheusError
from scripts import aws_cli, check_aws, check_cdk_args, check_cdk_json, doctor, refresh_crds, verify_cluster
from tests.bad_inputs import CASES, Case
from tests.context import with_defaults, write_cdk_json
from tests.fake_servers import FakeServer, http
from tests.fakes import fake_tool

ROOT = Path(__file__).resolve().parent.parent
NODE_PATH = f"{ROOT / 'node_modules' / '.bin'}{os.pathsep}{os.environ['PATH']}"  # the pinned Node, as make runs
IDENTITY = '{"Account": "111122223333", "Arn": "arn:aws:iam::111122223333:user/dev", "UserId": "X"}'


@pytest.fixture(scope="module")
def shared_server():
    fake = FakeServer()
    yield fake
    fake.close()


@pytest.fixture
def server(shared_server):
    """One server for the module (a server per row would cost its start and stop), answering `{}` by default."""
    shared_server.answer = lambda path, query: http({})
    return shared_server


@pytest.fixture
def settings_file(tmp_path, monkeypatch):
    """The repository's cdk.json, as the entry points read it, replaced by the defaults or by given bytes."""
    path = write_cdk_json(tmp_path, DEFAULTS)
    monkeypatch.setattr(cdk_json, "CDK_JSON", path)
    return path


def one_line(capsys, text: str | None = None) -> str:
    """The single line of stderr (or of `text`): no traceback, no second line."""
    lines = (capsys.readouterr().err if text is None else text).splitlines()
    assert len(lines) == 1 and "Traceback" not in lines[0], lines
    return lines[0]


def run_synth(case: Case, capsys, monkeypatch, settings_file, **_) -> str:
    monkeypatch.setattr(app, "cdk_json_context", lambda: with_defaults(case.given))
    with pytest.raises(SystemExit) as exit_:
        app.main()
    return one_line(capsys, str(exit_.value.code))


def run_synth_file(case: Case, capsys, settings_file, **_) -> str:
    settings_file.write_bytes(case.given)
    with pytest.raises(SystemExit) as exit_:
        app.main()
    return one_line(capsys, str(exit_.value.code))


def run_check_cdk_json(case: Case, capsys, settings_file, **_) -> str:
    settings_file.write_bytes(case.given)
    with pytest.raises(SystemExit) as exit_:
        check_cdk_json.main()
    assert exit_.value.code == 2
    return one_line(capsys)


def run_check_aws(case: Case, capsys, monkeypatch, tmp_path, **_) -> str:
    path = tmp_path / "cdk.json"
    path.write_bytes(case.given)
    monkeypatch.setattr(check_aws, "CDK_JSON", path)
    monkeypatch.setenv("PATH", str(fake_tool(tmp_path / "bin", "aws", {"sts get-caller-identity": f"echo '{IDENTITY}'"})))
    monkeypatch.delenv("CDK_ARGS", raising=False)
    assert check_aws.main() == 2
    return one_line(capsys)


def run_doctor(case: Case, capsys, monkeypatch, tmp_path, **_) -> str:
    (tmp_path / "cdk.json").write_bytes(case.given)
    shutil.copy(ROOT / "package.json", tmp_path / "package.json")
    monkeypatch.setenv("PATH", str(fake_tool(tmp_path / "bin", "aws", {"sts get-caller-identity": f"echo '{IDENTITY}'"})))
    assert doctor.main(tmp_path) == 1
    found = [line for line in capsys.readouterr().out.splitlines() if case.expect in line]
    assert len(found) == 1, found
    return found[0]


def run_verify(case: Case, capsys, monkeypatch, server, settings_file, **_) -> str:
    given = case.given if isinstance(case.given, dict) else {}
    describe = json.loads(json.dumps(given.get("describe", {"cluster": {
        "status": "ACTIVE", "endpoint": "{url}", "certificateAuthority": {"data": ""}}})).replace("{url}", server.url))
    if "describe" not in given:  # a plain HTTP endpoint: no TLS context to build
        monkeypatch.setattr(verify_cluster.ssl, "create_default_context", lambda **_: None)
    monkeypatch.setattr(verify_cluster, "_aws", lambda *args: {**describe, "status": {"token": "t"}}
                        if isinstance(describe, dict) else describe)
    if "api" in given:
        server.answer = lambda path, query: given["api"]
    if case.entry == "verify-file":
        settings_file.write_bytes(case.given)
    assert verify_cluster.main(["--region", "eu-west-1", *given.get("argv", [])]) == 2
    return one_line(capsys)


def run_verify_report(case: Case, capsys, monkeypatch, server, settings_file, **_) -> str:
    """The cluster's API answers every path with the same odd object: each check fails with a line of its own."""
    monkeypatch.setattr(verify_cluster.ssl, "create_default_context", lambda **_: None)
    monkeypatch.setattr(verify_cluster, "_aws", lambda *args: {"status": {"token": "t"}, "cluster": {
        "status": "ACTIVE", "endpoint": server.url, "certificateAuthority": {"data": ""}}})
    server.answer = lambda path, query: http(case.given)
    assert verify_cluster.main(["--region", "eu-west-1"]) == 1
    found = [line for line in capsys.readouterr().out.splitlines() if case.expect in line]
    assert len(found) == 1, found
    return found[0]


def run_planner(case: Case, capsys, server, tmp_path, planner_defaults, **_) -> str:
    argv = [arg.replace("{url}", server.url) for arg in case.given]
    if "{file}" in argv:  # [..., "{file}", ..., "", content]: the file's content after the empty marker
        marker = argv.index("")
        path = tmp_path / "given"
        path.write_text(argv[marker + 1])
        argv = [str(path) if arg == "{file}" else arg for arg in argv[:marker] + argv[marker + 2:]]
    assert planner([*argv, "--out", str(tmp_path / "out"), "--quiet", "--no-plot"]) == 2
    return one_line(capsys)


def run_planner_file(case: Case, capsys, tmp_path, planner_defaults, **_) -> str:
    (tmp_path / "cdk.json").write_bytes(case.given)
    assert planner(["--cdk-json", str(tmp_path / "cdk.json"), "--out", str(tmp_path), "--quiet", "--no-plot"]) == 2
    return one_line(capsys)


def run_prometheus(case: Case, server, **_) -> str:
    server.answer = lambda path, query: case.given
    with pytest.raises(PrometheusError) as error:
        Prometheus(server.url, timeout=0.5).instant("up", 0)
    return one_line(None, str(error.value))


def run_calibrate(case: Case, server, **_) -> str:
    def answer(path, query):
        if path.endswith("/values"):
            return http({"status": "success", "data": [f"{calibrate.KARPENTER_HISTOGRAM}_count"]})
        value = case.given["sum" if "_sum" in query["query"] else "count"]
        return http({"status": "success", "data": {"resultType": "vector",
                                                   "result": [{"metric": {}, "value": [1, value]}]}})
    server.answer = answer
    config = parse_config(with_defaults({"enablePrometheus": False, "enableKeda": False}))
    with pytest.raises(PrometheusError) as error:
        calibrate.measure(Prometheus(server.url, timeout=2), config, [], 0, 3600)
    return one_line(None, str(error.value))


def run_aws_cli(case: Case, monkeypatch, tmp_path, **_) -> str:
    monkeypatch.setenv("PATH", str(fake_tool(tmp_path / "bin", "aws", {"eks describe-cluster": case.given})))
    with pytest.raises(aws_cli.AwsCliError) as error:
        aws_cli.aws("eks", "describe-cluster", "--name", "x", otherwise="")
    return one_line(None, str(error.value))


def run_cdk_args(case: Case, capsys, monkeypatch, **_) -> str:
    command, cdk_args = case.given
    monkeypatch.setenv("CDK_ARGS", cdk_args)
    assert check_cdk_args.main([command]) == 2
    return one_line(capsys)


def run_bench(case: Case, capsys, **_) -> str:
    assert synth_time.main(case.given) == 2
    return one_line(capsys)


def run_bench_synth(case: Case, capsys, monkeypatch, **_) -> str:
    # The real CDK CLI runs an app that fails as the app does on a bad setting (one error line, exit 1).
    monkeypatch.setattr(synth_time, "APPS", {"default app": f'{sys.executable} -c "{case.given}"'})
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("PATH", NODE_PATH)
    assert synth_time.main(["synth_time.py", "1"]) == 2
    return one_line(capsys)


def run_crds(case: Case, capsys, monkeypatch, tmp_path, **_) -> str:
    if case.given == "not a clone":
        (tmp_path / "aws+karpenter-provider-aws" / "repo").mkdir(parents=True)
    monkeypatch.setenv("MIRROR", str(tmp_path))
    assert refresh_crds.main() == 2
    return one_line(capsys)


RUNNERS = {
    "synth": run_synth, "synth-file": run_synth_file, "check-cdk-json": run_check_cdk_json,
    "check-aws": run_check_aws, "doctor": run_doctor, "verify": run_verify, "verify-file": run_verify,
    "verify-report": run_verify_report,
    "planner": run_planner, "planner-file": run_planner_file, "prometheus": run_prometheus,
    "calibrate": run_calibrate, "aws-cli": run_aws_cli, "cdk-args": run_cdk_args, "bench": run_bench,
    "bench-synth": run_bench_synth, "crds": run_crds,
}


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_bad_input_gets_one_line(request, case, capsys, monkeypatch, tmp_path):
    fixtures = {name: request.getfixturevalue(name) for name in ("server", "settings_file")}
    planner_defaults = request.getfixturevalue("planner_defaults") if "planner" in case.entry else None
    line = RUNNERS[case.entry](case, capsys=capsys, monkeypatch=monkeypatch, tmp_path=tmp_path,
                               planner_defaults=planner_defaults, **fixtures)
    assert case.expect in line


def test_every_cause_has_five_cases_and_every_entry_point_is_covered():
    by_cause = {cause: sum(case.cause == cause for case in CASES) for cause in (1, 2, 3, 4, 5, 6, 7)}
    assert all(count >= 5 for count in by_cause.values()), by_cause
    assert {case.entry for case in CASES} == set(RUNNERS)


@pytest.mark.parametrize("key", [
    "@aws-cdk/core:enableStackNameDuplicates", "aws:cdk:enable-path-metadata", "aws:cdk:bundling-stacks",
    "aws-cdk:enableDiffNoFail", "availability-zones:account=111122223333:region=eu-west-1",
    "ssm:account=111122223333:parameterName=/a/b$:c:region=eu-west-1", "acknowledged-issue-numbers", "cli-telemetry",
    "ami:account=111122223333:filters.image-type.0=machine:filters.name.0=al2023-*:region=eu-west-1",
])
def test_cdk_framework_keys_still_pass(key):
    assert is_framework_key(key)
    assert parse_config(with_defaults({key: ["x"]})).cluster.name == DEFAULTS["clusterName"]


@pytest.mark.parametrize(("command", "cdk_args"), [
    ("deploy", "--all --require-approval never -c clusterName=demo -c '@aws-cdk/core:newStyleStackSynthesis=true'"),
    ("synth", "-q --no-staging -e EksScalingStack"),
    ("bootstrap", "aws://111122223333/eu-west-1 --profile dev"),
    ("diff", "--context region=eu-west-1 --context account=111122223333 -c availabilityZones=eu-west-1a,eu-west-1b"),
    ("destroy", "-f -v -v"),
])
def test_cdk_args_the_cli_takes_still_pass(monkeypatch, command, cdk_args):
    monkeypatch.setenv("CDK_ARGS", cdk_args)
    assert check_cdk_args.main([command]) == 0


def test_a_cdk_json_with_a_byte_order_mark_is_read_as_the_cdk_cli_reads_it(settings_file):
    settings_file.write_bytes(b"\xef\xbb\xbf" + settings_file.read_bytes())
    assert cdk_json.cdk_json_context()["clusterName"] == DEFAULTS["clusterName"]


def test_the_pinned_cli_s_options_are_read():
    from scripts.cdk_cli_options import options
    synth = options("synth")
    assert (synth["c"].name, synth["c"].type, synth["q"].name, synth["app"].takes_value) == (
        "context", "array", "quiet", True)
    assert "require-approval" in options("deploy") and "require-approval" not in synth


SOURCE_FOLDERS = ("eks_scaling", "cdk_constructs", "stacks", "planner", "scripts", "benchmarks")
_CLASSES = re.compile(r"\\[dwsDWS]")


def _pattern_calls():
    """(file:line, pattern literal, its flags as written) of every regular expression the source compiles or runs."""
    for path in [ROOT / "app.py", *(path for folder in SOURCE_FOLDERS for path in sorted((ROOT / folder).rglob("*.py")))]:
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            name = ast.unparse(node.func)
            if name not in ("ascii_pattern", *(f"re.{fn}" for fn in ("compile", "match", "fullmatch", "search",
                                                                      "findall", "finditer", "sub", "split"))):
                continue
            literal = node.args[0]
            if isinstance(literal, ast.JoinedStr) or not isinstance(literal, ast.Constant):
                continue  # built from parts, each checked where it is written
            flags = " ".join(ast.unparse(arg) for arg in [*node.args[1:], *(k.value for k in node.keywords)])
            yield f"{path.relative_to(ROOT)}:{node.lineno}", literal.value, ("ASCII" if name == "ascii_pattern" else "") + flags


def test_every_pattern_is_ascii_and_matched_in_full():
    """The class of issue 19's first cause: \\d, \\w and \\s take any script's digits, letters and spaces unless
    the pattern is ASCII, and a trailing $ lets a newline through; checks use fullmatch (typed_text.full_match)."""
    found = list(_pattern_calls())
    assert len(found) > 20
    unicode_classes = [where for where, pattern, flags in found if _CLASSES.search(pattern) and "ASCII" not in flags]
    dollar_anchored = [where for where, pattern, flags in found if pattern.endswith("$") and "MULTILINE" not in flags]
    assert (unicode_classes, dollar_anchored) == ([], [])


def test_role_names_built_from_settings_fit_iam_at_the_longest_settings():
    """IAM role names are at most 64 characters (IAM CreateRole): the names the app builds from the cluster
    name, account and region stay within it at the longest values the settings accept."""
    from eks_scaling.aws_regions import REGIONS
    from stacks.eks_scaling_stack import verifier_role_name, verify_step_role_name
    longest_cluster, longest_region = "c" * 100, max(REGIONS, key=len)
    names = [verifier_role_name(longest_cluster, longest_region),
             verify_step_role_name(longest_cluster, "111122223333", longest_region)]
    assert all(len(name) <= 64 and re.fullmatch(r"[A-Za-z0-9+=,.@_-]+", name, re.ASCII) for name in names), names
