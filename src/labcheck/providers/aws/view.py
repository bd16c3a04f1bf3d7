"""The AWS view: the nouns of a learner's architecture as frozen dataclasses, and the interface that serves them.

Nothing here imports boto3. The live adapter (live.py) implements `AwsView` with the SDK; tests and lab
authors implement it with `labcheck.testing.aws.FakeAws`. Fields are normalised on the way in: enum strings
lower-cased where AWS and moto disagree on case, policy documents parsed, absent lists empty.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

Document = Mapping[str, Any]
"""A parsed JSON policy document."""


@dataclass(frozen=True)
class Vpc:
    """A VPC with its CIDR blocks and tags."""

    id: str
    cidr_blocks: tuple[str, ...]
    tags: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Subnet:
    """A subnet and whether it hands out public IPs."""

    id: str
    vpc_id: str
    availability_zone: str
    map_public_ip_on_launch: bool


@dataclass(frozen=True)
class Route:
    """One route of a route table."""

    destination: str  # IPv4 or IPv6 CIDR, or a prefix-list id
    target: str  # igw-, nat-, eigw-, vpce-, tgw-, pcx-, eni- id or "local"
    state: str  # active | blackhole


@dataclass(frozen=True)
class RouteTable:
    """A route table with the subnets it is explicitly associated with."""

    id: str
    main: bool
    subnet_ids: tuple[str, ...]
    routes: tuple[Route, ...]


@dataclass(frozen=True)
class NatGateway:
    """A NAT gateway of the VPC."""

    id: str
    state: str
    connectivity_type: str


@dataclass(frozen=True)
class VpcEndpoint:
    """A VPC endpoint with its policy parsed."""

    id: str
    vpc_id: str
    service_name: str
    endpoint_type: str  # Interface | Gateway | GatewayLoadBalancer | ...
    state: str  # lower-cased
    service_region: str | None
    private_dns_enabled: bool
    subnet_ids: tuple[str, ...]
    security_group_ids: tuple[str, ...]
    policy: Document


@dataclass(frozen=True)
class IngressRule:
    """One inbound permission of a security group."""

    protocol: str  # "tcp", "6", "-1", ...
    from_port: int | None
    to_port: int | None
    ipv4_cidrs: tuple[str, ...] = ()
    ipv6_cidrs: tuple[str, ...] = ()
    prefix_list_ids: tuple[str, ...] = ()
    group_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class SecurityGroup:
    """A security group and its inbound rules."""

    id: str
    vpc_id: str
    ingress: tuple[IngressRule, ...]


@dataclass(frozen=True)
class Function:
    """A Lambda function with its tags and network attachment."""

    name: str
    arn: str
    role_arn: str
    subnet_ids: tuple[str, ...]
    security_group_ids: tuple[str, ...]
    tags: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class NamedPolicy:
    """One identity policy of a role: inline or attached managed."""

    name: str  # the inline policy name or the managed policy ARN
    document: Document


@dataclass(frozen=True)
class Role:
    """An IAM role and its trust policy."""

    name: str
    arn: str
    trust_policy: Document


@dataclass(frozen=True)
class InvocationLogging:
    """The Region's Bedrock model-invocation logging configuration."""

    log_group_name: str | None
    role_arn: str | None
    large_data_bucket: str | None
    s3_bucket: str | None
    text_delivery: bool

    @property
    def buckets(self) -> tuple[str, ...]:
        """Every S3 destination the configuration writes to."""
        return tuple(b for b in (self.s3_bucket, self.large_data_bucket) if b)


@dataclass(frozen=True)
class LogGroup:
    """A CloudWatch Logs log group."""

    name: str
    arn: str
    kms_key_id: str | None
    retention_days: int | None  # None: never expire
    data_protection_status: str | None


@dataclass(frozen=True)
class KmsKey:
    """A KMS key's management facts and rotation."""

    id: str
    arn: str
    manager: str  # CUSTOMER | AWS
    state: str
    spec: str
    rotation_enabled: bool | None  # None where rotation does not apply (asymmetric keys)


@dataclass(frozen=True)
class BucketEncryption:
    """A bucket's default encryption (None fields: no explicit configuration)."""

    bucket: str
    algorithm: str | None
    kms_key_id: str | None


@dataclass(frozen=True)
class TrailEvent:
    """A CloudTrail management event, reduced to what evidence checks read."""

    name: str
    time: dt.datetime
    vpc_endpoint_id: str | None
    session_issuer_arn: str | None


