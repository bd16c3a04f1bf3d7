"""The live AWS adapter against real boto3: moto in-process, botocore Stubber where moto lacks an API.

Every test runs offline (conftest.py refuses name lookups and connects and turns IMDS off). The adapter
is opened the way `labcheck demo` opens it: the mock account's fake credentials, one attempt per request.
"""

from __future__ import annotations

import datetime as dt
import inspect
import json
import os
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any
from unittest import mock

import boto3
import botocore.session
import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import EndpointConnectionError
from botocore.stub import Stubber

from labcheck.errors import (
    CredentialsError,
    PermissionDeniedError,
    ProviderError,
    ReadOnlyViolationError,
    ThrottledError,
)
from labcheck.providers.aws import clients as clients_module
from labcheck.providers.aws.actions import iam_action
from labcheck.providers.aws.clients import ClientPool
from labcheck.providers.aws.live import LiveAws
from labcheck.providers.aws.session import AwsOptions, client_config, new_session
from labcheck.providers.aws.view import (
    READ_ACTIONS,
    AwsView,
    Function,
    IngressRule,
    InvocationLogging,
    KmsKey,
    NamedPolicy,
    Route,
    TrailEvent,
)
from labcheck.testing.moto import ClientFactory, mock_aws_account

REGION = "eu-central-1"
ACCOUNT = "123456789012"  # moto's default account
OPTIONS = AwsOptions(region=REGION, max_attempts=1)
LAB_ID = "aws-bedrock-privatelink"
LAB_TAG = "labcheck-lab"
CIDR = "10.20.0.0/16"
RUNTIME = f"com.amazonaws.{REGION}.bedrock-runtime"
LOG_GROUP = "/aws/bedrock/invocations"
SINCE = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
AWS_KEY = "5e2a1b3c-0d4e-4f5a-8b6c-7d8e9f0a1b2c"
SERVICES = ("ec2", "lambda", "iam", "bedrock", "logs", "kms", "s3")


def open_live() -> LiveAws:
    return LiveAws.open(OPTIONS)


class SendCounter:
    """Counts the HTTP requests a LiveAws sends, per distinct request (operation, URL and body)."""

    def __init__(self, live: LiveAws, services: tuple[str, ...] = SERVICES) -> None:
        self.sent: Counter[tuple[str, str, str, Any]] = Counter()
        for service in services:
            live.client(service).meta.events.register("before-send", self._count)

    def _count(self, request: Any, event_name: str, **_: Any) -> None:
        self.sent[(event_name, request.method, request.url, request.body)] += 1

    @property
    def total(self) -> int:
        return sum(self.sent.values())


class ActionRecorder:
    """Records the IAM action of every operation a view read calls (ahead of any Stubber's answer)."""

    def __init__(self) -> None:
        self._session = new_session(OPTIONS)
        self._actions: set[str] = set()
        # Clients copy the session's handlers when created, so every client of every LiveAws records.
        self._session.events.register_first("before-call.*.*", self._record)

    def _record(self, model: Any, **_: Any) -> None:
        self._actions.add(iam_action(model.service_model.signing_name, model.name))

    def actions_of(self, read: Callable[[LiveAws], Any]) -> set[str]:
        # A fresh memo; its opening GetCallerIdentity is not counted.
        live = LiveAws(ClientPool(self._session, OPTIONS.max_attempts), REGION)
        self._actions.clear()
        read(live)
        return set(self._actions)


class _Body:
    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._data


def _xml_denial(request: Any, **_: Any) -> AWSResponse:
    """What moto sends a JSON or REST-JSON client that IAM enforcement denies: an XML body botocore cannot parse."""
    body = (
        b'<?xml version="1.0" encoding="UTF-8"?><ErrorResponse><Error><Code>AccessDeniedException</Code>'
        b"<Message>User: arn:aws:iam::123456789012:user/grader is not authorized</Message></Error></ErrorResponse>"
    )
    return AWSResponse(request.url, 403, {"Content-Type": "text/xml"}, _Body(body))


def _trail_record(name: str, endpoint: str | None, issuer: str | None) -> str:
    record: dict[str, Any] = {"eventVersion": "1.09", "eventSource": "bedrock.amazonaws.com", "eventName": name}
    if endpoint:
        record["vpcEndpointId"] = endpoint
    if issuer:
        record["userIdentity"] = {"type": "AssumedRole", "sessionContext": {"sessionIssuer": {"arn": issuer}}}
    return json.dumps(record)


PII_POLICY = {
    "Name": "bedrock-invocations-pii",
    "Version": "2021-06-01",
    "Statement": [
        {
            "Sid": "audit",
            "DataIdentifier": ["arn:aws:dataprotection::aws:data-identifier/EmailAddress"],
            "Operation": {"Audit": {"FindingsDestination": {}}},
        },
        {
            "Sid": "redact",
            "DataIdentifier": ["arn:aws:dataprotection::aws:data-identifier/EmailAddress"],
            "Operation": {"Deidentify": {"MaskConfig": {}}},
        },
    ],
}


def _stub_data_protection(live: LiveAws, name: str = LOG_GROUP) -> Any:
    """Answer GetDataProtectionPolicy (moto does not implement it) on the adapter's own logs client."""
    stubber = Stubber(live.client("logs"))
    stubber.add_response(
        "get_data_protection_policy",
        {"logGroupIdentifier": name, "policyDocument": json.dumps(PII_POLICY), "lastUpdatedTime": 1735689600000},
        {"logGroupIdentifier": name},
    )
    return stubber


# --- the reference deployment, shared by the read-only tests of one class ----------------------------


@dataclass(frozen=True)
class Reference:
    """The reference architecture in a mock account, with the facts read straight from moto as the oracle."""

    client: ClientFactory
    vpc_id: str
    subnet_ids: tuple[str, ...]
    endpoint_id: str
    endpoint_sg: str
    app_sg: str
    role_arn: str
    logging_role_arn: str
    key_id: str
    key_arn: str
    asymmetric_key_id: str
    plain_bucket: str
    kms_bucket: str


