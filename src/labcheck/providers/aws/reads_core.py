"""Live reads of the core AWS view (view.py): network, Lambda, IAM, invocation logging, KMS, S3, CloudTrail.

Every read goes through `AwsReader` (reader.py), which makes it read-only, memoised and error-translated.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from labcheck.errors import ProviderError
from labcheck.providers.aws.reader import AwsReader, policy_document, tags_from_list
from labcheck.providers.aws.view import (
    BucketEncryption,
    Document,
    FoundationModel,
    Function,
    IngressRule,
    InvocationLogging,
    KmsKey,
    LogGroup,
    NamedPolicy,
    NatGateway,
    Role,
    Route,
    RouteTable,
    SecurityGroup,
    Subnet,
    TrailEvent,
    Vpc,
    VpcEndpoint,
)


class CoreReads(AwsReader):
    """The reads of `AwsView` over boto3."""

    # --- EC2 ------------------------------------------------------------------------------------

    def tagged_vpcs(self, key: str, value: str) -> list[Vpc]:
        """VPCs carrying the tag key=value."""
        found = self._pages("ec2", "describe_vpcs", "Vpcs", Filters=[{"Name": f"tag:{key}", "Values": [value]}])
        return [_vpc(v) for v in found]

    def vpc_dns(self, vpc_id: str) -> tuple[bool, bool]:
        """(enableDnsSupport, enableDnsHostnames) of a VPC."""
        support = self._call("ec2", "describe_vpc_attribute", VpcId=vpc_id, Attribute="enableDnsSupport")
        hostnames = self._call("ec2", "describe_vpc_attribute", VpcId=vpc_id, Attribute="enableDnsHostnames")
        return bool(support["EnableDnsSupport"]["Value"]), bool(hostnames["EnableDnsHostnames"]["Value"])

    def subnets(self, subnet_ids: tuple[str, ...]) -> list[Subnet]:
        """The given subnets."""
        if not subnet_ids:
            return []
        found = self._pages("ec2", "describe_subnets", "Subnets", SubnetIds=sorted(subnet_ids))
        return [
            Subnet(s["SubnetId"], s["VpcId"], s["AvailabilityZone"], bool(s.get("MapPublicIpOnLaunch"))) for s in found
        ]

    def route_tables(self, vpc_id: str) -> list[RouteTable]:
        """Every route table of a VPC."""
        found = self._pages("ec2", "describe_route_tables", "RouteTables", Filters=_vpc_filter(vpc_id))
        return [_route_table(t) for t in found]

    def internet_gateway_ids(self, vpc_id: str) -> list[str]:
        """Internet gateways attached to a VPC."""
        found = self._pages(
            "ec2",
            "describe_internet_gateways",
            "InternetGateways",
            Filters=[{"Name": "attachment.vpc-id", "Values": [vpc_id]}],
        )
        return [g["InternetGatewayId"] for g in found]

    def nat_gateways(self, vpc_id: str) -> list[NatGateway]:
        """NAT gateways in a VPC."""
        found = self._pages("ec2", "describe_nat_gateways", "NatGateways", Filters=_vpc_filter(vpc_id))
        return [
            NatGateway(n["NatGatewayId"], str(n.get("State", "")).lower(), n.get("ConnectivityType", "public"))
            for n in found
        ]

    def vpc_endpoints(self, vpc_id: str, service_name: str) -> list[VpcEndpoint]:
        """Endpoints of a VPC for one service."""
        filters = [*_vpc_filter(vpc_id), {"Name": "service-name", "Values": [service_name]}]
        found = self._pages("ec2", "describe_vpc_endpoints", "VpcEndpoints", Filters=filters)
        return [_endpoint(e) for e in found]

    def security_groups(self, group_ids: tuple[str, ...]) -> list[SecurityGroup]:
        """The given security groups."""
        if not group_ids:
            return []
        found = self._pages("ec2", "describe_security_groups", "SecurityGroups", GroupIds=sorted(group_ids))
        return [
            SecurityGroup(g["GroupId"], g.get("VpcId", ""), tuple(_ingress(p) for p in g.get("IpPermissions", [])))
            for g in found
        ]

    # --- Lambda and IAM -------------------------------------------------------------------------

    def tagged_functions(self, key: str, value: str) -> list[Function]:
        """Lambda functions carrying the tag key=value."""
        functions = []
        for f in self._pages("lambda", "list_functions", "Functions"):
            tags = self._call("lambda", "list_tags", Resource=f["FunctionArn"]).get("Tags", {})
            if tags.get(key) == value:
                functions.append(self._function(f["FunctionName"], tags))
        return functions

    def _function(self, name: str, tags: dict[str, str]) -> Function:
        # ListFunctions omits nothing we need, but GetFunctionConfiguration is the documented source.
        config = self._call("lambda", "get_function_configuration", FunctionName=name)
        vpc = config.get("VpcConfig") or {}
        return Function(
            name=config["FunctionName"],
            arn=config["FunctionArn"],
            role_arn=config["Role"],
            subnet_ids=tuple(vpc.get("SubnetIds") or ()),
            security_group_ids=tuple(vpc.get("SecurityGroupIds") or ()),
            tags=tags,
        )

    def role(self, role_name: str) -> Role | None:
        """An IAM role (None: no such role)."""
        found = self.missing_as_none(("NoSuchEntity",), lambda: self._call("iam", "get_role", RoleName=role_name))
        if found is None:
            return None
        role = found["Role"]
        return Role(role["RoleName"], role["Arn"], policy_document(role.get("AssumeRolePolicyDocument")))

    def role_policies(self, role_name: str) -> list[NamedPolicy]:
        """A role's effective identity policies: inline and attached managed (default versions)."""
        policies = []
        for name in self._pages("iam", "list_role_policies", "PolicyNames", RoleName=role_name):
            inline = self._call("iam", "get_role_policy", RoleName=role_name, PolicyName=name)
            policies.append(NamedPolicy(name, policy_document(inline["PolicyDocument"])))
        for attached in self._pages("iam", "list_attached_role_policies", "AttachedPolicies", RoleName=role_name):
            arn = attached["PolicyArn"]
            version = self._call("iam", "get_policy", PolicyArn=arn)["Policy"]["DefaultVersionId"]
            document = self._call("iam", "get_policy_version", PolicyArn=arn, VersionId=version)
            policies.append(NamedPolicy(arn, policy_document(document["PolicyVersion"]["Document"])))
        return policies

    # --- Bedrock, logs, KMS, S3, CloudTrail -----------------------------------------------------

    def invocation_logging(self) -> InvocationLogging | None:
        """The Region's invocation logging configuration; a missing and an empty loggingConfig both mean None."""
        config = self._call("bedrock", "get_model_invocation_logging_configuration").get("loggingConfig")
        if not config:
            return None
        cloudwatch = config.get("cloudWatchConfig") or {}
        large = cloudwatch.get("largeDataDeliveryS3Config") or {}
        return InvocationLogging(
            log_group_name=cloudwatch.get("logGroupName") or None,
            role_arn=cloudwatch.get("roleArn") or None,
            large_data_bucket=large.get("bucketName") or None,
            s3_bucket=(config.get("s3Config") or {}).get("bucketName") or None,
            text_delivery=bool(config.get("textDataDeliveryEnabled")),
        )

    def log_group(self, name: str) -> LogGroup | None:
        """A log group by exact name."""
        for group in self._pages("logs", "describe_log_groups", "logGroups", logGroupNamePrefix=name):
            if group["logGroupName"] == name:
                return LogGroup(
                    name=name,
                    arn=group.get("arn", ""),
                    kms_key_id=group.get("kmsKeyId") or None,
                    retention_days=group.get("retentionInDays"),
                    data_protection_status=group.get("dataProtectionStatus"),
                )
        return None

    def log_data_protection_policy(self, name: str) -> Document | None:
        """The data protection policy of a log group (None: none attached)."""
        found = self.missing_as_none(
            ("ResourceNotFoundException",),
            lambda: self._call("logs", "get_data_protection_policy", logGroupIdentifier=name),
        )
        text = (found or {}).get("policyDocument")
        return policy_document(text) if text else None

    def kms_key(self, key_ref: str) -> KmsKey | None:
        """A KMS key by id, ARN, alias name or alias ARN (None: no such key)."""
        found = self.missing_as_none(("NotFoundException",), lambda: self._call("kms", "describe_key", KeyId=key_ref))
        if found is None:
            return None
        meta = found["KeyMetadata"]
        spec = meta.get("KeySpec", "SYMMETRIC_DEFAULT")
        rotation = None
        if spec == "SYMMETRIC_DEFAULT" and meta.get("KeyManager") == "CUSTOMER":
            rotation = bool(self._call("kms", "get_key_rotation_status", KeyId=meta["KeyId"])["KeyRotationEnabled"])
        return KmsKey(meta["KeyId"], meta["Arn"], meta.get("KeyManager", ""), meta.get("KeyState", ""), spec, rotation)

    def bucket_encryption(self, bucket: str) -> BucketEncryption:
        """A bucket's default encryption; no explicit configuration gives None fields."""
        found = self.missing_as_none(
            ("ServerSideEncryptionConfigurationNotFoundError",),
            lambda: self._call("s3", "get_bucket_encryption", Bucket=bucket),
        )
        rules = (found or {}).get("ServerSideEncryptionConfiguration", {}).get("Rules", [])
        default = rules[0].get("ApplyServerSideEncryptionByDefault", {}) if rules else {}
        return BucketEncryption(bucket, default.get("SSEAlgorithm"), default.get("KMSMasterKeyID"))

    def bedrock_events(self, since: dt.datetime) -> list[TrailEvent]:
        """CloudTrail management events from bedrock.amazonaws.com since a time."""
        attributes = [{"AttributeKey": "EventSource", "AttributeValue": "bedrock.amazonaws.com"}]
        found = self._pages("cloudtrail", "lookup_events", "Events", LookupAttributes=attributes, StartTime=since)
        return [_trail_event(e) for e in found]

    def on_demand_models(self) -> list[FoundationModel]:
        """Foundation models invocable on demand in the Region."""
        found = self._call("bedrock", "list_foundation_models", byInferenceType="ON_DEMAND")
        return [
            FoundationModel(m["modelId"], (m.get("modelLifecycle") or {}).get("status", "ACTIVE"))
            for m in found.get("modelSummaries", [])
        ]


