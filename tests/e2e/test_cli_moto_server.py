"""The real `labcheck verify` path, subprocess to moto server: every scenario variant gets its verdict.

Each variant is deployed into its own fresh account on one shared server and graded by a `labcheck`
child process that reaches the server through AWS_ENDPOINT_URL and assumed-role keys only.
"""

import xml.etree.ElementTree as ET

import pytest

from labcheck.catalog import get_lab

VARIANTS = get_lab("aws-bedrock-privatelink").scenario().VARIANTS
VALID = sorted(name for name, variant in VARIANTS.items() if variant.breaks is None)
BREAKAGES = sorted(name for name, variant in VARIANTS.items() if variant.breaks is not None)
# moto 5.2.5 implements neither cloudtrail:LookupEvents nor logs:GetDataProtectionPolicy: these can
# never be evidenced against it, so they must come out ERROR, never PASS.
UNREADABLE_ADVISORY = {"traffic-via-endpoint": "error", "invocation-logs-pii-masking": "error"}


def assert_one_line_usage_error(run):
    assert run.code == 2, run
    assert "Traceback" not in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1, run.stderr
    assert run.stderr.startswith("labcheck: error: ")
    assert run.stdout == ""


def test_the_scenario_has_enough_variants():
    assert "reference" in VALID
    assert len(VALID) >= 4
    assert len(BREAKAGES) >= 10


@pytest.mark.parametrize("variant", VALID)
def test_valid_design_passes(cohort, variant):
    account, run = cohort.result(variant)
    assert run.code == 0, run.stderr
    document = run.document()
    assert document["identity"] == {"cloud": "aws", "account": account, "region": "eu-central-1"}
    assert document["passed"] is True
    assert document["exit_code"] == 0
    required = {r["id"]: r["status"] for r in document["results"] if r["severity"] == "required"}
    advisory = {r["id"]: r["status"] for r in document["results"] if r["severity"] != "required"}
    assert required, document
    assert set(required.values()) == {"pass"}, required
    assert advisory == UNREADABLE_ADVISORY
    assert document["score"] == document["max_score"] > 0


@pytest.mark.parametrize("variant", BREAKAGES)
def test_breakage_fails_its_check(cohort, variant):
    broken = VARIANTS[variant].breaks
    account, run = cohort.result(variant)
    assert run.code == 1, run.stderr
    document = run.document()
    assert document["identity"]["account"] == account
    assert document["passed"] is False
    statuses = run.statuses()
    assert statuses[broken] == "fail", next(r for r in document["results"] if r["id"] == broken)
    # a breakage may take an advisory check's evidence away (no endpoint, no log group): FAIL or ERROR, never PASS
    assert {statuses[i] for i in UNREADABLE_ADVISORY} <= {"error", "fail"}


def test_check_option_runs_only_that_check(cloud, reference_env):
    run = cloud.verify(reference_env, "--format", "json", "--check", "endpoint-private-dns")
    assert run.code == 0, run.stderr
    assert run.statuses() == {"endpoint-private-dns": "pass"}


def test_junit_output_file(cloud, reference_env, tmp_path):
    target = tmp_path / "reports" / "labcheck.xml"
    run = cloud.verify(reference_env, "--format", "junit", "--output", str(target))
    assert run.code == 0, run.stderr
    root = ET.parse(target).getroot()
    assert len(root.findall(".//testcase")) == len(get_lab("aws-bedrock-privatelink").checks)
    assert not root.findall(".//failure")
    assert "endpoint-private-dns" in run.stdout  # the console view still goes to stdout
    assert str(target) in run.stderr
    assert "Traceback" not in run.stderr


def test_unknown_input_is_a_one_line_usage_error(cloud, reference_env):
    assert_one_line_usage_error(cloud.verify(reference_env, "--input", "nope=1"))


def test_invalid_region_is_a_one_line_usage_error(cloud, reference_env):
    run = cloud.run(reference_env, "verify", "aws-bedrock-privatelink", "--region", "moon-1")
    assert_one_line_usage_error(run)
    assert "moon-1" in run.stderr


def test_missing_credentials_is_a_one_line_usage_error(cloud, reference_env):
    keys = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")
    env = {k: v for k, v in reference_env.items() if k not in keys}
    run = cloud.verify(env, "--format", "json")
    assert_one_line_usage_error(run)
    assert "credentials" in run.stderr