@pytest.fixture(scope="class")
def reference(scenario: ModuleType) -> Iterator[Reference]:
    with mock_aws_account(REGION) as client:
        scenario.deploy(client, "reference")
        ec2, iam, kms, s3 = client("ec2"), client("iam"), client("kms"), client("s3")
        vpc_id = ec2.describe_vpcs(Filters=[{"Name": f"tag:{LAB_TAG}", "Values": [LAB_ID]}])["Vpcs"][0]["VpcId"]
        in_vpc = [{"Name": "vpc-id", "Values": [vpc_id]}]
        endpoint = ec2.describe_vpc_endpoints(Filters=in_vpc)["VpcEndpoints"][0]
        app_sg = ec2.describe_security_groups(Filters=[*in_vpc, {"Name": "group-name", "Values": ["app"]}])
        key_arn = client("logs").describe_log_groups(logGroupNamePrefix=LOG_GROUP)["logGroups"][0]["kmsKeyId"]
        asymmetric = kms.create_key(KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
        location = {"LocationConstraint": REGION}
        s3.create_bucket(Bucket="labcheck-plain-bucket", CreateBucketConfiguration=location)
        s3.create_bucket(Bucket="labcheck-kms-bucket", CreateBucketConfiguration=location)
        s3.put_bucket_encryption(
            Bucket="labcheck-kms-bucket",
            ServerSideEncryptionConfiguration={
                "Rules": [
                    {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key_arn}}
                ]
            },
        )
        yield Reference(
            client=client,
            vpc_id=vpc_id,
            subnet_ids=tuple(sorted(s["SubnetId"] for s in ec2.describe_subnets(Filters=in_vpc)["Subnets"])),
            endpoint_id=endpoint["VpcEndpointId"],
            endpoint_sg=endpoint["Groups"][0]["GroupId"],
            app_sg=app_sg["SecurityGroups"][0]["GroupId"],
            role_arn=iam.get_role(RoleName="labcheck-app")["Role"]["Arn"],
            logging_role_arn=iam.get_role(RoleName="labcheck-bedrock-logging")["Role"]["Arn"],
            key_id=key_arn.rsplit("/", 1)[1],
            key_arn=key_arn,
            asymmetric_key_id=asymmetric,
            plain_bucket="labcheck-plain-bucket",
            kms_bucket="labcheck-kms-bucket",
        )


def read_everything(live: LiveAws, ref: Reference) -> None:
    """Every moto-backed view read a grading run of lab A makes."""
    live.tagged_vpcs(LAB_TAG, LAB_ID)
    live.vpc_dns(ref.vpc_id)
    live.subnets(ref.subnet_ids)
    live.route_tables(ref.vpc_id)
    live.internet_gateway_ids(ref.vpc_id)
    live.nat_gateways(ref.vpc_id)
    live.vpc_endpoints(ref.vpc_id, RUNTIME)
    live.security_groups((ref.endpoint_sg, ref.app_sg))
    live.tagged_functions(LAB_TAG, LAB_ID)
    live.role("labcheck-app")
    live.role_policies("labcheck-app")
    live.invocation_logging()
    live.log_group(LOG_GROUP)
    live.kms_key(ref.key_arn)
    live.bucket_encryption(ref.plain_bucket)


