"""The generated grader policy, proved under moto's IAM enforcement: sufficient, and honest per action.

A moto server in a child process (labcheck.testing.moto_auth: enforcement, with the body-less SigV4
re-check and S3 action-name fixes) holds three deployments of aws-bedrock-privatelink, each in its own
account:

* reference        - the reference solution;
* managed-policy   - the app's permissions in an attached managed policy (reaches iam:GetPolicy and
                     iam:GetPolicyVersion; the reference has inline policies only);
* s3-logging       - the reference, with invocation logs also delivered to a KMS-encrypted S3 bucket
                     (reaches s3:GetEncryptionConfiguration; no scenario variant logs to S3).

Graders are IAM users of those accounts whose only policy is `labcheck.permissions.iam_policy([lab])`
(Resource "*", the only form moto evaluates: testing-clouds.md §3.5), or that policy minus one action.
`labcheck verify --format json` runs in this process with the grader's keys.

Reached, or not, on moto 5.2.5 (every action of the policy is accounted for):
* cloudtrail:LookupEvents and logs:GetDataProtectionPolicy are not implemented by moto, so with the full
  policy their checks (traffic-via-endpoint, invocation-logs-pii-masking) are ERROR "... failed: 500".
  moto evaluates IAM before it dispatches, though, so without the action the same checks are ERROR
  "access denied: <action>": the removal is observable, and these actions are tested like the others.
* iam:GetPolicy and iam:GetPolicyVersion are reached only when the app role has an attached managed
  policy: tested on managed-policy. iam:GetRolePolicy is reached only with inline policies: reference.
* s3:GetEncryptionConfiguration is reached only when invocation logs go to S3: tested on s3-logging.
  Stock moto authorises GetBucketEncryption as s3:ListBucket; moto_auth maps it to the real action.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from trust_support import REGION, VERIFY, Run, deploy, new_account, run_in_process

from labcheck import permissions
from labcheck.catalog import get_lab
from labcheck.testing.moto_auth import create_grader, set_enforcement, start_enforcing_server
from labcheck.testing.moto_server import account_env, client_factory

LAB = get_lab("aws-bedrock-privatelink")
POLICY = permissions.iam_policy([LAB])
ACTIONS: list[str] = permissions.actions([LAB])
DEPLOYMENTS = ("reference", "managed-policy", "s3-logging")
REACHED_ON = {
    "iam:GetPolicy": "managed-policy",
    "iam:GetPolicyVersion": "managed-policy",
    "s3:GetEncryptionConfiguration": "s3-logging",
}
"""The deployment on which an action is reached; every other action is reached on the reference."""
JSON = ("--format", "json")


def declaring(action: str) -> set[str]:
    """The checks that declare an action."""
    return {c.id for c in LAB.checks if action in c.spec.permissions}


def without(action: str) -> dict[str, Any]:
    """The generated policy minus one action."""
    policy = copy.deepcopy(POLICY)
    statement = policy["Statement"][0]  # type: ignore[index]
    statement["Action"] = [a for a in statement["Action"] if a != action]
    return policy


def denied(run: Run, action: str | None = None) -> dict[str, str]:
    """Check id -> message, for the results that report an access denial (of `action`, if given)."""
    needle = f"access denied: {action} " if action else "access denied"
    return {i: r["message"] for i, r in run.results().items() if needle in r["message"]}


def _log_to_s3_too(url: str, session: Any, account: str) -> None:
    """Add a KMS-encrypted S3 bucket (rotating CMK) to the account's invocation-logging destinations."""
    client = client_factory(url, session)
    kms, s3, bedrock = client("kms"), client("s3"), client("bedrock")
    key = kms.create_key(Description="invocation log bucket")["KeyMetadata"]
    kms.enable_key_rotation(KeyId=key["KeyId"])
    bucket = f"labcheck-invocations-{account}"
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_bucket_encryption(
        Bucket=bucket,
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key["Arn"]}}]
        },
    )
    config = bedrock.get_model_invocation_logging_configuration()["loggingConfig"]
    bedrock.put_model_invocation_logging_configuration(loggingConfig={**config, "s3Config": {"bucketName": bucket}})


@dataclass
class Enforced:
    """The enforcing server, its deployments and graders, and the runs every test compares with."""

    url: str
    accounts: dict[str, str] = field(default_factory=dict)
    unenforced: dict[str, Run] = field(default_factory=dict)  # assumed-role keys, enforcement off
    full: dict[str, Run] = field(default_factory=dict)  # the generated policy, enforcement on
    minus: dict[str, dict[str, str]] = field(default_factory=dict)  # action -> env of the grader without it


