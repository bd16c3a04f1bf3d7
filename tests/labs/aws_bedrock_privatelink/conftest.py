"""The passing architecture of aws-bedrock-privatelink as a FakeAws, and the runner glue its tests share.

`reference()` mirrors the spec's reference solution (shared/specs/aws.md §3, Lab A Terraform): every check
passes on it, and each test case is one small edit of a fresh copy. The test module reaches everything here
through fixtures, so nothing imports this file by name.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from labcheck.catalog import Lab, get_lab
from labcheck.model import Result
from labcheck.providers.aws.view import (
    Function,
    IngressRule,
    InvocationLogging,
    KmsKey,
    LogGroup,
    NamedPolicy,
    Role,
    Route,
    RouteTable,
    SecurityGroup,
    Subnet,
    TrailEvent,
    Vpc,
    VpcEndpoint,
)
from labcheck.testing.aws import FakeAws
from tests.labs.contract import AwsSubject

LAB_ID = "aws-bedrock-privatelink"
ACCOUNT = "111122223333"
REGION = "eu-central-1"
CIDR = "10.20.0.0/16"
MODEL_ARN = f"arn:aws:bedrock:{REGION}::foundation-model/anthropic.claude-3-haiku-20240307-v1:0"
INVOKE_ACTIONS = ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"]

VPC_ID = "vpc-0a1b2c3d4e5f60001"
SUBNET_A = "subnet-0a1b2c3d4e5f6000a"
SUBNET_B = "subnet-0a1b2c3d4e5f6000b"
MAIN_TABLE = "rtb-0a1b2c3d4e5f60000"
PRIVATE_TABLE = "rtb-0a1b2c3d4e5f60001"
ENDPOINT_ID = "vpce-0a1b2c3d4e5f60001"
ENDPOINT_SG = "sg-0a1b2c3d4e5f6vpce"
APP_SG = "sg-0a1b2c3d4e5f600app"
APP_ROLE = "labcheck-app"
APP_ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/{APP_ROLE}"
FUNCTION_ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:labcheck-app"
LOGGING_ROLE = "labcheck-bedrock-logging"
LOGGING_ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/{LOGGING_ROLE}"
LOG_GROUP = "/aws/bedrock/invocations"
KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"
KEY_ARN = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{KEY_ID}"
LAB_TAGS = {"labcheck-lab": LAB_ID}


def endpoint_policy() -> dict[str, Any]:
    """Anyone of this account, InvokeModel and its stream, on the approved model only."""
    statement = {
        "Effect": "Allow",
        "Principal": "*",
        "Action": list(INVOKE_ACTIONS),
        "Resource": [MODEL_ARN],
        "Condition": {"StringEquals": {"aws:PrincipalAccount": ACCOUNT}},
    }
    return {"Version": "2012-10-17", "Statement": [statement]}


def app_policy() -> dict[str, Any]:
    """The approved model through the endpoint only, and nothing outside the lab Region."""
    invoke = {
        "Sid": "InvokeApprovedModels",
        "Effect": "Allow",
        "Action": list(INVOKE_ACTIONS),
        "Resource": [MODEL_ARN],
        "Condition": {"StringEquals": {"aws:SourceVpce": ENDPOINT_ID}},
    }
    pin = {
        "Sid": "PinRegion",
        "Effect": "Deny",
        "Action": "*",
        "Resource": "*",
        "Condition": {"StringNotEquals": {"aws:RequestedRegion": [REGION]}},
    }
    return {"Version": "2012-10-17", "Statement": [invoke, pin]}


def trust_policy(service: str, condition: dict[str, Any] | None = None) -> dict[str, Any]:
    """A role trust policy for one service principal."""
    statement: dict[str, Any] = {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
    if condition:
        statement["Condition"] = condition
    return {"Version": "2012-10-17", "Statement": [statement]}


def logging_trust() -> dict[str, Any]:
    """Bedrock, acting for this account, may assume the logging role."""
    return trust_policy(
        "bedrock.amazonaws.com",
        {
            "StringEquals": {"aws:SourceAccount": ACCOUNT},
            "ArnLike": {"aws:SourceArn": f"arn:aws:bedrock:{REGION}:{ACCOUNT}:*"},
        },
    )


def _network(fake: FakeAws) -> None:
    fake.vpcs.append(Vpc(VPC_ID, (CIDR,), dict(LAB_TAGS)))
    fake.dns[VPC_ID] = (True, True)
    fake.subnet_list += [
        Subnet(SUBNET_A, VPC_ID, f"{REGION}a", map_public_ip_on_launch=False),
        Subnet(SUBNET_B, VPC_ID, f"{REGION}b", map_public_ip_on_launch=False),
    ]
    local = (Route(CIDR, "local", "active"),)
    fake.tables[VPC_ID] = [
        RouteTable(MAIN_TABLE, main=True, subnet_ids=(), routes=local),
        RouteTable(PRIVATE_TABLE, main=False, subnet_ids=(SUBNET_A, SUBNET_B), routes=local),
    ]
    fake.groups += [
        SecurityGroup(ENDPOINT_SG, VPC_ID, (IngressRule("tcp", 443, 443, ipv4_cidrs=(CIDR,)),)),
        SecurityGroup(APP_SG, VPC_ID, ()),
    ]
    fake.endpoints.append(
        VpcEndpoint(
            id=ENDPOINT_ID,
            vpc_id=VPC_ID,
            service_name=f"com.amazonaws.{REGION}.bedrock-runtime",
            endpoint_type="Interface",
            state="available",
            service_region=None,
            private_dns_enabled=True,
            subnet_ids=(SUBNET_A, SUBNET_B),
            security_group_ids=(ENDPOINT_SG,),
            policy=endpoint_policy(),
        )
    )


def _app(fake: FakeAws) -> None:
    fake.functions.append(
        Function("labcheck-app", FUNCTION_ARN, APP_ROLE_ARN, (SUBNET_A, SUBNET_B), (APP_SG,), dict(LAB_TAGS))
    )
    fake.roles[APP_ROLE] = Role(APP_ROLE, APP_ROLE_ARN, trust_policy("lambda.amazonaws.com"))
    fake.policies[APP_ROLE] = [NamedPolicy("bedrock", app_policy())]
    an_hour_ago = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    fake.events.append(TrailEvent("InvokeModel", an_hour_ago, ENDPOINT_ID, APP_ROLE_ARN))


def _logging(fake: FakeAws) -> None:
    fake.logging = InvocationLogging(
        log_group_name=LOG_GROUP, role_arn=LOGGING_ROLE_ARN, large_data_bucket=None, s3_bucket=None, text_delivery=True
    )
    log_group_arn = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{LOG_GROUP}"
    fake.log_groups[LOG_GROUP] = LogGroup(LOG_GROUP, log_group_arn, KEY_ARN, 90, "ACTIVATED")
    fake.keys[KEY_ARN] = KmsKey(KEY_ID, KEY_ARN, "CUSTOMER", "Enabled", "SYMMETRIC_DEFAULT", rotation_enabled=True)
    fake.roles[LOGGING_ROLE] = Role(LOGGING_ROLE, LOGGING_ROLE_ARN, logging_trust())


def reference() -> FakeAws:
    """A fresh copy of the passing architecture."""
    fake = FakeAws(account_id=ACCOUNT, region=REGION)
    _network(fake)
    _app(fake)
    _logging(fake)
    return fake


Runner = Callable[..., Result]


@pytest.fixture(scope="session")
def lab() -> Lab:
    """The lab under test."""
    return get_lab(LAB_ID)


@pytest.fixture(name="reference")
def reference_fixture() -> Callable[[], FakeAws]:
    """The factory of fresh reference architectures."""
    return reference


@pytest.fixture
def subject(lab: Lab) -> AwsSubject:
    """The references and the grading the shared contract tests use."""
    return AwsSubject(lab, {"": reference})


@pytest.fixture
def run(subject: AwsSubject) -> Runner:
    """Run one check through the real runner against a fake account, with optional key=value inputs."""
    return subject.run