class TestReferenceDeployment:
    """Each view method on the reference architecture returns the normalised values."""

    @pytest.fixture
    def live(self, reference: Reference) -> LiveAws:
        return open_live()

    def test_identity(self, live: LiveAws) -> None:
        assert (live.account_id, live.region) == (ACCOUNT, REGION)
        assert live.identity == {"cloud": "aws", "account": ACCOUNT, "region": REGION}
        assert live.caller_arn.startswith(f"arn:aws:sts::{ACCOUNT}:")

    def test_tagged_vpcs_finds_exactly_the_lab_vpc(self, live: LiveAws, reference: Reference) -> None:
        [vpc] = live.tagged_vpcs(LAB_TAG, LAB_ID)
        assert vpc.id == reference.vpc_id
        assert vpc.cidr_blocks == (CIDR,)
        assert vpc.tags == {LAB_TAG: LAB_ID}
        assert live.tagged_vpcs(LAB_TAG, "another-lab") == []

    def test_vpc_dns(self, live: LiveAws, reference: Reference) -> None:
        assert live.vpc_dns(reference.vpc_id) == (True, True)

    def test_subnets_span_two_azs_and_stay_private(self, live: LiveAws, reference: Reference) -> None:
        subnets = live.subnets(reference.subnet_ids)
        assert sorted(s.id for s in subnets) == list(reference.subnet_ids)
        assert {s.availability_zone for s in subnets} == {f"{REGION}a", f"{REGION}b"}
        assert {s.vpc_id for s in subnets} == {reference.vpc_id}
        assert not any(s.map_public_ip_on_launch for s in subnets)
        assert live.subnets(()) == []

    def test_route_tables(self, live: LiveAws, reference: Reference) -> None:
        tables = live.route_tables(reference.vpc_id)
        [associated] = [t for t in tables if t.subnet_ids]
        assert sorted(associated.subnet_ids) == list(reference.subnet_ids)
        assert not associated.main
        assert Route(CIDR, "local", "active") in associated.routes
        assert [t.main for t in tables].count(True) == 1

    def test_no_internet_egress(self, live: LiveAws, reference: Reference) -> None:
        assert live.internet_gateway_ids(reference.vpc_id) == []
        assert live.nat_gateways(reference.vpc_id) == []

    def test_bedrock_runtime_endpoint(self, live: LiveAws, reference: Reference) -> None:
        [endpoint] = live.vpc_endpoints(reference.vpc_id, RUNTIME)
        assert endpoint.id == reference.endpoint_id
        assert (endpoint.vpc_id, endpoint.service_name) == (reference.vpc_id, RUNTIME)
        assert endpoint.endpoint_type == "Interface"
        assert endpoint.state == "available"  # lower-case, whatever the model enum says
        assert endpoint.private_dns_enabled is True
        assert sorted(endpoint.subnet_ids) == list(reference.subnet_ids)
        assert endpoint.security_group_ids == (reference.endpoint_sg,)
        # EC2 returns the policy as JSON text; the view parses it.
        assert isinstance(endpoint.policy, dict)
        [statement] = endpoint.policy["Statement"]
        assert statement["Action"] == ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"]
        assert statement["Condition"] == {"StringEquals": {"aws:PrincipalAccount": ACCOUNT}}
        assert live.vpc_endpoints(reference.vpc_id, f"com.amazonaws.{REGION}.bedrock") == []

    def test_security_groups(self, live: LiveAws, reference: Reference) -> None:
        [group] = live.security_groups((reference.endpoint_sg,))
        assert (group.id, group.vpc_id) == (reference.endpoint_sg, reference.vpc_id)
        assert group.ingress == (IngressRule("tcp", 443, 443, ipv4_cidrs=(CIDR,)),)

    def test_no_group_ids_make_no_request(self, live: LiveAws) -> None:
        sent = SendCounter(live)
        assert live.security_groups(()) == []
        assert live.subnets(()) == []
        assert sent.total == 0

    def test_tagged_functions(self, live: LiveAws, reference: Reference) -> None:
        [function] = live.tagged_functions(LAB_TAG, LAB_ID)
        assert function == Function(
            name="labcheck-app",
            arn=f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:labcheck-app",
            role_arn=reference.role_arn,
            subnet_ids=function.subnet_ids,
            security_group_ids=(reference.app_sg,),
            tags={LAB_TAG: LAB_ID},
        )
        assert sorted(function.subnet_ids) == list(reference.subnet_ids)
        # The VPC comes from the subnets, never from moto's hard-coded VpcConfig.VpcId.
        assert {s.vpc_id for s in live.subnets(function.subnet_ids)} == {reference.vpc_id}
        assert live.tagged_functions(LAB_TAG, "another-lab") == []

    def test_role_and_its_trust_policy(self, live: LiveAws, reference: Reference) -> None:
        role = live.role("labcheck-app")
        assert role is not None
        assert (role.name, role.arn) == ("labcheck-app", reference.role_arn)
        [statement] = role.trust_policy["Statement"]
        assert statement == {
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
        assert live.role("nope") is None

    def test_inline_role_policy_is_a_parsed_document(self, live: LiveAws, reference: Reference) -> None:
        [policy] = live.role_policies("labcheck-app")
        assert policy.name == "bedrock"
        assert isinstance(policy.document, dict)
        invoke = policy.document["Statement"][0]
        assert invoke["Sid"] == "InvokeApprovedModels"
        assert invoke["Condition"] == {"StringEquals": {"aws:SourceVpce": reference.endpoint_id}}

    def test_invocation_logging(self, live: LiveAws, reference: Reference) -> None:
        assert live.invocation_logging() == InvocationLogging(
            log_group_name=LOG_GROUP,
            role_arn=reference.logging_role_arn,
            large_data_bucket=None,
            s3_bucket=None,
            text_delivery=True,
        )

    def test_log_group(self, live: LiveAws, reference: Reference) -> None:
        group = live.log_group(LOG_GROUP)
        assert group is not None
        assert group.name == LOG_GROUP
        assert group.arn.startswith(f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{LOG_GROUP}")
        assert (group.kms_key_id, group.retention_days) == (reference.key_arn, 90)
        assert group.data_protection_status is None
        assert live.log_group("/aws/bedrock") is None  # a prefix of a name is not the name
        assert live.log_group("/no/such/group") is None

    def test_kms_key(self, live: LiveAws, reference: Reference) -> None:
        expected = KmsKey(reference.key_id, reference.key_arn, "CUSTOMER", "Enabled", "SYMMETRIC_DEFAULT", True)
        assert live.kms_key(reference.key_arn) == expected
        assert live.kms_key(reference.key_id) == expected
        assert live.kms_key("0b7f2a3e-1111-4222-8333-444455556666") is None
        assert live.kms_key("alias/no-such-alias") is None

    def test_asymmetric_key_has_no_rotation(self, live: LiveAws, reference: Reference) -> None:
        key = live.kms_key(reference.asymmetric_key_id)
        assert key is not None
        assert (key.spec, key.rotation_enabled) == ("RSA_2048", None)

    def test_bucket_encryption(self, live: LiveAws, reference: Reference) -> None:
        # moto raises ServerSideEncryptionConfigurationNotFoundError where AWS would answer SSE-S3.
        plain = live.bucket_encryption(reference.plain_bucket)
        assert (plain.bucket, plain.algorithm, plain.kms_key_id) == (reference.plain_bucket, None, None)
        cmk = live.bucket_encryption(reference.kms_bucket)
        assert (cmk.algorithm, cmk.kms_key_id) == ("aws:kms", reference.key_arn)

    # --- memoisation ---------------------------------------------------------------------------------

    def test_each_distinct_request_is_sent_once(self, live: LiveAws, reference: Reference) -> None:
        sent = SendCounter(live)
        read_everything(live, reference)
        first = Counter(sent.sent)
        assert first
        assert set(first.values()) == {1}
        read_everything(live, reference)
        assert sent.sent == first

    def test_reads_share_requests_across_methods(self, live: LiveAws, reference: Reference) -> None:
        sent = SendCounter(live)
        live.vpc_dns(reference.vpc_id)
        assert sent.total == 2  # one DescribeVpcAttribute per attribute
        live.kms_key(reference.key_arn)
        live.kms_key(reference.key_id)  # another DescribeKey; the rotation read is the same request
        operations = Counter(event.rsplit(".", 1)[1] for event, *_ in sent.sent.elements())
        assert operations == {"DescribeVpcAttribute": 2, "DescribeKey": 2, "GetKeyRotationStatus": 1}

    # --- READ_ACTIONS honesty --------------------------------------------------------------------------

    @staticmethod
    def _reads(ref: Reference) -> dict[str, Callable[[LiveAws], Any]]:
        def data_protection(live: LiveAws) -> None:
            with _stub_data_protection(live) as stub:
                live.log_data_protection_policy(LOG_GROUP)
                stub.assert_no_pending_responses()

        def events(live: LiveAws) -> None:
            with Stubber(live.client("cloudtrail")) as stub:
                stub.add_response("lookup_events", {"Events": []})
                live.bedrock_events(SINCE)
                stub.assert_no_pending_responses()

        def models(live: LiveAws) -> None:
            with Stubber(live.client("bedrock")) as stub:
                summary = {
                    "modelId": "m",
                    "modelArn": "arn:aws:bedrock:eu-central-1::foundation-model/m",
                    "providerName": "p",
                    "modelLifecycle": {"status": "ACTIVE"},
                }
                stub.add_response(
                    "list_foundation_models", {"modelSummaries": [summary]}, {"byInferenceType": "ON_DEMAND"}
                )
                assert live.on_demand_models()[0].lifecycle == "ACTIVE"
                stub.assert_no_pending_responses()

        return {
            "tagged_vpcs": lambda live: live.tagged_vpcs(LAB_TAG, LAB_ID),
            "vpc_dns": lambda live: live.vpc_dns(ref.vpc_id),
            "subnets": lambda live: live.subnets(ref.subnet_ids),
            "route_tables": lambda live: live.route_tables(ref.vpc_id),
            "internet_gateway_ids": lambda live: live.internet_gateway_ids(ref.vpc_id),
            "nat_gateways": lambda live: live.nat_gateways(ref.vpc_id),
            "vpc_endpoints": lambda live: live.vpc_endpoints(ref.vpc_id, RUNTIME),
            "security_groups": lambda live: live.security_groups((ref.endpoint_sg,)),
            "tagged_functions": lambda live: live.tagged_functions(LAB_TAG, LAB_ID),
            "role": lambda live: live.role("labcheck-app"),
            "role_policies": lambda live: live.role_policies("labcheck-app"),
            "invocation_logging": lambda live: live.invocation_logging(),
            "log_group": lambda live: live.log_group(LOG_GROUP),
            "log_data_protection_policy": data_protection,
            "kms_key": lambda live: live.kms_key(ref.key_arn),
            "bucket_encryption": lambda live: live.bucket_encryption(ref.kms_bucket),
            "bedrock_events": events,
            "on_demand_models": models,
        }

    def test_read_actions_are_the_calls_made(self, reference: Reference) -> None:
        recorder = ActionRecorder()
        recorded = {method: recorder.actions_of(read) for method, read in self._reads(reference).items()}
        # The reference app role has an inline policy only: test_read_actions_of_role_policies covers the rest.
        assert recorded.pop("role_policies") == {
            "iam:ListRolePolicies",
            "iam:GetRolePolicy",
            "iam:ListAttachedRolePolicies",
        }
        assert recorded == {m: set(a) for m, a in READ_ACTIONS.items() if m != "role_policies"}

    def test_read_actions_of_keys_without_rotation(self, reference: Reference) -> None:
        recorder = ActionRecorder()
        keys: list[KmsKey | None] = []

        def aws_managed(live: LiveAws) -> None:
            with Stubber(live.client("kms")) as stub:  # moto reports even alias/aws/* keys as CUSTOMER
                metadata = {
                    "KeyId": AWS_KEY,
                    "Arn": f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{AWS_KEY}",
                    "KeyManager": "AWS",
                }
                stub.add_response("describe_key", {"KeyMetadata": metadata}, {"KeyId": "alias/aws/logs"})
                keys.append(live.kms_key("alias/aws/logs"))

        asymmetric = recorder.actions_of(lambda live: live.kms_key(reference.asymmetric_key_id))
        assert asymmetric == {"kms:DescribeKey"}
        assert recorder.actions_of(aws_managed) == {"kms:DescribeKey"}
        [key] = keys
        assert key is not None
        assert (key.manager, key.rotation_enabled) == ("AWS", None)
        assert {"kms:DescribeKey"} < set(READ_ACTIONS["kms_key"])


def test_read_actions_cover_exactly_the_view_methods() -> None:
    properties = {"account_id", "region", "identity"}
    methods = {n for n, _ in inspect.getmembers(AwsView, inspect.isfunction) if not n.startswith("_")}
    assert set(READ_ACTIONS) == methods - properties


def test_read_actions_of_role_policies(deployed: Callable[[str], LiveAws], account: ClientFactory) -> None:
    deployed("managed-policy")
    account("iam").put_role_policy(
        RoleName="labcheck-app",
        PolicyName="extra",
        PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*"}]}
        ),
    )
    names: list[str] = []
    actions = ActionRecorder().actions_of(lambda live: names.extend(p.name for p in live.role_policies("labcheck-app")))
    assert names == ["extra", f"arn:aws:iam::{ACCOUNT}:policy/labcheck-app-bedrock"]
    assert actions == set(READ_ACTIONS["role_policies"])


# --- variants ------------------------------------------------------------------------------------------


def _vpc_id(live: LiveAws) -> str:
    [vpc] = live.tagged_vpcs(LAB_TAG, LAB_ID)
    return vpc.id


def test_private_dns_off(deployed: Callable[[str], LiveAws]) -> None:
    live = deployed("private-dns-off")
    [endpoint] = live.vpc_endpoints(_vpc_id(live), RUNTIME)
    assert endpoint.private_dns_enabled is False


def test_public_subnets(deployed: Callable[[str], LiveAws]) -> None:
    live = deployed("public-subnets")
    [function] = live.tagged_functions(LAB_TAG, LAB_ID)
    subnets = live.subnets(function.subnet_ids)
    assert len(subnets) == 2
    assert all(s.map_public_ip_on_launch for s in subnets)


def test_internet_gateway(deployed: Callable[[str], LiveAws], account: ClientFactory) -> None:
    live = deployed("internet-gateway")
    [gateway] = account("ec2").describe_internet_gateways()["InternetGateways"]
    assert live.internet_gateway_ids(_vpc_id(live)) == [gateway["InternetGatewayId"]]


def test_nat_gateway(deployed: Callable[[str], LiveAws]) -> None:
    live = deployed("nat-gateway")
    [nat] = live.nat_gateways(_vpc_id(live))
    assert nat.id.startswith("nat-")
    assert (nat.state, nat.connectivity_type) == ("available", "public")


def test_dns_hostnames_off(deployed: Callable[[str], LiveAws]) -> None:
    live = deployed("dns-hostnames-off")
    assert live.vpc_dns(_vpc_id(live)) == (True, False)


def test_function_outside_vpc(deployed: Callable[[str], LiveAws]) -> None:
    live = deployed("function-outside-vpc")  # moto then sends no VpcConfig at all
    [function] = live.tagged_functions(LAB_TAG, LAB_ID)
    assert (function.subnet_ids, function.security_group_ids) == ((), ())


def test_rotation_off(deployed: Callable[[str], LiveAws]) -> None:
    live = deployed("rotation-off")
    logging = live.invocation_logging()
    assert logging is not None
    assert logging.log_group_name is not None
    group = live.log_group(logging.log_group_name)
    assert group is not None
    assert group.kms_key_id is not None
    key = live.kms_key(group.kms_key_id)
    assert key is not None
    assert key.rotation_enabled is False


def test_managed_policy_reads_the_default_version(
    deployed: Callable[[str], LiveAws], account: ClientFactory, scenario: ModuleType
) -> None:
    live = deployed("managed-policy")
    arn = f"arn:aws:iam::{ACCOUNT}:policy/labcheck-app-bedrock"
    [policy] = live.role_policies("labcheck-app")
    assert policy.name == arn
    assert policy.document["Statement"][0]["Sid"] == "InvokeApprovedModels"
    newer = {
        "Version": "2012-10-17",
        "Statement": [{"Sid": "V2", "Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
    }
    account("iam").create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(newer), SetAsDefault=True)
    assert open_live().role_policies("labcheck-app") == [NamedPolicy(arn, newer)]


def test_invocation_logging_on_an_empty_account(account: ClientFactory) -> None:
    assert account("bedrock").get_model_invocation_logging_configuration().get("loggingConfig") in ({}, None)
    assert open_live().invocation_logging() is None


# --- memoised denials and error translation ------------------------------------------------------------


def test_a_denial_is_memoised(account: ClientFactory) -> None:
    live = open_live()
    bedrock = live.client("bedrock")
    calls: list[str] = []
    # A Stubber answers from "before-call.*.*", ahead of plain "before-call" handlers.
    bedrock.meta.events.register_first("before-call.*.*", lambda model, **_: calls.append(model.name))
    with Stubber(bedrock) as stub:
        stub.add_client_error(
            "get_model_invocation_logging_configuration",
            service_error_code="AccessDeniedException",
            http_status_code=403,
        )
        with pytest.raises(PermissionDeniedError) as first:
            live.invocation_logging()
        with pytest.raises(PermissionDeniedError) as second:
            live.invocation_logging()  # a second request would find no stubbed answer
        stub.assert_no_pending_responses()
    assert first.value.action == "bedrock:GetModelInvocationLoggingConfiguration"
    assert "bedrock:GetModelInvocationLoggingConfiguration" in str(first.value)
    assert first.value.code == "AccessDeniedException"
    assert second.value is first.value
    assert calls == ["GetModelInvocationLoggingConfiguration"]


@pytest.mark.parametrize(
    ("service", "read", "action"),
    [
        ("kms", lambda live: live.kms_key("alias/any"), "kms:DescribeKey"),
        ("logs", lambda live: live.log_group(LOG_GROUP), "logs:DescribeLogGroups"),
        ("bedrock", lambda live: live.invocation_logging(), "bedrock:GetModelInvocationLoggingConfiguration"),
        ("lambda", lambda live: live.tagged_functions(LAB_TAG, LAB_ID), "lambda:ListFunctions"),
    ],
)
def test_moto_style_denial_is_classified_by_http_status(
    account: ClientFactory, service: str, read: Callable[[LiveAws], Any], action: str
) -> None:
    live = open_live()
    sent = SendCounter(live, (service,))
    # botocore emits before-send to every handler and takes the first answer: moto's is registered first.
    live.client(service).meta.events.register_first("before-send", _xml_denial)
    with pytest.raises(PermissionDeniedError) as first:
        read(live)
    assert (first.value.action, first.value.code) == (action, "403")
    with pytest.raises(PermissionDeniedError) as second:
        read(live)
    assert second.value is first.value
    assert sent.total == 1


@pytest.mark.parametrize(
    ("service", "operation", "code", "status", "read", "expected", "action"),
    [
        ("ec2", "describe_vpcs", "UnauthorizedOperation", 403, "vpcs", PermissionDeniedError, "ec2:DescribeVpcs"),
        ("ec2", "describe_vpcs", "AccessDenied", 403, "vpcs", PermissionDeniedError, "ec2:DescribeVpcs"),
        ("kms", "describe_key", "403", 403, "key", PermissionDeniedError, "kms:DescribeKey"),
        ("kms", "describe_key", "AccessDeniedException", 400, "key", PermissionDeniedError, "kms:DescribeKey"),
        ("iam", "get_role", "AccessDenied", 403, "role", PermissionDeniedError, "iam:GetRole"),
        (
            "s3",
            "get_bucket_encryption",
            "AccessDenied",
            403,
            "bucket",
            PermissionDeniedError,
            "s3:GetEncryptionConfiguration",
        ),
        (
            "bedrock",
            "get_model_invocation_logging_configuration",
            "ThrottlingException",
            400,
            "logging",
            ThrottledError,
            "bedrock:GetModelInvocationLoggingConfiguration",
        ),
        (
            "lambda",
            "list_functions",
            "TooManyRequestsException",
            429,
            "functions",
            ThrottledError,
            "lambda:ListFunctions",
        ),
        ("ec2", "describe_vpcs", "RequestLimitExceeded", 503, "vpcs", ThrottledError, "ec2:DescribeVpcs"),
        ("s3", "get_bucket_encryption", "SlowDown", 503, "bucket", ThrottledError, "s3:GetEncryptionConfiguration"),
        (
            "bedrock",
            "get_model_invocation_logging_configuration",
            "InternalServerException",
            500,
            "logging",
            ProviderError,
            "bedrock:GetModelInvocationLoggingConfiguration",
        ),
        ("kms", "describe_key", "", 500, "key", ProviderError, "kms:DescribeKey"),
    ],
)
def test_errors_are_translated(
    account: ClientFactory,
    service: str,
    operation: str,
    code: str,
    status: int,
    read: str,
    expected: type[ProviderError],
    action: str,
) -> None:
    live = open_live()
    reads: dict[str, Callable[[], Any]] = {
        "vpcs": lambda: live.tagged_vpcs(LAB_TAG, LAB_ID),
        "key": lambda: live.kms_key("alias/any"),
        "role": lambda: live.role("labcheck-app"),  # NoSuchEntity means None; a denial must not
        "bucket": lambda: live.bucket_encryption("labcheck-any-bucket"),
        "logging": lambda: live.invocation_logging(),
        "functions": lambda: live.tagged_functions(LAB_TAG, LAB_ID),
    }
    with Stubber(live.client(service)) as stub:
        stub.add_client_error(operation, service_error_code=code, http_status_code=status)
        with pytest.raises(ProviderError) as caught:
            reads[read]()
    assert type(caught.value) is expected
    assert caught.value.code == code
    assert action in str(caught.value)
    if isinstance(caught.value, PermissionDeniedError):
        assert caught.value.action == action


def test_an_unreachable_endpoint_is_a_provider_error(account: ClientFactory) -> None:
    live = open_live()

    def unreachable(request: Any, **_: Any) -> None:
        raise EndpointConnectionError(endpoint_url=request.url)

    live.client("ec2").meta.events.register_first("before-send", unreachable)
    with pytest.raises(ProviderError, match=r"ec2:DescribeVpcs: could not reach AWS") as caught:
        live.tagged_vpcs(LAB_TAG, LAB_ID)
    assert type(caught.value) is ProviderError


@contextmanager
def _iam_enforced_as(key_id: str, secret: str) -> Iterator[None]:
    """moto's in-process IAM enforcement on (testing-clouds.md §3.1), with requests signed by these keys."""
    from moto import settings
    from moto.core.authorization import ActionAuthenticatorMixin

    environment = {k: v for k, v in os.environ.items() if k != "AWS_SESSION_TOKEN"}
    environment.update(AWS_ACCESS_KEY_ID=key_id, AWS_SECRET_ACCESS_KEY=secret)
    with (
        mock.patch.object(settings, "INITIAL_NO_AUTH_ACTION_COUNT", 0),
        mock.patch.object(ActionAuthenticatorMixin, "request_count", 0),
        mock.patch.dict(os.environ, environment, clear=True),
    ):
        yield


A_VPC = "vpc-0123456789abcdef0"
DENIED_READS: dict[str, tuple[Any, ...]] = {
    "tagged_vpcs": (LAB_TAG, LAB_ID),
    "vpc_dns": (A_VPC,),
    "subnets": (("subnet-0123456789abcdef0",),),
    "route_tables": (A_VPC,),
    "internet_gateway_ids": (A_VPC,),
    "nat_gateways": (A_VPC,),
    "vpc_endpoints": (A_VPC, RUNTIME),
    "security_groups": (("sg-0123456789abcdef0",),),
    "tagged_functions": (LAB_TAG, LAB_ID),
    "role": ("labcheck-app",),
    "role_policies": ("labcheck-app",),
    "invocation_logging": (),
    "log_group": (LOG_GROUP,),
    "log_data_protection_policy": (LOG_GROUP,),
    "kms_key": ("alias/any",),
    "bucket_encryption": ("labcheck-any-bucket",),
    "bedrock_events": (SINCE,),
    "on_demand_models": (),
}


def test_every_view_read_has_a_denial_case() -> None:
    assert set(DENIED_READS) == set(READ_ACTIONS)


@pytest.mark.parametrize(("method", "args"), DENIED_READS.items())
def test_moto_iam_enforcement_denials_name_the_first_read_action(
    account: ClientFactory, method: str, args: tuple[Any, ...]
) -> None:
    iam = account("iam")
    iam.create_user(UserName="no-policy")
    key = iam.create_access_key(UserName="no-policy")["AccessKey"]
    with _iam_enforced_as(key["AccessKeyId"], key["SecretAccessKey"]):
        live = open_live()  # sts:GetCallerIdentity is never denied
        assert live.caller_arn == f"arn:aws:iam::{ACCOUNT}:user/no-policy"
        with pytest.raises(PermissionDeniedError) as caught:
            getattr(live, method)(*args)
    assert caught.value.action == READ_ACTIONS[method][0]


def test_refused_credentials_fail_at_open(account: ClientFactory) -> None:
    # A ProviderError at open would escape the CLI as a traceback: no check exists yet to report it.
    with _iam_enforced_as("AKIAIOSFODNN7EXAMPLE", "not-the-secret"), pytest.raises(CredentialsError) as caught:
        open_live()
    assert str(caught.value) == "AWS refused the credentials (InvalidClientTokenId): they may have expired"


@pytest.mark.parametrize("code", ["AuthFailure", "ExpiredToken", "InvalidClientTokenId", "SignatureDoesNotMatch"])
def test_refused_credentials_mid_run_stop_the_run(account: ClientFactory, code: str) -> None:
    # Not an ERROR per check naming an action: no permission would help, so the run stops with one line.
    live = open_live()
    with Stubber(live.client("ec2")) as stub:
        stub.add_client_error("describe_vpcs", service_error_code=code, http_status_code=401)
        with pytest.raises(CredentialsError, match=rf"AWS refused the credentials \({code}\)"):
            live.tagged_vpcs(LAB_TAG, LAB_ID)


def test_an_unreachable_account_fails_at_open(account: ClientFactory) -> None:
    def unreachable(request: Any, **_: Any) -> None:
        raise EndpointConnectionError(endpoint_url=request.url)

    session = new_session(OPTIONS)
    session.events.register_first("before-send", unreachable)
    with pytest.raises(
        CredentialsError, match=r"could not open the AWS account: sts:GetCallerIdentity: could not reach"
    ):
        LiveAws(ClientPool(session, OPTIONS.max_attempts), REGION)


@pytest.mark.parametrize(
    ("signing_name", "operation", "action"),
    [
        ("s3", "GetBucketEncryption", "s3:GetEncryptionConfiguration"),
        ("s3", "GetPublicAccessBlock", "s3:GetBucketPublicAccessBlock"),
        ("s3", "GetBucketPolicy", "s3:GetBucketPolicy"),
        ("ec2", "DescribeVpcEndpoints", "ec2:DescribeVpcEndpoints"),
        ("monitoring", "DescribeAlarms", "cloudwatch:DescribeAlarms"),
        ("budgets", "DescribeBudgets", "budgets:ViewBudget"),
    ],
)
def test_iam_action(signing_name: str, operation: str, action: str) -> None:
    assert iam_action(signing_name, operation) == action


@pytest.mark.parametrize(
    ("service", "prefix"),
    [("bedrock-agent", "bedrock"), ("bedrock-runtime", "bedrock"), ("opensearchserverless", "aoss")],
)
def test_signing_names_are_iam_prefixes(service: str, prefix: str) -> None:
    # Service models ship with botocore: creating a client reads no network.
    model = boto3.Session(region_name=REGION).client(service).meta.service_model
    assert model.signing_name == prefix


def test_bedrock_agent_denial_names_the_bedrock_action(account: ClientFactory) -> None:
    live = open_live()
    with Stubber(live.client("bedrock-agent")) as stub:
        stub.add_client_error("get_knowledge_base", service_error_code="AccessDeniedException", http_status_code=403)
        with pytest.raises(PermissionDeniedError) as caught:
            live._call("bedrock-agent", "get_knowledge_base", knowledgeBaseId="KB12345678")
    assert caught.value.action == "bedrock:GetKnowledgeBase"


# --- Stubber where moto lacks the API --------------------------------------------------------------------

ENDPOINT = "vpce-0a1b2c3d4e5f67890"
APP_ROLE = f"arn:aws:iam::{ACCOUNT}:role/labcheck-app"
LOOKUP = {
    "LookupAttributes": [{"AttributeKey": "EventSource", "AttributeValue": "bedrock.amazonaws.com"}],
    "StartTime": SINCE,
}


def test_bedrock_events_over_two_pages(account: ClientFactory) -> None:
    live = open_live()
    first_time = dt.datetime(2025, 3, 1, 12, 0, tzinfo=dt.UTC)
    second_time = dt.datetime(2025, 3, 1, 12, 5, tzinfo=dt.UTC)
    with Stubber(live.client("cloudtrail")) as stub:
        stub.add_response(
            "lookup_events",
            {
                "Events": [
                    {
                        "EventId": "e1",
                        "EventName": "InvokeModel",
                        "EventTime": first_time,
                        "EventSource": "bedrock.amazonaws.com",
                        "CloudTrailEvent": _trail_record("InvokeModel", ENDPOINT, APP_ROLE),
                    }
                ],
                "NextToken": "page-2",
            },
            LOOKUP,
        )
        stub.add_response(
            "lookup_events",
            {
                "Events": [
                    {
                        "EventId": "e2",
                        "EventName": "Converse",
                        "EventTime": second_time,
                        "CloudTrailEvent": json.dumps({"eventSource": "bedrock.amazonaws.com"}),
                    }
                ]
            },
            {**LOOKUP, "NextToken": "page-2"},
        )
        events = live.bedrock_events(SINCE)
        assert live.bedrock_events(SINCE) == events  # memoised: no third page is asked for
        stub.assert_no_pending_responses()
    assert events == [
        TrailEvent("InvokeModel", first_time, ENDPOINT, APP_ROLE),
        TrailEvent("Converse", second_time, None, None),  # the summary's name when the record has none
    ]


def test_bedrock_events_unimplemented_in_moto(account: ClientFactory) -> None:
    with pytest.raises(ProviderError, match="not implemented") as caught:
        open_live().bedrock_events(SINCE)
    assert "cloudtrail:LookupEvents" in str(caught.value)


def test_log_data_protection_policy_is_parsed(account: ClientFactory) -> None:
    live = open_live()
    with _stub_data_protection(live) as stub:
        assert live.log_data_protection_policy(LOG_GROUP) == PII_POLICY
        stub.assert_no_pending_responses()


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param({"error": "ResourceNotFoundException"}, id="no-such-group-or-policy"),
        pytest.param({"response": {"logGroupIdentifier": LOG_GROUP}}, id="no-policy-document"),
    ],
)
def test_log_data_protection_policy_absent(account: ClientFactory, answer: dict[str, Any]) -> None:
    live = open_live()
    with Stubber(live.client("logs")) as stub:
        if "error" in answer:
            stub.add_client_error("get_data_protection_policy", answer["error"], http_status_code=400)
        else:
            stub.add_response("get_data_protection_policy", answer["response"])
        assert live.log_data_protection_policy(LOG_GROUP) is None