def _vpc_filter(vpc_id: str) -> list[dict[str, Any]]:
    return [{"Name": "vpc-id", "Values": [vpc_id]}]


def _vpc(raw: dict[str, Any]) -> Vpc:
    blocks = [
        a["CidrBlock"]
        for a in raw.get("CidrBlockAssociationSet", [])
        if a.get("CidrBlockState", {}).get("State", "associated") == "associated"
    ]
    return Vpc(raw["VpcId"], tuple(blocks or [raw["CidrBlock"]]), tags_from_list(raw.get("Tags")))


def _route_table(raw: dict[str, Any]) -> RouteTable:
    associations = raw.get("Associations", [])
    routes = tuple(
        Route(
            destination=r.get("DestinationCidrBlock")
            or r.get("DestinationIpv6CidrBlock")
            or r.get("DestinationPrefixListId")
            or "",
            target=next((r[k] for k in _ROUTE_TARGETS if r.get(k)), ""),
            state=str(r.get("State", "active")).lower(),
        )
        for r in raw.get("Routes", [])
    )
    return RouteTable(
        id=raw["RouteTableId"],
        main=any(a.get("Main") for a in associations),
        subnet_ids=tuple(a["SubnetId"] for a in associations if a.get("SubnetId")),
        routes=routes,
    )