@pytest.fixture(scope="module")
def enforced() -> Iterator[Enforced]:
    with start_enforcing_server() as server:
        setup = Enforced(server.url)
        full_envs, admins = {}, {}
        for name in DEPLOYMENTS:
            account = new_account()
            _, admins[name] = deploy(server.url, "reference" if name == "s3-logging" else name, account)
            if name == "s3-logging":
                _log_to_s3_too(server.url, admins[name], account)
            setup.accounts[name] = account
            setup.unenforced[name] = run_in_process([*VERIFY, *JSON], account_env(server.url, admins[name]))
            grader = create_grader(server.url, account, REGION, POLICY, "grader-full", admin=admins[name])
            full_envs[name] = account_env(server.url, grader)
        for number, action in enumerate(ACTIONS):
            name = REACHED_ON.get(action, "reference")
            grader = create_grader(
                server.url, setup.accounts[name], REGION, without(action), f"grader-{number}", admin=admins[name]
            )
            setup.minus[action] = account_env(server.url, grader)
        set_enforcement(server.url, True)
        setup.full = {name: run_in_process([*VERIFY, *JSON], env) for name, env in full_envs.items()}
        yield setup


def test_the_policy_is_one_read_only_statement_on_every_resource():
    (statement,) = POLICY["Statement"]  # type: ignore[misc]
    assert statement["Effect"] == "Allow"
    assert statement["Resource"] == "*"
    assert statement["Action"] == ACTIONS == sorted({a for c in LAB.checks for a in c.spec.permissions})
    assert len(ACTIONS) >= 20


def test_every_action_is_placed_on_a_deployment_that_reaches_it():
    assert set(REACHED_ON) <= set(ACTIONS)
    assert set(REACHED_ON.values()) <= set(DEPLOYMENTS)
    # the actions only some designs reach are declared only by the checks whose reads can reach them
    assert declaring("s3:GetEncryptionConfiguration") == {"invocation-logs-encrypted-cmk"}
    role_policy_readers = {"app-role-requires-sourcevpce", "app-role-approved-models-only", "region-pinned"}
    assert declaring("iam:GetPolicy") == declaring("iam:GetPolicyVersion") == role_policy_readers
    assert declaring("cloudtrail:LookupEvents") == {"traffic-via-endpoint"}
    assert declaring("logs:GetDataProtectionPolicy") == {"invocation-logs-pii-masking"}


@pytest.mark.parametrize("deployment", DEPLOYMENTS)
def test_the_generated_policy_is_sufficient(enforced, deployment):
    run = enforced.full[deployment]
    assert run.code == 0, run.stderr
    assert denied(run) == {}, denied(run)
    assert run.document()["identity"]["account"] == enforced.accounts[deployment]
    # enforcement with the generated policy changes no verdict the unrestricted caller got
    assert run.statuses() == enforced.unenforced[deployment].statuses()
    required = {i: r["status"] for i, r in run.results().items() if r["severity"] == "required"}
    assert set(required.values()) == {"pass"}, required


def test_the_unimplemented_apis_are_errors_but_not_denials(enforced):
    results = enforced.full["reference"].results()
    for check_id, action in (
        ("traffic-via-endpoint", "cloudtrail:LookupEvents"),
        ("invocation-logs-pii-masking", "logs:GetDataProtectionPolicy"),
    ):
        assert results[check_id]["status"] == "error"
        assert action in results[check_id]["message"]
        assert "access denied" not in results[check_id]["message"]


def test_the_s3_logging_deployment_grades_the_bucket(enforced):
    message = enforced.full["s3-logging"].results()["invocation-logs-encrypted-cmk"]["message"]
    assert "labcheck-invocations-" in message, message


@pytest.mark.parametrize("action", ACTIONS)
def test_removing_an_action_errors_exactly_the_checks_that_declare_it(enforced, action):
    deployment = REACHED_ON.get(action, "reference")
    run = run_in_process([*VERIFY, *JSON], enforced.minus[action])
    results, full = run.results(), enforced.full[deployment].statuses()
    erred = {i for i, r in results.items() if r["status"] == "error" and i in denied(run, action)}
    assert erred == declaring(action), {i: results[i]["message"] for i in erred ^ declaring(action)}
    required_erred = any(results[i]["severity"] == "required" for i in erred)
    assert run.code == (2 if required_erred else enforced.full[deployment].code), run.stderr
    # every other check is untouched, and no other action is reported denied
    assert {i: r["status"] for i, r in results.items() if i not in erred} == {
        i: s for i, s in full.items() if i not in erred
    }
    assert set(denied(run)) == erred
    for check_id in erred:
        assert results[check_id]["hint"] == f"Allow {action} for the identity labcheck runs as."