def test_log_data_protection_policy_unimplemented_in_moto(account: ClientFactory) -> None:
    with pytest.raises(ProviderError, match="logs:GetDataProtectionPolicy is not implemented"):
        open_live().log_data_protection_policy(LOG_GROUP)


# --- the read-only guard ---------------------------------------------------------------------------------

WRITES = [
    ("ec2", "create_vpc", {"CidrBlock": "10.0.0.0/16"}),
    (
        "bedrock",
        "put_model_invocation_logging_configuration",
        {"loggingConfig": {"textDataDeliveryEnabled": True}},
    ),
    ("ec2", "modify_vpc_attribute", {"VpcId": "vpc-1", "EnableDnsHostnames": {"Value": False}}),
    ("iam", "put_role_policy", {"RoleName": "r", "PolicyName": "p", "PolicyDocument": "{}"}),
    ("kms", "schedule_key_deletion", {"KeyId": "alias/any"}),
    ("s3", "delete_bucket", {"Bucket": "labcheck-any-bucket"}),
    ("lambda", "invoke", {"FunctionName": "labcheck-app"}),
    ("logs", "delete_log_group", {"logGroupName": LOG_GROUP}),
    ("cloudtrail", "stop_logging", {"Name": "trail"}),
]


@pytest.mark.parametrize(("service", "method", "params"), WRITES)
def test_writes_are_refused_before_sending(
    account: ClientFactory, service: str, method: str, params: dict[str, Any]
) -> None:
    live = open_live()
    sent = SendCounter(live, (service,))
    operation = live.client(service).meta.method_to_api_mapping[method]
    with pytest.raises(ReadOnlyViolationError, match=operation):
        getattr(live.client(service), method)(**params)
    assert sent.total == 0