@dataclass(frozen=True)
class FoundationModel:
    """A foundation model Bedrock offers on demand in the Region."""

    id: str
    lifecycle: str  # ACTIVE | LEGACY


class AwsView(Protocol):
    """What AWS checks may ask about a learner's account. Every method is read-only and memoised."""

    @property
    def account_id(self) -> str:
        """The account being graded."""

    @property
    def region(self) -> str:
        """The lab Region."""

    @property
    def identity(self) -> Mapping[str, str]:
        """What a report shows about the account: cloud, account and Region."""

    def tagged_vpcs(self, key: str, value: str) -> list[Vpc]:
        """VPCs carrying the tag key=value."""

    def vpc_dns(self, vpc_id: str) -> tuple[bool, bool]:
        """(enableDnsSupport, enableDnsHostnames) of a VPC."""

    def subnets(self, subnet_ids: tuple[str, ...]) -> list[Subnet]:
        """The given subnets."""

    def route_tables(self, vpc_id: str) -> list[RouteTable]:
        """Every route table of a VPC."""

    def internet_gateway_ids(self, vpc_id: str) -> list[str]:
        """Internet gateways attached to a VPC."""

    def nat_gateways(self, vpc_id: str) -> list[NatGateway]:
        """NAT gateways in a VPC."""

    def vpc_endpoints(self, vpc_id: str, service_name: str) -> list[VpcEndpoint]:
        """Endpoints of a VPC for one service."""

    def security_groups(self, group_ids: tuple[str, ...]) -> list[SecurityGroup]:
        """The given security groups."""

    def tagged_functions(self, key: str, value: str) -> list[Function]:
        """Lambda functions carrying the tag key=value."""

    def role(self, role_name: str) -> Role | None:
        """An IAM role (None: no such role)."""

    def role_policies(self, role_name: str) -> list[NamedPolicy]:
        """A role's effective identity policies: inline and attached managed (default versions)."""

    def invocation_logging(self) -> InvocationLogging | None:
        """The Region's Bedrock invocation logging configuration (None: not configured)."""

    def log_group(self, name: str) -> LogGroup | None:
        """A log group by exact name."""

    def log_data_protection_policy(self, name: str) -> Document | None:
        """The data protection policy of a log group (None: none attached)."""

    def kms_key(self, key_ref: str) -> KmsKey | None:
        """A KMS key by id, ARN, alias name or alias ARN (None: no such key)."""

    def bucket_encryption(self, bucket: str) -> BucketEncryption:
        """A bucket's default encryption."""

    def bedrock_events(self, since: dt.datetime) -> list[TrailEvent]:
        """CloudTrail events from bedrock.amazonaws.com since a time."""

    def on_demand_models(self) -> list[FoundationModel]:
        """Foundation models invocable on demand in the Region (for `labcheck doctor`)."""


READ_ACTIONS: dict[str, tuple[str, ...]] = {
    "tagged_vpcs": ("ec2:DescribeVpcs",),
    "vpc_dns": ("ec2:DescribeVpcAttribute",),
    "subnets": ("ec2:DescribeSubnets",),
    "route_tables": ("ec2:DescribeRouteTables",),
    "internet_gateway_ids": ("ec2:DescribeInternetGateways",),
    "nat_gateways": ("ec2:DescribeNatGateways",),
    "vpc_endpoints": ("ec2:DescribeVpcEndpoints",),
    "security_groups": ("ec2:DescribeSecurityGroups",),
    "tagged_functions": ("lambda:ListFunctions", "lambda:ListTags", "lambda:GetFunctionConfiguration"),
    "role": ("iam:GetRole",),
    "role_policies": (
        "iam:ListRolePolicies",
        "iam:GetRolePolicy",
        "iam:ListAttachedRolePolicies",
        "iam:GetPolicy",
        "iam:GetPolicyVersion",
    ),
    "invocation_logging": ("bedrock:GetModelInvocationLoggingConfiguration",),
    "log_group": ("logs:DescribeLogGroups",),
    "log_data_protection_policy": ("logs:GetDataProtectionPolicy",),
    "kms_key": ("kms:DescribeKey", "kms:GetKeyRotationStatus"),
    "bucket_encryption": ("s3:GetEncryptionConfiguration",),
    "bedrock_events": ("cloudtrail:LookupEvents",),
    "on_demand_models": ("bedrock:ListFoundationModels",),
}
"""The IAM actions behind each `AwsView` read: what a check that calls it must declare.

The fake view denies by this table and a live-adapter test proves it equals the calls really made."""
