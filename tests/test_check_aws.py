"""scripts/check_aws.py, run as `make deploy` runs it, with a fake `aws` on PATH: who and where, or one line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from scripts.aws_cli import AwsCliError
from scripts.check_aws import account, check, region
from tests.context import write_cdk_json
from tests.fakes import fake_tool

ROOT = Path(__file__).resolve().parent.parent
IDENTITY = '{"Account": "123456789012", "Arn": "arn:aws:iam::123456789012:user/dev", "UserId": "AIDA"}'


def fake_aws(folder: Path, *, identity: str = f"echo '{IDENTITY}'", profile_region: str = "") -> Path:
    """A folder holding an `aws` that answers `configure get region` and `sts get-caller-identity`."""
    return fake_tool(folder, "aws", {"configure get": f"echo {profile_region}" if profile_region else "exit 1",
                                     "sts get-caller-identity": identity})


def run(tmp_path: Path, bin_dir: Path, cdk_args: str = "", **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", "import sys; from pathlib import Path; from scripts import check_aws; "
                               f"check_aws.CDK_JSON = Path({str(write_cdk_json(tmp_path, {'account': '', 'region': ''}))!r}); "
                               "sys.exit(check_aws.main())"],
        capture_output=True, text=True, cwd=ROOT, timeout=60,
        env={"PATH": str(bin_dir), "HOME": str(tmp_path), "CDK_ARGS": cdk_args, **env})


@pytest.mark.parametrize(("cdk_args", "env", "profile_region", "where"), [
    ("-c region=eu-west-1", {"AWS_REGION": "us-west-2"}, "", "region eu-west-1 (from -c region)"),
    ("aws://123456789012/eu-south-1", {"AWS_REGION": "us-west-2"}, "",
     "region eu-south-1 (from aws://<account>/<region>)"),
    ("", {"AWS_REGION": "us-west-2", "AWS_DEFAULT_REGION": "eu-north-1"}, "", "region us-west-2 (from AWS_REGION)"),
    ("", {"AWS_DEFAULT_REGION": "eu-north-1"}, "ap-south-1", "region eu-north-1 (from AWS_DEFAULT_REGION)"),
    ("", {}, "ap-south-1", "region ap-south-1 (from the AWS profile)"),
])
def test_credentials_and_region_found_print_who_and_where(tmp_path, cdk_args, env, profile_region, where):
    result = run(tmp_path, fake_aws(tmp_path / "bin", profile_region=profile_region), cdk_args, **env)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"AWS: account 123456789012 as arn:aws:iam::123456789012:user/dev, {where}\n"


def test_region_and_account_from_cdk_json(tmp_path):
    cdk_json = write_cdk_json(tmp_path, {"account": "210987654321", "region": "eu-central-1"})
    assert region("", cdk_json) == ("eu-central-1", "cdk.json")
    assert account("", cdk_json) == ("210987654321", "cdk.json")
    assert account("-c account=111122223333", cdk_json) == ("111122223333", "-c account")


NO_CREDENTIALS = ('echo "Unable to locate credentials. You can configure credentials by running '
                  '\\"aws configure\\"." >&2; exit 253')
EXPIRED = 'echo "Error when retrieving token from sso: Token has expired and refresh failed" >&2; exit 255'


@pytest.mark.parametrize(("aws", "env", "message"), [
    (None, {"AWS_REGION": "eu-west-1"}, "error: the AWS CLI (`aws`) is not on PATH: install AWS CLI v2"),
    (NO_CREDENTIALS, {"AWS_REGION": "eu-west-1"},
     "error: `aws sts get-caller-identity` failed: Unable to locate credentials. You can configure credentials by "
     'running "aws configure"; configure credentials with `aws configure` (access keys), `AWS_PROFILE=<profile>` '
     "(a named profile) or `aws sso login` (IAM Identity Center)"),
    (EXPIRED, {"AWS_REGION": "eu-west-1"}, "Token has expired and refresh failed; configure credentials with"),
    (f"echo '{IDENTITY}'", {}, "error: no AWS region is set; set one: `region` in cdk.json (or -c region=<region>"),
    (f"echo '{IDENTITY}'", {"AWS_REGION": "eu-west-1", "CDK_ARGS": "aws://210987654321/eu-west-1"},
     "error: the credentials are for account 123456789012 (arn:aws:iam::123456789012:user/dev), but "
     "aws://<account>/<region> targets account 210987654321: use credentials for 210987654321"),
], ids=["no aws", "no credentials", "expired sso", "no region", "another account"])
def test_missing_credentials_or_region_is_one_line_and_exit_2(tmp_path, aws, env, message):
    bin_dir = tmp_path / "bin" if aws is None else fake_aws(tmp_path / "bin", identity=aws)
    bin_dir.mkdir(exist_ok=True)
    result = run(tmp_path, bin_dir, **env)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr.startswith("error: ") and message in result.stderr, result.stderr
    assert result.stderr.count("\n") == 1


def test_no_answer_is_one_line_within_the_timeout(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(fake_aws(tmp_path / "bin", identity="/bin/sleep 5")))
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    with pytest.raises(AwsCliError, match=r"^`aws sts get-caller-identity` gave no answer within 0.5 s: check the "):
        check("", write_cdk_json(tmp_path, {"account": "", "region": ""}), timeout=0.5)