def test_refused_writes_leave_the_account_alone(account: ClientFactory) -> None:
    live = open_live()
    vpcs = len(account("ec2").describe_vpcs()["Vpcs"])
    with pytest.raises(ReadOnlyViolationError):
        live.client("ec2").create_vpc(CidrBlock="10.0.0.0/16")
    with pytest.raises(ReadOnlyViolationError):
        live.client("bedrock").put_model_invocation_logging_configuration(
            loggingConfig={"cloudWatchConfig": {"logGroupName": LOG_GROUP, "roleArn": APP_ROLE}}
        )
    assert len(account("ec2").describe_vpcs()["Vpcs"]) == vpcs
    assert live.invocation_logging() is None


def test_the_guard_runs_before_a_stub_answers(account: ClientFactory) -> None:
    live = open_live()
    with Stubber(live.client("bedrock")) as stub:
        stub.add_response("put_model_invocation_logging_configuration", {})
        with pytest.raises(ReadOnlyViolationError):
            live.client("bedrock").put_model_invocation_logging_configuration(loggingConfig={})
        with pytest.raises(AssertionError):
            stub.assert_no_pending_responses()


def operation_model(service: str, operation: str) -> Any:
    return botocore.session.get_session().get_service_model(service).operation_model(operation)


@pytest.mark.parametrize(
    ("service", "operation"),
    [
        ("ec2", "DescribeVpcs"),
        ("iam", "GetRole"),
        ("lambda", "ListFunctions"),
        ("cloudtrail", "LookupEvents"),
        ("opensearchserverless", "BatchGetCollection"),
        ("sts", "GetCallerIdentity"),
        ("budgets", "DescribeBudgets"),  # IAM action budgets:ViewBudget
        ("s3control", "GetPublicAccessBlock"),  # IAM action s3:GetAccountPublicAccessBlock
    ],
)
def test_declared_reads_pass_the_guard(service: str, operation: str) -> None:
    assert clients_module._refuse_all_but_declared_reads(model=operation_model(service, operation)) is None