_ROUTE_TARGETS = (
    "GatewayId",
    "NatGatewayId",
    "EgressOnlyInternetGatewayId",
    "TransitGatewayId",
    "VpcPeeringConnectionId",
    "NetworkInterfaceId",
    "InstanceId",
    "CarrierGatewayId",
    "LocalGatewayId",
    "CoreNetworkArn",
)


def _endpoint(raw: dict[str, Any]) -> VpcEndpoint:
    return VpcEndpoint(
        id=raw["VpcEndpointId"],
        vpc_id=raw["VpcId"],
        service_name=raw["ServiceName"],
        endpoint_type=raw.get("VpcEndpointType", ""),
        state=str(raw.get("State", "")).lower(),
        service_region=raw.get("ServiceRegion") or None,
        private_dns_enabled=bool(raw.get("PrivateDnsEnabled")),
        subnet_ids=tuple(raw.get("SubnetIds", [])),
        security_group_ids=tuple(g["GroupId"] for g in raw.get("Groups", [])),
        policy=policy_document(raw.get("PolicyDocument")),
    )


def _ingress(raw: dict[str, Any]) -> IngressRule:
    return IngressRule(
        protocol=str(raw.get("IpProtocol", "")).lower(),
        from_port=raw.get("FromPort"),
        to_port=raw.get("ToPort"),
        ipv4_cidrs=tuple(r["CidrIp"] for r in raw.get("IpRanges", [])),
        ipv6_cidrs=tuple(r["CidrIpv6"] for r in raw.get("Ipv6Ranges", [])),
        prefix_list_ids=tuple(p["PrefixListId"] for p in raw.get("PrefixListIds", [])),
        group_ids=tuple(p["GroupId"] for p in raw.get("UserIdGroupPairs", [])),
    )


def _trail_event(raw: dict[str, Any]) -> TrailEvent:
    try:
        body = json.loads(raw.get("CloudTrailEvent") or "{}")
    except ValueError:
        raise ProviderError("a CloudTrail event is not valid JSON") from None
    issuer = body.get("userIdentity", {}).get("sessionContext", {}).get("sessionIssuer", {})
    return TrailEvent(
        name=body.get("eventName", raw.get("EventName", "")),
        time=raw["EventTime"],
        vpc_endpoint_id=body.get("vpcEndpointId"),
        session_issuer_arn=issuer.get("arn"),
    )