def test_actions_not_reached_on_the_reference_change_nothing_there(enforced):
    """The other side of REACHED_ON: on the reference, these removals are invisible, so they are tested elsewhere."""
    policy = copy.deepcopy(POLICY)
    policy["Statement"][0]["Action"] = [a for a in ACTIONS if a not in REACHED_ON]  # type: ignore[index]
    grader = late_grader(enforced.url, enforced.accounts["reference"], policy, "grader-narrow")
    run = run_in_process([*VERIFY, *JSON], account_env(enforced.url, grader))
    assert denied(run) == {}
    assert run.statuses() == enforced.full["reference"].statuses()


def late_grader(url: str, account: str, policy: dict[str, Any], name: str) -> Any:
    """A grader created on a server whose enforcement is on: switched off meanwhile, and on again."""
    set_enforcement(url, False)
    try:
        return create_grader(url, account, REGION, policy, name)
    finally:
        set_enforcement(url, True)


# --- the moto fixes themselves --------------------------------------------------------------------------

PROBE_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": ["ec2:DescribeVpcs", "bedrock:GetModelInvocationLoggingConfiguration"],
            "Resource": "*",
        }
    ],
}


def _probe(url: str) -> dict[str, str]:
    """With enforcement on: an allowed body-less call, allowed and not allowed query calls, a wrong secret."""
    import boto3

    grader = late_grader(url, new_account(), PROBE_POLICY, "prober")
    keys = grader.get_credentials().get_frozen_credentials()
    wrong = boto3.Session(
        aws_access_key_id=keys.access_key, aws_secret_access_key="WRONG" + keys.secret_key[5:], region_name=REGION
    )
    config = Config(retries={"total_max_attempts": 1})
    calls = {
        "bedrock": (grader, "bedrock", "get_model_invocation_logging_configuration"),
        "ec2": (grader, "ec2", "describe_vpcs"),
        "ec2 not allowed": (grader, "ec2", "describe_subnets"),
        "bedrock wrong secret": (wrong, "bedrock", "get_model_invocation_logging_configuration"),
    }
    outcomes = {}
    for name, (session, service, operation) in calls.items():
        try:
            getattr(session.client(service, endpoint_url=url, config=config), operation)()
            outcomes[name] = "ok"
        except ClientError as error:
            status = error.response["ResponseMetadata"]["HTTPStatusCode"]
            # the JSON services get moto's XML error, which botocore leaves in Message: look in both
            text = f"{error.response['Error'].get('Code')} {error.response['Error'].get('Message')}"
            outcomes[name] = f"{status} SignatureDoesNotMatch" if "SignatureDoesNotMatch" in text else str(status)
    return outcomes


def test_stock_moto_refuses_allowed_bodyless_calls_and_the_patch_fixes_only_that(enforced):
    with start_enforcing_server(stock=True) as stock_server:
        set_enforcement(stock_server.url, True)
        stock = _probe(stock_server.url)
    patched = _probe(enforced.url)
    assert stock["bedrock"] == "403 SignatureDoesNotMatch"  # the bug: allowed, yet refused
    assert patched["bedrock"] == "ok"
    for outcomes in (stock, patched):
        assert outcomes["ec2"] == "ok"
        assert outcomes["ec2 not allowed"] == "403"
        assert outcomes["bedrock wrong secret"] == "403 SignatureDoesNotMatch"  # signatures are still checked


def test_s3_bucket_reads_are_authorised_by_their_real_actions(enforced):
    """moto_auth.patch_s3_action_names: stock moto would want s3:ListBucket for both reads."""
    account = enforced.accounts["s3-logging"]
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["s3:GetEncryptionConfiguration", "s3:GetBucketPublicAccessBlock"],
                "Resource": "*",
            }
        ],
    }
    s3 = late_grader(enforced.url, account, policy, "s3-reader").client(
        "s3", endpoint_url=enforced.url, config=Config(retries={"total_max_attempts": 1})
    )
    bucket = f"labcheck-invocations-{account}"
    assert s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    with pytest.raises(ClientError) as absent:  # authorised, and there is no configuration to return
        s3.get_public_access_block(Bucket=bucket)
    assert absent.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    with pytest.raises(ClientError) as refused:
        s3.list_objects_v2(Bucket=bucket)
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