@pytest.mark.parametrize(
    ("service", "operation"),
    [
        ("ec2", "CreateVpc"),
        ("iam", "PutRolePolicy"),
        ("s3", "DeleteBucket"),
        ("lambda", "UpdateFunctionCode"),
        ("bedrock-runtime", "InvokeModel"),
        ("logs", "TagResource"),
        ("dynamodb", "BatchWriteItem"),
    ],
)
def test_writes_fail_the_guard(service: str, operation: str) -> None:
    with pytest.raises(ReadOnlyViolationError, match=operation):
        clients_module._refuse_all_but_declared_reads(model=operation_model(service, operation))


@pytest.mark.parametrize(
    ("service", "operation"),
    [
        ("sts", "GetSessionToken"),  # mints credentials
        ("ec2", "GetPasswordData"),  # returns an instance's encrypted password
        ("s3", "GetObject"),  # returns the learner's data
        ("secretsmanager", "GetSecretValue"),
        ("cognito-identity", "GetId"),  # creates an identity
        ("iam", "GetUser"),  # harmless, but no check declares it: the grader policy would not allow it
    ],
)
def test_reads_no_view_declares_fail_the_guard(service: str, operation: str) -> None:
    with pytest.raises(ReadOnlyViolationError, match="only what its views declare"):
        clients_module._refuse_all_but_declared_reads(model=operation_model(service, operation))


