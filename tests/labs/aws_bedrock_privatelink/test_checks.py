"""The 15 checks of aws-bedrock-privatelink against the reference architecture and one-edit variants of it.

Cases are data: (check id, name, an edit of a fresh reference FakeAws, expected status, a message fragment,
optional lab inputs). Edits name the reference's resources through placeholders filled from the fake itself
({vpc}, {endpoint}, {approved}, ...), so every case reads like the policy or resource a learner would write.
Every check runs through the real runner, so exceptions map to statuses exactly as in a report.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from labcheck.catalog import get_lab
from labcheck.model import Result, Status
from labcheck.providers.aws.view import (
    BucketEncryption,
    IngressRule,
    InvocationLogging,
    NamedPolicy,
    NatGateway,
    Route,
    SecurityGroup,
    Subnet,
    TrailEvent,
    Vpc,
)
from labcheck.testing.aws import FakeAws
from tests.labs.contract import Case, LabContract, assert_cases_cover_every_check, unchanged

PASS, FAIL, ERROR, SKIP, PENDING = Status.PASS, Status.FAIL, Status.ERROR, Status.SKIP, Status.PENDING

LAB = get_lab("aws-bedrock-privatelink")
CHECK_IDS = [c.id for c in LAB.checks]
MODEL = LAB.inputs["approved_model_ids"].default[0]
OTHER_ACCOUNT = "999988887777"
OTHER_VPC = "vpc-0ffff0000000000ff"

Mutation = Callable[[FakeAws], None]
Reference = Callable[[], FakeAws]
Runner = Callable[..., Result]


# --- placeholders -----------------------------------------------------------------------------------


def names(fake: FakeAws) -> dict[str, str]:
    """The reference's resource names as the placeholders in case data use them."""
    return {
        "account": fake.account_id,
        "region": fake.region,
        "vpc": fake.vpcs[0].id,
        "cidr": fake.vpcs[0].cidr_blocks[0],
        "endpoint": fake.endpoints[0].id if fake.endpoints else "vpce-none",
        "approved": f"arn:aws:bedrock:{fake.region}::foundation-model/{MODEL}",
        "app_role": fake.functions[0].role_arn,
        "app_sg": fake.functions[0].security_group_ids[0],
        "key": next(iter(fake.keys), "no-key"),
    }


def fill(value: Any, fake: FakeAws) -> Any:
    """The value with every {placeholder} in its strings replaced (keys of mappings are left alone)."""
    if isinstance(value, str):
        return value.format_map(names(fake))
    if isinstance(value, list | tuple):
        return type(value)(fill(v, fake) for v in value)
    if isinstance(value, dict):
        return {k: fill(v, fake) for k, v in value.items()}
    if isinstance(value, IngressRule):
        return IngressRule(*(fill(getattr(value, f.name), fake) for f in dataclasses.fields(value)))
    return value


def document(*statements: dict[str, Any]) -> dict[str, Any]:
    """A policy document."""
    return {"Version": "2012-10-17", "Statement": list(statements)}


