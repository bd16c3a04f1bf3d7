"""An in-memory `AwsView` for check tests: a reference architecture is a FakeAws, each case a small edit.

Every read records the IAM actions the live adapter would need for it (each view module's READ_ACTIONS, kept
equal to the live adapter's real calls by a test against moto), and any of those actions can be denied, so a
test can prove that a check reports ERROR naming the action, and that it declares every action it uses.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import ClassVar

from labcheck.providers.aws.view import (
    READ_ACTIONS,
    BucketEncryption,
    Document,
    FoundationModel,
    Function,
    InvocationLogging,
    KmsKey,
    LogGroup,
    NamedPolicy,
    NatGateway,
    Role,
    RouteTable,
    SecurityGroup,
    Subnet,
    TrailEvent,
    Vpc,
    VpcEndpoint,
)
from labcheck.providers.aws.view_finops import READ_ACTIONS as FINOPS_READS
from labcheck.providers.aws.view_rag import READ_ACTIONS as RAG_READS
from labcheck.testing.aws_account import FakeAccount
from labcheck.testing.aws_finops import FakeFinops
from labcheck.testing.aws_rag import FakeRag


@dataclass
class FakeCore(FakeAccount):
    """The core view (view.py) in memory. Fields are the architecture."""

    vpcs: list[Vpc] = field(default_factory=list)
    dns: dict[str, tuple[bool, bool]] = field(default_factory=dict)
    subnet_list: list[Subnet] = field(default_factory=list)
    tables: dict[str, list[RouteTable]] = field(default_factory=dict)
    gateways: dict[str, list[str]] = field(default_factory=dict)
    nats: dict[str, list[NatGateway]] = field(default_factory=dict)
    endpoints: list[VpcEndpoint] = field(default_factory=list)
    groups: list[SecurityGroup] = field(default_factory=list)
    functions: list[Function] = field(default_factory=list)
    roles: dict[str, Role] = field(default_factory=dict)
    policies: dict[str, list[NamedPolicy]] = field(default_factory=dict)
    logging: InvocationLogging | None = None
    log_groups: dict[str, LogGroup] = field(default_factory=dict)
    data_protection: dict[str, Document] = field(default_factory=dict)
    keys: dict[str, KmsKey] = field(default_factory=dict)  # by every reference that resolves to the key
    buckets: dict[str, BucketEncryption] = field(default_factory=dict)
    events: list[TrailEvent] = field(default_factory=list)
    models: list[FoundationModel] = field(default_factory=list)

    def tagged_vpcs(self, key: str, value: str) -> list[Vpc]:
        """VPCs carrying the tag."""
        self._read("tagged_vpcs")
        return [v for v in self.vpcs if v.tags.get(key) == value]

    def vpc_dns(self, vpc_id: str) -> tuple[bool, bool]:
        """The VPC's DNS flags."""
        self._read("vpc_dns")
        return self.dns[vpc_id]

    def subnets(self, subnet_ids: tuple[str, ...]) -> list[Subnet]:
        """The given subnets."""
        self._read("subnets")
        return [s for s in self.subnet_list if s.id in subnet_ids]

    def route_tables(self, vpc_id: str) -> list[RouteTable]:
        """The VPC's route tables."""
        self._read("route_tables")
        return self.tables.get(vpc_id, [])

    def internet_gateway_ids(self, vpc_id: str) -> list[str]:
        """Attached internet gateways."""
        self._read("internet_gateway_ids")
        return list(self.gateways.get(vpc_id, []))

    def nat_gateways(self, vpc_id: str) -> list[NatGateway]:
        """NAT gateways of the VPC."""
        self._read("nat_gateways")
        return self.nats.get(vpc_id, [])

    def vpc_endpoints(self, vpc_id: str, service_name: str) -> list[VpcEndpoint]:
        """Endpoints of the VPC for a service."""
        self._read("vpc_endpoints")
        return [e for e in self.endpoints if e.vpc_id == vpc_id and e.service_name == service_name]

    def security_groups(self, group_ids: tuple[str, ...]) -> list[SecurityGroup]:
        """The given security groups."""
        if not group_ids:
            return []
        self._read("security_groups")
        return [g for g in self.groups if g.id in group_ids]

    def tagged_functions(self, key: str, value: str) -> list[Function]:
        """Functions carrying the tag."""
        self._read("tagged_functions")
        return [f for f in self.functions if f.tags.get(key) == value]

    def role(self, role_name: str) -> Role | None:
        """A role by name."""
        self._read("role")
        return self.roles.get(role_name)

    def role_policies(self, role_name: str) -> list[NamedPolicy]:
        """A role's identity policies."""
        self._read("role_policies")
        return self.policies.get(role_name, [])

    def invocation_logging(self) -> InvocationLogging | None:
        """The Region's logging configuration."""
        self._read("invocation_logging")
        return self.logging

    def log_group(self, name: str) -> LogGroup | None:
        """A log group by name."""
        self._read("log_group")
        return self.log_groups.get(name)

    def log_data_protection_policy(self, name: str) -> Document | None:
        """A log group's data protection policy."""
        self._read("log_data_protection_policy")
        return self.data_protection.get(name)

    def kms_key(self, key_ref: str) -> KmsKey | None:
        """A key by any reference."""
        self._read("kms_key")
        return self.keys.get(key_ref)

    def bucket_encryption(self, bucket: str) -> BucketEncryption:
        """A bucket's default encryption."""
        self._read("bucket_encryption")
        return self.buckets.get(bucket, BucketEncryption(bucket, None, None))

    def bedrock_events(self, since: dt.datetime) -> list[TrailEvent]:
        """Bedrock CloudTrail events since a time."""
        self._read("bedrock_events")
        return [e for e in self.events if e.time >= since]

    def on_demand_models(self) -> list[FoundationModel]:
        """Models on demand in the Region."""
        self._read("on_demand_models")
        return list(self.models)


@dataclass
class FakeAws(FakeRag, FakeFinops, FakeCore):
    """Every AWS view in memory: the fake of `LiveAws`, one mixin per area."""

    read_actions: ClassVar[Mapping[str, tuple[str, ...]]] = {**READ_ACTIONS, **RAG_READS, **FINOPS_READS}