def test_read_calls_are_sent(account: ClientFactory) -> None:
    live = open_live()
    sent = SendCounter(live, ("ec2", "bedrock", "lambda", "logs"))
    live.client("ec2").describe_vpcs()
    live.client("bedrock").get_model_invocation_logging_configuration()
    live.client("lambda").list_functions()
    live.client("logs").describe_log_groups()
    assert sent.total == 4


# --- credentials and Region (session.py) ----------------------------------------------------------------


@pytest.fixture
def bare_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No AWS configuration at all: no variables, no config or credentials file, no IMDS, an empty HOME."""
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("HOME", str(tmp_path))
    return tmp_path


def _config(monkeypatch: pytest.MonkeyPatch, directory: Path, text: str) -> None:
    path = directory / "config"
    path.write_text(text)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(path))


def test_no_region(bare_environment: Path) -> None:
    with pytest.raises(CredentialsError, match="--region"):
        new_session(AwsOptions())


@pytest.mark.parametrize("region", ["moon-1", "EU-CENTRAL-1", "eu-central", "eu_central_1"])
def test_malformed_region(bare_environment: Path, region: str) -> None:
    with pytest.raises(CredentialsError, match="not an AWS Region"):
        new_session(AwsOptions(region=region))


def test_no_credentials(bare_environment: Path) -> None:
    with pytest.raises(CredentialsError, match="no AWS credentials"):
        new_session(AwsOptions(region=REGION))


def test_missing_profile(bare_environment: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(CredentialsError, match="nope"):
        new_session(AwsOptions(region=REGION, profile="nope"))
    monkeypatch.setenv("AWS_PROFILE", "nope")
    with pytest.raises(CredentialsError, match="nope"):
        new_session(AwsOptions(region=REGION))


def test_region_and_credentials_from_environment(bare_environment: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    assert new_session(AwsOptions()).region_name == "eu-west-1"
    monkeypatch.setenv("AWS_REGION", "us-gov-west-1")  # botocore alone ignores it; the AWS CLI v2 reads it first
    assert new_session(AwsOptions()).region_name == "us-gov-west-1"
    assert new_session(AwsOptions(region=REGION)).region_name == REGION


def test_region_and_credentials_from_a_profile(bare_environment: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _config(
        monkeypatch,
        bare_environment,
        "[profile lab]\nregion = eu-west-1\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = s\n",
    )
    session = new_session(AwsOptions(profile="lab"))
    assert session.region_name == "eu-west-1"
    assert session.get_credentials() is not None


@pytest.mark.parametrize(
    "profile",
    [
        pytest.param("[profile broken]\ncredential_process = {python} -c 'raise SystemExit(3)'\n", id="process"),
        pytest.param("[profile broken]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = gone\n", id="source"),
    ],
)
def test_unloadable_credentials(bare_environment: Path, monkeypatch: pytest.MonkeyPatch, profile: str) -> None:
    import sys

    _config(monkeypatch, bare_environment, profile.format(python=sys.executable))
    with pytest.raises(CredentialsError, match="AWS credentials"):
        new_session(AwsOptions(region=REGION, profile="broken"))


def test_sso_profile_without_a_token(bare_environment: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # SSO credentials are deferred: they fail at the first request, from the (empty) token cache in HOME.
    _config(
        monkeypatch,
        bare_environment,
        "[profile sso]\nsso_start_url = https://example.awsapps.com/start\nsso_region = eu-central-1\n"
        "sso_account_id = 123456789012\nsso_role_name = ReadOnly\n",
    )
    with pytest.raises(CredentialsError, match="SSO"):
        LiveAws.open(AwsOptions(region=REGION, profile="sso"))


def test_client_config_bounds_attempts(account: ClientFactory) -> None:
    assert client_config(1).retries == {"mode": "standard", "total_max_attempts": 1}
    assert open_live().client("ec2").meta.config.retries["total_max_attempts"] == 1


def test_iam_action_tells_services_that_share_a_signing_name_apart() -> None:
    assert iam_action("s3", "GetPublicAccessBlock", "s3") == "s3:GetBucketPublicAccessBlock"
    assert iam_action("s3", "GetPublicAccessBlock", "s3control") == "s3:GetAccountPublicAccessBlock"