def _statement(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    merged = {**base, **overrides}
    return {k: v for k, v in merged.items() if v is not None}  # an override of None removes the key


INVOKES = ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"]
ACCOUNT_ONLY = {"StringEquals": {"aws:PrincipalAccount": "{account}"}}
VIA_ENDPOINT = {"StringEquals": {"aws:SourceVpce": "{endpoint}"}}
REGION_PIN = {"StringNotEquals": {"aws:RequestedRegion": ["{region}"]}}


def endpoint_allow(**overrides: Any) -> dict[str, Any]:
    """The reference endpoint statement with some elements changed (None removes one)."""
    base = {
        "Effect": "Allow",
        "Principal": "*",
        "Action": INVOKES,
        "Resource": ["{approved}"],
        "Condition": ACCOUNT_ONLY,
    }
    return _statement(base, overrides)


def app_allow(**overrides: Any) -> dict[str, Any]:
    """The reference app-role InvokeModel statement with some elements changed (None removes one)."""
    base = {"Effect": "Allow", "Action": INVOKES, "Resource": ["{approved}"], "Condition": VIA_ENDPOINT}
    return _statement(base, overrides)


def vpce_allow(**overrides: Any) -> Mutation:
    """An endpoint policy of one statement: the reference one with some elements changed."""
    return endpoint_statements(endpoint_allow(**overrides))


def role_allow(**overrides: Any) -> Mutation:
    """App permissions of the reference InvokeModel statement, changed, and the reference Region pin."""
    return app_statements(app_allow(**overrides), PIN)


def deny(action: Any = "*", condition: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    """A Deny statement on every resource."""
    return _statement({"Effect": "Deny", "Action": action, "Resource": "*", "Condition": condition}, extra)


PIN = deny("*", REGION_PIN)
GEO_PROFILE = "arn:aws:bedrock:{region}:{account}:inference-profile/eu." + MODEL
GLOBAL_PROFILE = "arn:aws:bedrock:{region}:{account}:inference-profile/global." + MODEL
US_PROFILE = "arn:aws:bedrock:{region}:{account}:inference-profile/us." + MODEL
US_EAST_MODEL = "arn:aws:bedrock:us-east-1::foundation-model/" + MODEL
ANY_REGION_MODEL = "arn:aws:bedrock:*::foundation-model/" + MODEL
SONNET = "arn:aws:bedrock:{region}::foundation-model/anthropic.claude-3-5-sonnet-20240620-v1:0"
APP_PROFILE = "arn:aws:bedrock:{region}:{account}:application-inference-profile/a1b2c3d4e5f6"


# --- edits ------------------------------------------------------------------------------------------


def chain(*mutations: Mutation) -> Mutation:
    """Several edits in order."""

    def mutate(fake: FakeAws) -> None:
        for mutation in mutations:
            mutation(fake)

    return mutate


def dns(support: bool, hostnames: bool) -> Mutation:
    """The lab VPC's DNS flags."""

    def mutate(fake: FakeAws) -> None:
        fake.dns[fake.vpcs[0].id] = (support, hostnames)

    return mutate


def edit_vpc(**changes: Any) -> Mutation:
    """Change the lab VPC."""

    def mutate(fake: FakeAws) -> None:
        fake.vpcs[0] = dataclasses.replace(fake.vpcs[0], **fill(changes, fake))

    return mutate


def add_vpc(vpc_id: str, tags: dict[str, str]) -> Mutation:
    """Another VPC (with DNS on), tagged as given."""

    def mutate(fake: FakeAws) -> None:
        fake.vpcs.append(Vpc(vpc_id, ("10.30.0.0/16",), tags))
        fake.dns[vpc_id] = (True, True)

    return mutate


def edit_subnet(index: int, **changes: Any) -> Mutation:
    """Change one of the reference's two subnets."""

    def mutate(fake: FakeAws) -> None:
        fake.subnet_list[index] = dataclasses.replace(fake.subnet_list[index], **changes)

    return mutate


def add_subnet(subnet: Subnet) -> Mutation:
    """Another subnet."""

    def mutate(fake: FakeAws) -> None:
        fake.subnet_list.append(subnet)

    return mutate


def _routes(*routes: tuple[str, ...]) -> tuple[Route, ...]:
    return tuple(Route(r[0], r[1], r[2] if len(r) > 2 else "active") for r in routes)


def explicit_routes(*routes: tuple[str, ...]) -> Mutation:
    """Add (destination, target[, state]) routes to the table the subnets are explicitly associated with."""

    def mutate(fake: FakeAws) -> None:
        tables = fake.tables[fake.vpcs[0].id]
        index = next(i for i, t in enumerate(tables) if t.subnet_ids)
        tables[index] = dataclasses.replace(tables[index], routes=tables[index].routes + _routes(*routes))

    return mutate


def main_routes(*routes: tuple[str, ...], keep_associations: bool = True) -> Mutation:
    """Add routes to the main table; without the explicit associations the subnets fall back to it."""

    def mutate(fake: FakeAws) -> None:
        tables = fake.tables[fake.vpcs[0].id]
        for index, table in enumerate(tables):
            if table.main:
                tables[index] = dataclasses.replace(table, routes=table.routes + _routes(*routes))
            elif not keep_associations:
                tables[index] = dataclasses.replace(table, subnet_ids=())

    return mutate


def internet_gateway(fake: FakeAws) -> None:
    """An internet gateway attached to the lab VPC."""
    fake.gateways[fake.vpcs[0].id] = ["igw-0a1b2c3d4e5f60001"]


def nat(state: str, connectivity: str = "public") -> Mutation:
    """A NAT gateway in the lab VPC."""

    def mutate(fake: FakeAws) -> None:
        fake.nats[fake.vpcs[0].id] = [NatGateway("nat-0a1b2c3d4e5f60001", state, connectivity)]

    return mutate


def edit_function(**changes: Any) -> Mutation:
    """Change the app function."""

    def mutate(fake: FakeAws) -> None:
        fake.functions[0] = dataclasses.replace(fake.functions[0], **fill(changes, fake))

    return mutate


def add_function(name: str) -> Mutation:
    """A second function carrying the lab tag."""

    def mutate(fake: FakeAws) -> None:
        fake.functions.append(dataclasses.replace(fake.functions[0], name=name, arn=fake.functions[0].arn + "2"))

    return mutate


def edit_endpoint(**changes: Any) -> Mutation:
    """Change the bedrock-runtime endpoint."""

    def mutate(fake: FakeAws) -> None:
        fake.endpoints[0] = dataclasses.replace(fake.endpoints[0], **fill(changes, fake))

    return mutate


def add_endpoint(**changes: Any) -> Mutation:
    """A second endpoint: a copy of the reference one with some fields changed."""

    def mutate(fake: FakeAws) -> None:
        fake.endpoints.append(dataclasses.replace(fake.endpoints[0], **fill(changes, fake)))

    return mutate


def no_endpoint(fake: FakeAws) -> None:
    """The bedrock-runtime endpoint deleted."""
    fake.endpoints.clear()


def endpoint_statements(*statements: dict[str, Any]) -> Mutation:
    """Replace the endpoint policy."""
    return edit_endpoint(policy=document(*statements))


def endpoint_ingress(*rules: IngressRule) -> Mutation:
    """Replace the inbound rules of the endpoint's security group."""

    def mutate(fake: FakeAws) -> None:
        group_id = fake.endpoints[0].security_group_ids[0]
        index = next(i for i, g in enumerate(fake.groups) if g.id == group_id)
        fake.groups[index] = dataclasses.replace(fake.groups[index], ingress=fill(rules, fake))

    return mutate


def add_group(group: SecurityGroup) -> Mutation:
    """Another security group."""

    def mutate(fake: FakeAws) -> None:
        fake.groups.append(group)

    return mutate


def tcp443(**sources: Any) -> IngressRule:
    """A TCP 443 rule from the given sources."""
    return IngressRule("tcp", 443, 443, **sources)


def app_policies(*documents: dict[str, Any]) -> Mutation:
    """Replace the app role's inline policies."""

    def mutate(fake: FakeAws) -> None:
        role = fake.functions[0].role_arn.rsplit("/", 1)[-1]
        fake.policies[role] = [NamedPolicy(f"inline-{n}", fill(d, fake)) for n, d in enumerate(documents)]

    return mutate


def app_statements(*statements: dict[str, Any]) -> Mutation:
    """Replace the app role's permissions with one inline policy."""
    return app_policies(document(*statements))


def attach_managed(arn: str, *statements: dict[str, Any]) -> Mutation:
    """Attach a managed policy to the app role, besides its inline policy."""

    def mutate(fake: FakeAws) -> None:
        role = fake.functions[0].role_arn.rsplit("/", 1)[-1]
        fake.policies[role].append(NamedPolicy(arn, fill(document(*statements), fake)))

    return mutate


BEDROCK_FULL_ACCESS = "arn:aws:iam::aws:policy/AmazonBedrockFullAccess"


def edit_logging(**changes: Any) -> Mutation:
    """Change the Region's invocation logging configuration."""

    def mutate(fake: FakeAws) -> None:
        assert fake.logging is not None
        fake.logging = dataclasses.replace(fake.logging, **changes)

    return mutate


def no_logging(fake: FakeAws) -> None:
    """Invocation logging never configured."""
    fake.logging = None


def s3_only(bucket: str, algorithm: str | None, key: str | None) -> Mutation:
    """Invocation logs to an S3 bucket only, with that bucket's default encryption."""

    def mutate(fake: FakeAws) -> None:
        fake.logging = InvocationLogging(None, None, None, bucket, text_delivery=True)
        fake.buckets[bucket] = BucketEncryption(bucket, algorithm, fill(key, fake))

    return mutate


def large_data_bucket(bucket: str, algorithm: str | None, key: str | None) -> Mutation:
    """A large-data S3 bucket beside the CloudWatch destination."""

    def mutate(fake: FakeAws) -> None:
        assert fake.logging is not None
        fake.logging = dataclasses.replace(fake.logging, large_data_bucket=bucket)
        fake.buckets[bucket] = BucketEncryption(bucket, algorithm, key)

    return mutate


def _log_group_name(fake: FakeAws) -> str:
    assert fake.logging
    assert fake.logging.log_group_name
    return fake.logging.log_group_name


def edit_log_group(**changes: Any) -> Mutation:
    """Change the invocation log group."""

    def mutate(fake: FakeAws) -> None:
        name = _log_group_name(fake)
        fake.log_groups[name] = dataclasses.replace(fake.log_groups[name], **changes)

    return mutate


def no_log_group(fake: FakeAws) -> None:
    """The log group the configuration names does not exist."""
    fake.log_groups.clear()


def edit_key(**changes: Any) -> Mutation:
    """Change the log group's KMS key (under every reference it is registered by)."""

    def mutate(fake: FakeAws) -> None:
        fake.keys = {ref: dataclasses.replace(key, **changes) for ref, key in fake.keys.items()}

    return mutate


def no_key(fake: FakeAws) -> None:
    """The log group's KMS key is gone."""
    fake.keys.clear()


def data_protection(status: str | None, policy: dict[str, Any] | None) -> Mutation:
    """The log group's data protection status and policy."""

    def mutate(fake: FakeAws) -> None:
        name = _log_group_name(fake)
        fake.log_groups[name] = dataclasses.replace(fake.log_groups[name], data_protection_status=status)
        if policy is not None:
            fake.data_protection[name] = policy

    return mutate


def _protection_policy(*operations: str) -> dict[str, Any]:
    identifiers = ["arn:aws:dataprotection::aws:data-identifier/EmailAddress"]
    statements = [{"Sid": op.lower(), "DataIdentifier": identifiers, "Operation": {op: {}}} for op in operations]
    return {"Name": "invocation-logs", "Version": "2021-06-01", "Statement": statements}


def logging_trust(*statements: dict[str, Any]) -> Mutation:
    """Replace the logging role's trust policy."""

    def mutate(fake: FakeAws) -> None:
        assert fake.logging
        assert fake.logging.role_arn
        name = fake.logging.role_arn.rsplit("/", 1)[-1]
        fake.roles[name] = dataclasses.replace(fake.roles[name], trust_policy=fill(document(*statements), fake))

    return mutate


def no_logging_role(fake: FakeAws) -> None:
    """The logging role the configuration names does not exist."""
    assert fake.logging
    assert fake.logging.role_arn
    del fake.roles[fake.logging.role_arn.rsplit("/", 1)[-1]]


def bedrock_trust(**overrides: Any) -> dict[str, Any]:
    """The reference logging-role trust statement with some elements changed (None removes one)."""
    condition = {
        "StringEquals": {"aws:SourceAccount": "{account}"},
        "ArnLike": {"aws:SourceArn": "arn:aws:bedrock:{region}:{account}:*"},
    }
    base = {
        "Effect": "Allow",
        "Principal": {"Service": "bedrock.amazonaws.com"},
        "Action": "sts:AssumeRole",
        "Condition": condition,
    }
    return _statement(base, overrides)


def events(*specs: tuple[str, float, str | None, str | None]) -> Mutation:
    """Replace the CloudTrail events with (name, hours ago, vpc endpoint id, session issuer ARN) tuples."""

    def mutate(fake: FakeAws) -> None:
        now = dt.datetime.now(dt.UTC)
        fake.events = [
            TrailEvent(name, now - dt.timedelta(hours=hours), fill(endpoint, fake), fill(issuer, fake))
            for name, hours, endpoint, issuer in specs
        ]

    return mutate


# --- cases ------------------------------------------------------------------------------------------

BLOCKED_BY_ENDPOINT = "blocked by bedrock-runtime-interface-endpoint"
BLOCKED_BY_LOGGING = "blocked by invocation-logging-enabled"

A1 = "vpc-dns-enabled"
A2 = "app-runs-in-private-subnets"
A3 = "vpc-no-internet-egress"
A4 = "bedrock-runtime-interface-endpoint"
A5 = "endpoint-private-dns"
A6 = "endpoint-sg-443-from-vpc-only"
A7 = "endpoint-policy-least-privilege"
A8 = "app-role-requires-sourcevpce"
A9 = "app-role-approved-models-only"
A10 = "region-pinned"
A11 = "invocation-logging-enabled"
A12 = "invocation-logs-encrypted-cmk"
A13 = "logging-role-confused-deputy"
A14 = "traffic-via-endpoint"
A15 = "invocation-logs-pii-masking"

NETWORK_CASES = [
    Case(A1, "hostnames off", dns(True, False), FAIL, "enableDnsHostnames off"),
    Case(A1, "support off", dns(False, True), FAIL, "enableDnsSupport off"),
    Case(A1, "both off", dns(False, False), FAIL, "enableDnsSupport and enableDnsHostnames off"),
    Case(A2, "outside any VPC", edit_function(subnet_ids=(), security_group_ids=()), FAIL, "outside any VPC"),
    Case(
        A2,
        "subnet in another VPC",
        chain(
            add_subnet(Subnet("subnet-0ffff00000000000c", OTHER_VPC, "eu-central-1c", False)),
            edit_function(subnet_ids=("subnet-0ffff00000000000c",)),
        ),
        FAIL,
        f"subnet-0ffff00000000000c is in {OTHER_VPC}, not the lab VPC",
    ),
    Case(A2, "MapPublicIpOnLaunch", edit_subnet(1, map_public_ip_on_launch=True), FAIL, "maps public IPs on launch"),
    Case(
        A2, "explicit table 0.0.0.0/0 to igw", explicit_routes(("0.0.0.0/0", "igw-0abc")), FAIL, "0.0.0.0/0 to igw-0abc"
    ),
    Case(A2, "igw route on a narrower CIDR", explicit_routes(("52.0.0.0/8", "igw-0abc")), FAIL, "52.0.0.0/8 to igw-"),
    Case(
        A2,
        "no explicit association: main table with a nat route",
        main_routes(("0.0.0.0/0", "nat-0abc"), keep_associations=False),
        FAIL,
        "0.0.0.0/0 to nat-0abc",
    ),
    Case(
        A2,
        "explicit association wins over an internet main table",
        main_routes(("0.0.0.0/0", "igw-0abc")),
        PASS,
        "runs in private subnets",
    ),
    Case(A2, "::/0 to egress-only gateway", explicit_routes(("::/0", "eigw-0abc")), FAIL, "::/0 to eigw-0abc"),
    Case(
        A2,
        "blackhole internet route ignored",
        explicit_routes(("0.0.0.0/0", "igw-0abc", "blackhole")),
        PASS,
        "runs in private subnets",
    ),
    Case(
        A2,
        "vpce- gateway endpoint route is fine",
        explicit_routes(("pl-6ea54007", "vpce-0s3gateway")),
        PASS,
        "runs in private subnets",
    ),
    Case(A2, "0.0.0.0/0 to a transit gateway", explicit_routes(("0.0.0.0/0", "tgw-0abc")), FAIL, "0.0.0.0/0 to tgw-"),
    Case(A2, "0.0.0.0/0 to a peering", explicit_routes(("0.0.0.0/0", "pcx-0abc")), FAIL, "0.0.0.0/0 to pcx-0abc"),
    Case(A3, "internet gateway attached", internet_gateway, FAIL, "through igw-0a1b2c3d4e5f60001"),
    Case(A3, "public NAT available", nat("available"), FAIL, "through nat-0a1b2c3d4e5f60001"),
    Case(A3, "public NAT pending", nat("pending"), FAIL, "through nat-0a1b2c3d4e5f60001"),
    Case(A3, "private NAT", nat("available", "private"), PASS, "no internet or public NAT gateway"),
    Case(A3, "deleted NAT", nat("deleted"), PASS, "no internet or public NAT gateway"),
]

ENDPOINT_CASES = [
    Case(A4, "no endpoint", no_endpoint, FAIL, "no com.amazonaws.eu-central-1.bedrock-runtime interface endpoint"),
    Case(A4, "Gateway type only", edit_endpoint(endpoint_type="Gateway"), FAIL, "bedrock-runtime interface endpoint"),
    Case(A4, "pending", edit_endpoint(state="pending"), FAIL, "is pending in 2 AZ(s)"),
    Case(A4, "one AZ", edit_endpoint(subnet_ids=("subnet-0a1b2c3d4e5f6000a",)), FAIL, "in 1 AZ(s)"),
    Case(
        A4,
        "two subnets in one AZ",
        chain(
            add_subnet(Subnet("subnet-0a1b2c3d4e5f6000c", "vpc-0a1b2c3d4e5f60001", "eu-central-1a", False)),
            edit_endpoint(subnet_ids=("subnet-0a1b2c3d4e5f6000a", "subnet-0a1b2c3d4e5f6000c")),
        ),
        FAIL,
        "in 1 AZ(s)",
    ),
    Case(A4, "min_endpoint_azs=3", unchanged, FAIL, ">= 3 AZs", ("min_endpoint_azs=3",)),
    Case(A4, "other ServiceRegion", edit_endpoint(service_region="us-east-1"), FAIL, "serves us-east-1"),
    Case(
        A4,
        "control-plane bedrock endpoint not counted",
        edit_endpoint(service_name="com.amazonaws.{region}.bedrock"),
        FAIL,
        "no com.amazonaws.eu-central-1.bedrock-runtime interface endpoint",
    ),
    Case(
        A4,
        "a pending duplicate beside the available one",
        add_endpoint(id="vpce-0ffff00000000000a", state="pending"),
        PASS,
        "is available in 2 AZs",
    ),
    Case(A5, "private DNS off", edit_endpoint(private_dns_enabled=False), FAIL, "private DNS off"),
    Case(
        A6,
        "protocol -1",
        endpoint_ingress(IngressRule("-1", None, None, ipv4_cidrs=("{cidr}",))),
        FAIL,
        "protocol -1 ports None-None",
    ),
    Case(
        A6,
        "port range 440-450",
        endpoint_ingress(IngressRule("tcp", 440, 450, ipv4_cidrs=("{cidr}",))),
        FAIL,
        "ports 440-450",
    ),
    Case(A6, "0.0.0.0/0", endpoint_ingress(tcp443(ipv4_cidrs=("0.0.0.0/0",))), FAIL, "admits 0.0.0.0/0, outside"),
    Case(A6, "IPv6 range", endpoint_ingress(tcp443(ipv6_cidrs=("::/0",))), FAIL, "admits IPv6 ::/0"),
    Case(A6, "prefix list", endpoint_ingress(tcp443(prefix_list_ids=("pl-0abc",))), FAIL, "admits prefix list pl-0abc"),
    Case(
        A6,
        "SG from another VPC",
        chain(
            add_group(SecurityGroup("sg-0ffff0000000other", OTHER_VPC, ())),
            endpoint_ingress(tcp443(group_ids=("sg-0ffff0000000other",))),
        ),
        FAIL,
        f"admits sg-0ffff0000000other of {OTHER_VPC}",
    ),
    Case(A6, "group with no rules", endpoint_ingress(), FAIL, "admit nothing"),
    Case(
        A6,
        "default SG: all traffic from itself",
        endpoint_ingress(IngressRule("-1", None, None, group_ids=("sg-0a1b2c3d4e5f6vpce",))),
        FAIL,
        "protocol -1",
    ),
    Case(A6, "SG referenced from the app SG", endpoint_ingress(tcp443(group_ids=("{app_sg}",))), PASS, "only TCP 443"),
    Case(A6, "a subnet CIDR of the VPC", endpoint_ingress(tcp443(ipv4_cidrs=("10.20.1.0/24",))), PASS, "only TCP 443"),
    Case(
        A6,
        "protocol number 6",
        endpoint_ingress(IngressRule("6", 443, 443, ipv4_cidrs=("{cidr}",))),
        PASS,
        "only TCP 443",
    ),
    Case(
        A6,
        "one good and one wide rule",
        endpoint_ingress(tcp443(ipv4_cidrs=("{cidr}",)), tcp443(ipv4_cidrs=("0.0.0.0/0",))),
        FAIL,
        "admits 0.0.0.0/0",
    ),
]

ENDPOINT_POLICY_CASES = [
    Case(
        A7,
        "default full-access policy",
        edit_endpoint(
            policy={
                "Version": "2008-10-17",
                "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}],
            }
        ),
        FAIL,
        "allows *",
    ),
    Case(A7, "bedrock:Invoke* wildcard", vpce_allow(Action="bedrock:Invoke*"), FAIL, "allows bedrock:invoke*"),
    Case(
        A7,
        "extra action",
        vpce_allow(Action=[*INVOKES, "bedrock:ListFoundationModels"]),
        FAIL,
        "allows bedrock:listfoundationmodels",
    ),
    Case(A7, "resource not approved", vpce_allow(Resource=[SONNET]), FAIL, "not only approved models"),
    Case(A7, "application inference-profile ARN", vpce_allow(Resource=[APP_PROFILE]), FAIL, "not only approved models"),
    Case(
        A7,
        "NotAction",
        vpce_allow(Action=None, NotAction="bedrock:CreateModelCustomizationJob"),
        FAIL,
        "uses NotAction",
    ),
    Case(A7, "NotResource", vpce_allow(Resource=None, NotResource="{approved}"), FAIL, "NotResource"),
    Case(
        A7, "principal * without condition", vpce_allow(Condition=None), FAIL, "open to principals outside the account"
    ),
    Case(
        A7,
        "PrincipalAccount of another account",
        vpce_allow(Condition={"StringEquals": {"aws:PrincipalAccount": OTHER_ACCOUNT}}),
        FAIL,
        "open to principals outside the account",
    ),
    Case(
        A7,
        "PrincipalAccount under StringEqualsIfExists",
        vpce_allow(Condition={"StringEqualsIfExists": {"aws:PrincipalAccount": "{account}"}}),
        FAIL,
        "open to principals outside the account",
    ),
    Case(
        A7,
        "explicit role ARN of another account",
        endpoint_statements(
            endpoint_allow(Principal={"AWS": f"arn:aws:iam::{OTHER_ACCOUNT}:role/labcheck-app"}, Condition=None)
        ),
        FAIL,
        "open to principals outside the account",
    ),
    Case(
        A7,
        "explicit role ARN of this account",
        vpce_allow(Principal={"AWS": "{app_role}"}, Condition=None),
        PASS,
        "only approved InvokeModel calls by this account",
    ),
    Case(
        A7,
        "principal {AWS: *} with PrincipalAccount",
        vpce_allow(Principal={"AWS": "*"}),
        PASS,
        "only approved InvokeModel calls",
    ),
    Case(
        A7,
        "ArnLike aws:PrincipalArn of this account",
        vpce_allow(Condition={"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::{account}:role/*"}}),
        PASS,
        "only approved InvokeModel calls",
    ),
    Case(
        A7,
        "ArnEquals aws:PrincipalArn of another account",
        vpce_allow(Condition={"ArnEquals": {"aws:PrincipalArn": f"arn:aws:iam::{OTHER_ACCOUNT}:role/labcheck-app"}}),
        FAIL,
        "open to principals outside the account",
    ),
    Case(
        A7,
        "PrincipalOrgID",
        vpce_allow(Condition={"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}),
        PASS,
        "only approved InvokeModel calls",
    ),
    Case(
        A7,
        "Deny statements tolerated",
        endpoint_statements(endpoint_allow(), deny("*", {"StringNotEquals": {"aws:PrincipalAccount": "{account}"}})),
        PASS,
        "only approved InvokeModel calls",
    ),
    Case(A7, "Deny only: allows nothing", endpoint_statements(deny("*")), FAIL, "allows nothing"),
]

APP_ROLE_CASES = [
    Case(A8, "no condition", role_allow(Condition=None), FAIL, "without an aws:SourceVpce"),
    Case(
        A8,
        "StringEqualsIfExists is a bypass",
        role_allow(Condition={"StringEqualsIfExists": {"aws:SourceVpce": "{endpoint}"}}),
        FAIL,
        "without an aws:SourceVpce",
    ),
    Case(
        A8,
        "other endpoint id",
        role_allow(Condition={"StringEquals": {"aws:SourceVpce": "vpce-0ffff00000000000f"}}),
        FAIL,
        "without an aws:SourceVpce",
    ),
    Case(
        A8,
        "attached managed policy: unconditioned Allow",
        attach_managed(BEDROCK_FULL_ACCESS, {"Effect": "Allow", "Action": "bedrock:*", "Resource": "*"}),
        FAIL,
        "without an aws:SourceVpce",
    ),
    Case(
        A8,
        "one scoped and one unscoped Allow",
        app_statements(app_allow(), app_allow(Action="bedrock:InvokeModel", Condition=None), PIN),
        FAIL,
        "without an aws:SourceVpce",
    ),
    Case(
        A8,
        "Deny StringNotEquals aws:sourcevpce (lower-case key)",
        app_statements(
            app_allow(Condition=None), deny("bedrock:*", {"StringNotEquals": {"aws:sourcevpce": "{endpoint}"}}), PIN
        ),
        PASS,
        "by a Deny outside",
    ),
    Case(
        A8,
        "Deny StringNotEqualsIfExists aws:SourceVpce",
        app_statements(
            app_allow(Condition=None), deny("*", {"StringNotEqualsIfExists": {"aws:SourceVpce": "{endpoint}"}})
        ),
        PASS,
        "by a Deny outside",
    ),
    Case(
        A8,
        "Deny fence overrides an attached unconditioned Allow",
        chain(
            app_statements(app_allow(), deny("bedrock:*", {"StringNotEquals": {"aws:SourceVpce": "{endpoint}"}})),
            attach_managed(BEDROCK_FULL_ACCESS, {"Effect": "Allow", "Action": "bedrock:*", "Resource": "*"}),
        ),
        PASS,
        "by a Deny outside",
    ),
    Case(
        A8,
        "Deny fence on another service does not cover InvokeModel",
        app_statements(app_allow(Condition=None), deny("s3:*", {"StringNotEquals": {"aws:SourceVpce": "{endpoint}"}})),
        FAIL,
        "without an aws:SourceVpce",
    ),
    Case(
        A8,
        "condition on aws:SourceVpc = VPC id",
        role_allow(Condition={"StringEquals": {"aws:SourceVpc": "{vpc}"}}),
        PASS,
        "by Allow conditions on",
    ),
    Case(
        A8,
        "list values containing the endpoint",
        app_statements(
            app_allow(Condition={"StringEquals": {"aws:SourceVpce": ["vpce-0ffff00000000000f", "{endpoint}"]}}), PIN
        ),
        PASS,
        "by Allow conditions on",
    ),
    Case(
        A8,
        "list values without the endpoint",
        role_allow(Condition={"StringEquals": {"aws:SourceVpce": ["vpce-0ffff00000000000f"]}}),
        FAIL,
        "without an aws:SourceVpce",
    ),
    Case(
        A8,
        "StringLike on a managed policy",
        chain(
            app_policies(),
            attach_managed(
                "arn:aws:iam::{account}:policy/labcheck-app-bedrock",
                app_allow(Condition={"StringLike": {"aws:SourceVpce": "{endpoint}"}}),
            ),
        ),
        PASS,
        "by Allow conditions on",
    ),
    Case(A8, "no InvokeModel allowed", app_policies(), FAIL, "is not allowed bedrock:InvokeModel"),
    Case(A9, "Resource *", role_allow(Resource="*"), FAIL, "may invoke *"),
    Case(
        A9,
        "Region wildcard in the model ARN",
        role_allow(Resource=[ANY_REGION_MODEL]),
        FAIL,
        "may invoke arn:aws:bedrock:*:",
    ),
    Case(
        A9,
        "foundation-model/*",
        role_allow(Resource="arn:aws:bedrock:{region}::foundation-model/*"),
        FAIL,
        "may invoke arn:aws:bedrock:eu-central-1::foundation-model/*",
    ),
    Case(
        A9,
        "NotResource",
        role_allow(Resource=None, NotResource=[SONNET]),
        FAIL,
        "may invoke arn:aws:bedrock:eu-central-1::foundation-model/anthropic.claude-3-5-sonnet",
    ),
    Case(
        A9,
        "extra model",
        role_allow(Resource=["{approved}", SONNET]),
        FAIL,
        "may invoke arn:aws:bedrock:eu-central-1::foundation-model/anthropic.claude-3-5-sonnet",
    ),
    Case(
        A9,
        "stream-only statement on *",
        app_statements(app_allow(), app_allow(Action="bedrock:InvokeModelWithResponseStream", Resource="*"), PIN),
        FAIL,
        "may invoke *",
    ),
    Case(
        A9,
        "attached managed policy on *",
        attach_managed(BEDROCK_FULL_ACCESS, {"Effect": "Allow", "Action": "bedrock:*", "Resource": "*"}),
        FAIL,
        "may invoke *",
    ),
    Case(A9, "no InvokeModel allowed", app_policies(), FAIL, "is not allowed bedrock:InvokeModel"),
]

REGION_CASES = [
    Case(A10, "no region pin", app_statements(app_allow()), FAIL, "does not pin aws:RequestedRegion to eu-central-1"),
    Case(
        A10,
        "deny pinned to another region",
        app_statements(app_allow(), deny("*", {"StringNotEquals": {"aws:RequestedRegion": ["us-east-1"]}})),
        FAIL,
        "does not pin aws:RequestedRegion",
    ),
    Case(
        A10,
        "deny allowing a second region",
        app_statements(app_allow(), deny("*", {"StringNotEquals": {"aws:RequestedRegion": ["{region}", "us-east-1"]}})),
        FAIL,
        "does not pin aws:RequestedRegion",
    ),
    Case(
        A10,
        "deny pin with StringNotEqualsIfExists",
        app_statements(app_allow(), deny("*", {"StringNotEqualsIfExists": {"aws:RequestedRegion": "{region}"}})),
        PASS,
        "stay in eu-central-1",
    ),
    Case(
        A10,
        "Allow-side StringEquals pin",
        app_statements(
            app_allow(Condition={"StringEquals": {"aws:SourceVpce": "{endpoint}", "aws:RequestedRegion": "{region}"}})
        ),
        PASS,
        "stay in eu-central-1",
    ),
    Case(
        A10,
        "Allow-side pin under StringEqualsIfExists",
        app_statements(
            app_allow(
                Condition={
                    "StringEquals": {"aws:SourceVpce": "{endpoint}"},
                    "StringEqualsIfExists": {"aws:RequestedRegion": "{region}"},
                }
            )
        ),
        FAIL,
        "does not pin aws:RequestedRegion",
    ),
    Case(
        A10,
        "eu. geo inference profile",
        role_allow(Resource=["{approved}", GEO_PROFILE]),
        FAIL,
        "inference-profile/eu.anthropic.claude-3-haiku-20240307-v1:0 is a cross-Region inference profile",
    ),
    Case(
        A10,
        "global. inference profile",
        role_allow(Resource=[GLOBAL_PROFILE]),
        FAIL,
        "is a cross-Region inference profile",
    ),
    Case(
        A10,
        "foundation-model ARN in another region (role)",
        role_allow(Resource=[US_EAST_MODEL]),
        FAIL,
        f"{US_EAST_MODEL} is in us-east-1",
    ),
    Case(
        A10,
        "foundation-model ARN in another region (endpoint policy)",
        vpce_allow(Resource=[US_EAST_MODEL]),
        FAIL,
        f"{US_EAST_MODEL} is in us-east-1",
    ),
    Case(
        A10,
        "geography scope accepts eu.",
        role_allow(Resource=["{approved}", GEO_PROFILE]),
        PASS,
        "stay in eu-central-1",
        ("residency_scope=geography",),
    ),
    Case(
        A10,
        "geography scope still rejects global.",
        role_allow(Resource=[GLOBAL_PROFILE]),
        FAIL,
        "is a cross-Region inference profile",
        ("residency_scope=geography",),
    ),
    Case(
        A10,
        "geography scope rejects another geography",
        role_allow(Resource=[US_PROFILE]),
        FAIL,
        "is a cross-Region inference profile",
        ("residency_scope=geography",),
    ),
    Case(A10, "endpoint in another ServiceRegion", edit_endpoint(service_region="us-east-1"), FAIL, "serves us-east-1"),
    Case(A10, "Region wildcard in the model ARN", role_allow(Resource=[ANY_REGION_MODEL]), FAIL, "is in *"),
]

LOGGING_CASES = [
    Case(A11, "not configured", no_logging, FAIL, "not configured in eu-central-1"),
    Case(
        A11, "no destination", edit_logging(log_group_name=None, role_arn=None), FAIL, "no CloudWatch or S3 destination"
    ),
    Case(A11, "text delivery off", edit_logging(text_delivery=False), FAIL, "does not deliver text"),
    Case(A11, "S3 only", s3_only("labcheck-invocations", "aws:kms", None), PASS, "go to labcheck-invocations"),
    Case(A12, "no log group", no_log_group, FAIL, "log group /aws/bedrock/invocations does not exist"),
    Case(
        A12, "no kmsKeyId", edit_log_group(kms_key_id=None), FAIL, "uses an AWS-owned key, not a customer-managed key"
    ),
    Case(A12, "AWS-managed key", edit_key(manager="AWS"), FAIL, "is an AWS-managed key"),
    Case(A12, "rotation off", edit_key(rotation_enabled=False), FAIL, "automatic rotation off"),
    Case(A12, "disabled key", edit_key(state="Disabled"), FAIL, "is Disabled, not Enabled"),
    Case(A12, "pending-deletion key", edit_key(state="PendingDeletion"), FAIL, "is PendingDeletion, not Enabled"),
    Case(A12, "key missing", no_key, FAIL, "does not exist"),
    Case(A12, "retention None (never expire)", edit_log_group(retention_days=None), FAIL, "keeps logs forever"),
    Case(A12, "retention 7", edit_log_group(retention_days=7), FAIL, "keeps logs 7 days, not 30+ days"),
    Case(A12, "retention exactly the minimum", edit_log_group(retention_days=30), PASS, "rotating CMK"),
    Case(
        A12,
        "min_log_retention_days=120",
        unchanged,
        FAIL,
        "keeps logs 90 days, not 120+ days",
        ("min_log_retention_days=120",),
    ),
    Case(
        A12,
        "S3 destination with AES256",
        s3_only("labcheck-invocations", "AES256", None),
        FAIL,
        "bucket labcheck-invocations uses AES256 encryption, not KMS",
    ),
    Case(
        A12,
        "S3 destination without explicit encryption",
        s3_only("labcheck-invocations", None, None),
        FAIL,
        "uses no explicit encryption",
    ),
    Case(
        A12,
        "S3 destination with the AWS-managed aws/s3 key",
        s3_only("labcheck-invocations", "aws:kms", None),
        FAIL,
        "bucket labcheck-invocations uses an AWS-owned key, not a customer-managed key",
    ),
    Case(
        A12,
        "S3 destination with a CMK",
        s3_only("labcheck-invocations", "aws:kms", "{key}"),
        PASS,
        "labcheck-invocations: rotating CMK",
    ),
    Case(
        A12,
        "large-data bucket with AES256",
        large_data_bucket("labcheck-large", "AES256", None),
        FAIL,
        "bucket labcheck-large uses AES256",
    ),
    Case(
        A13,
        "missing SourceAccount",
        logging_trust(bedrock_trust(Condition=None)),
        FAIL,
        "lacks StringEquals aws:SourceAccount",
    ),
    Case(
        A13,
        "SourceArn only, no SourceAccount",
        logging_trust(bedrock_trust(Condition={"ArnLike": {"aws:SourceArn": "arn:aws:bedrock:{region}:{account}:*"}})),
        FAIL,
        "lacks StringEquals aws:SourceAccount",
    ),
    Case(
        A13,
        "wrong account",
        logging_trust(bedrock_trust(Condition={"StringEquals": {"aws:SourceAccount": OTHER_ACCOUNT}})),
        FAIL,
        "lacks StringEquals aws:SourceAccount = 111122223333",
    ),
    Case(
        A13,
        "extra principal",
        logging_trust(bedrock_trust(Principal={"Service": ["bedrock.amazonaws.com", "lambda.amazonaws.com"]})),
        FAIL,
        "trusts more than bedrock.amazonaws.com",
    ),
    Case(
        A13,
        "an account principal instead of the service",
        logging_trust(bedrock_trust(Principal={"AWS": f"arn:aws:iam::{OTHER_ACCOUNT}:root"})),
        FAIL,
        "trusts more than bedrock.amazonaws.com",
    ),
    Case(
        A13,
        "SourceAccount only",
        logging_trust(bedrock_trust(Condition={"StringEquals": {"aws:SourceAccount": "{account}"}})),
        PASS,
        "trusts only bedrock.amazonaws.com",
    ),
    Case(A13, "role missing", no_logging_role, FAIL, "does not exist"),
    Case(A13, "S3-only logging", s3_only("labcheck-invocations", "aws:kms", None), SKIP, "S3 only"),
]

EVIDENCE_CASES = [
    Case(A14, "no events", events(), PENDING, "no Bedrock call by arn:aws:iam::111122223333:role/labcheck-app"),
    Case(
        A14, "event without vpcEndpointId", events(("InvokeModel", 1, None, "{app_role}")), FAIL, "did not go through"
    ),
    Case(
        A14,
        "event through another endpoint",
        events(("InvokeModel", 1, "vpce-0ffff00000000000f", "{app_role}")),
        FAIL,
        "did not go through",
    ),
    Case(
        A14,
        "event by another role",
        events(("InvokeModel", 1, "{endpoint}", "arn:aws:iam::{account}:role/someone-else")),
        PENDING,
        "no Bedrock call",
    ),
    Case(A14, "event outside the lookback", events(("InvokeModel", 30, "{endpoint}", "{app_role}")), PENDING, "24 h"),
    Case(
        A14,
        "lookback widened to 48 h",
        events(("InvokeModel", 30, "{endpoint}", "{app_role}")),
        PASS,
        "through vpce-",
        ("evidence_lookback_hours=48",),
    ),
    Case(
        A14, "Converse through the endpoint", events(("Converse", 1, "{endpoint}", "{app_role}")), PASS, "through vpce-"
    ),
    Case(
        A14,
        "a control-plane event is no evidence",
        events(("ListFoundationModels", 1, "{endpoint}", "{app_role}")),
        PENDING,
        "no Bedrock call",
    ),
    Case(A15, "status absent, no policy", data_protection(None, None), FAIL, "no data protection policy that masks"),
    Case(A15, "status DISABLED, no policy", data_protection("DISABLED", None), FAIL, "no data protection policy"),
    Case(
        A15,
        "status absent, Deidentify policy",
        data_protection(None, _protection_policy("Audit", "Deidentify")),
        PASS,
        "de-identifying data protection policy",
    ),
    Case(
        A15,
        "status absent, Audit-only policy",
        data_protection(None, _protection_policy("Audit")),
        FAIL,
        "no data protection policy that masks",
    ),
    Case(A15, "S3-only logging", s3_only("labcheck-invocations", "aws:kms", None), SKIP, "S3 only"),
    Case(A15, "log group missing", no_log_group, FAIL, "blocked by invocation-logs-encrypted-cmk"),
]

BLOCKED_CASES = [
    *(Case(c, "no endpoint", no_endpoint, FAIL, BLOCKED_BY_ENDPOINT) for c in (A5, A6, A7, A8, A10, A14)),
    *(Case(c, "logging not configured", no_logging, FAIL, BLOCKED_BY_LOGGING) for c in (A12, A13, A15)),
    *(
        Case(
            c, "logging without destination", edit_logging(log_group_name=None, role_arn=None), FAIL, BLOCKED_BY_LOGGING
        )
        for c in (A12, A13, A15)
    ),
]

LEARNER_TAGS = {"labcheck-lab": "aws-bedrock-privatelink", "labcheck-learner": "bob"}

DISCOVERY_CASES = [
    Case(A1, "no tagged VPC", edit_vpc(tags={}), FAIL, "no VPC tagged labcheck-lab=aws-bedrock-privatelink"),
    Case(A1, "VPC tagged for another lab", edit_vpc(tags={"labcheck-lab": "aws-bedrock-rag-kb"}), FAIL, "labcheck-lab"),
    Case(A1, "two tagged VPCs", add_vpc(OTHER_VPC, {"labcheck-lab": "aws-bedrock-privatelink"}), ERROR, "ambiguous"),
    Case(
        A1,
        "two tagged VPCs, learner tag picks one",
        chain(
            edit_vpc(tags={"labcheck-lab": "aws-bedrock-privatelink", "labcheck-learner": "alice"}),
            add_vpc(OTHER_VPC, LEARNER_TAGS),
        ),
        PASS,
        "vpc-0a1b2c3d4e5f60001 has DNS support",
        ("learner_id=alice",),
    ),
    Case(
        A1, "one tagged VPC, learner_id set, no learner tag", unchanged, PASS, "has DNS support", ("learner_id=alice",)
    ),
    Case(A2, "no tagged function", edit_function(tags={}), FAIL, "no Lambda function tagged labcheck-lab"),
    Case(A9, "two tagged functions", add_function("labcheck-app-copy"), ERROR, "ambiguous"),
    Case(A5, "two available endpoints", add_endpoint(id="vpce-0ffff00000000000a"), ERROR, "ambiguous"),
]

CASES = [
    *NETWORK_CASES,
    *ENDPOINT_CASES,
    *ENDPOINT_POLICY_CASES,
    *APP_ROLE_CASES,
    *REGION_CASES,
    *LOGGING_CASES,
    *EVIDENCE_CASES,
    *BLOCKED_CASES,
    *DISCOVERY_CASES,
]


CONTRACT = LabContract(LAB, CASES)

# --- tests ------------------------------------------------------------------------------------------

test_reference_passes = CONTRACT.reference_passes()
test_case = CONTRACT.case_test()


def test_cases_cover_every_check_with_a_failure() -> None:
    assert len(CHECK_IDS) == 15
    assert_cases_cover_every_check(CASES, CHECK_IDS)


def test_reference_is_fresh_each_call(reference: Reference) -> None:
    first, second = reference(), reference()
    no_endpoint(first)
    app_policies()(first)
    assert second.endpoints
    assert second.policies["labcheck-app"]
    assert second.policies["labcheck-app"][0].document is not reference().policies["labcheck-app"][0].document


VPC_CHECKS = [c.id for c in LAB.checks if "ec2:DescribeVpcs" in c.spec.permissions]


@pytest.mark.parametrize("check_id", VPC_CHECKS)
def test_untagged_vpc_fails_with_a_tagging_hint(check_id: str, reference: Reference, run: Runner) -> None:
    fake = reference()
    edit_vpc(tags={})(fake)
    result = run(check_id, fake)
    assert result.status is FAIL, result.message
    assert "no VPC tagged labcheck-lab=aws-bedrock-privatelink" in result.message
    assert "labcheck-lab" in result.hint
    assert "default_tags" in result.hint


def test_two_tagged_vpcs_none_with_the_learner_tag_is_ambiguous(reference: Reference, run: Runner) -> None:
    fake = reference()
    add_vpc(OTHER_VPC, LEARNER_TAGS)(fake)
    result = run(A1, fake, ("learner_id=alice",))
    assert result.status is ERROR, result.message
    assert "ambiguous" in result.message


# --- permissions ------------------------------------------------------------------------------------

test_denied_action_is_error_or_not_reached = CONTRACT.denied_action_is_error_or_not_reached()
test_some_declared_action_is_needed = CONTRACT.some_declared_action_is_needed()
test_declared_permissions_suffice = CONTRACT.declared_permissions_suffice()
