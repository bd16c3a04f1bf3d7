"""The live AWS adapter: implements `AwsView` with boto3. The only labcheck module that calls AWS.

Three guarantees hold for every request, because every request goes through `_call`:
- read-only: a botocore `before-call` hook refuses any operation that is not a Describe/Get/List/Lookup/
  BatchGet before it is signed or sent;
- each distinct request is made at most once per run (results and errors are memoised), so twelve checks
  reading the same endpoint cost one DescribeVpcEndpoints;
- SDK errors become labcheck's: a denial (by code, or by HTTP 401/403, since moto's JSON services send
  XML errors botocore cannot parse) names the IAM action; throttling after the bounded retries, an
  unreachable endpoint or an unimplemented API become ProviderError, which the runner reports as ERROR.
"""

from __future__ import annotations

import datetime as dt
import json
import urllib.parse
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from labcheck.errors import (
    CredentialsError,
    PermissionDeniedError,
    ProviderError,
    ReadOnlyViolationError,
    ThrottledError,
)
from labcheck.providers.aws.session import AwsOptions, client_config, new_session
from labcheck.providers.aws.view import (
    BucketEncryption,
    Document,
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

if TYPE_CHECKING:
    import boto3

READ_PREFIXES = ("Describe", "Get", "List", "Lookup", "BatchGet")

# Operations whose IAM action is not "<signing name>:<operation name>".
_ACTION_EXCEPTIONS = {
    ("s3", "GetBucketEncryption"): "s3:GetEncryptionConfiguration",
    ("s3", "GetPublicAccessBlock"): "s3:GetBucketPublicAccessBlock",
    ("budgets", "DescribeBudgets"): "budgets:ViewBudget",
    ("budgets", "DescribeNotificationsForBudget"): "budgets:ViewBudget",
    ("budgets", "DescribeSubscribersForNotification"): "budgets:ViewBudget",
}
# Signing names that differ from the service's IAM prefix (bedrock-agent signs as bedrock, aoss as aoss: both match).
_IAM_PREFIXES = {"monitoring": "cloudwatch", "tagging": "tag"}
_DENIED_CODES = {
    "AccessDenied",
    "AccessDeniedException",
    "UnauthorizedOperation",
    "AuthorizationError",
    "AuthFailure",
    "UnrecognizedClientException",
    "InvalidClientTokenId",
    "ExpiredToken",
    "ExpiredTokenException",
}
_THROTTLE_CODES = {
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottled",
    "RequestThrottledException",
    "RequestLimitExceeded",
    "TooManyRequestsException",
    "EC2ThrottledException",
    "SlowDown",  # S3, with HTTP 503
}


def iam_action(signing_name: str, operation: str) -> str:
    """The IAM action that authorises an API operation."""
    prefix = _IAM_PREFIXES.get(signing_name, signing_name)
    return _ACTION_EXCEPTIONS.get((signing_name, operation), f"{prefix}:{operation}")


def _refuse_writes(model: Any, **_: Any) -> None:
    if not model.name.startswith(READ_PREFIXES):
        raise ReadOnlyViolationError(f"labcheck refused to send {model.name}: it only reads")


def _document(value: Any) -> Document:
    """IAM returns URL-encoded JSON where botocore has not decoded it already; EC2 returns JSON text."""
    if isinstance(value, Mapping):
        return value
    if not value:
        return {}
    text = str(value)
    try:
        parsed = json.loads(text if text.lstrip().startswith("{") else urllib.parse.unquote(text))
    except ValueError as error:
        raise ProviderError(f"a policy document is not valid JSON: {error}") from None
    if not isinstance(parsed, dict):
        raise ProviderError("a policy document is not a JSON object")
    return parsed


def _tags(items: list[dict[str, str]] | None) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in items or []}


class LiveAws:
    """`AwsView` over boto3 for one account and Region."""

    def __init__(
        self,
        session: boto3.Session,
        options: AwsOptions,
        credentials: tuple[str, str, str | None] | None = None,
        region: str | None = None,
    ) -> None:
        # `credentials` and `region` let cohort grading open many accounts from one shared session, so the
        # service models load once: (access key, secret, session token) of an assumed role, and its Region.
        self._session = session
        self._config = client_config(options.max_attempts)
        self._clients: dict[str, Any] = {}
        self._memo: dict[str, Any] = {}
        self._region: str = region or session.region_name
        self._keys: dict[str, Any] = {}
        if credentials is not None:
            key, secret, token = credentials
            self._keys = {"aws_access_key_id": key, "aws_secret_access_key": secret, "aws_session_token": token}
        try:
            identity = self._call("sts", "get_caller_identity")
        except PermissionDeniedError as error:  # no policy can deny GetCallerIdentity: the credentials were refused
            raise CredentialsError(f"AWS refused the credentials ({error.code or 'denied'})") from None
        except ProviderError as error:  # the runner maps ProviderError per check; opening has no check to fail
            raise CredentialsError(f"could not open the AWS account: {error}") from None
        self._account_id: str = identity["Account"]
        self.caller_arn: str = identity["Arn"]

    @classmethod
    def open(cls, options: AwsOptions) -> LiveAws:
        """Open the account the standard credential chain (or the profile) points at."""
        return cls(new_session(options), options)

    @property
    def account_id(self) -> str:
        """The account being graded."""
        return self._account_id

    @property
    def region(self) -> str:
        """The lab Region."""
        return self._region

    @property
    def identity(self) -> dict[str, str]:
        """What a report shows about the account."""
        return {"cloud": "aws", "account": self._account_id, "region": self._region}

    # --- plumbing -----------------------------------------------------------------------------

    def client(self, service: str) -> Any:
        """The read-only client of a service (one per service per run)."""
        if service not in self._clients:
            client = self._session.client(  # type: ignore[call-overload]
                service, config=self._config, region_name=self._region, **self._keys
            )
            # First among the most specific handlers: botocore runs "before-call.*.*" handlers (a Stubber's
            # canned answer, for one) ahead of plain "before-call" ones, and stops at the first answer.
            client.meta.events.register_first("before-call.*.*", _refuse_writes)
            self._clients[service] = client
        return self._clients[service]

    def _call(self, service: str, operation: str, **params: Any) -> Any:
        return self._memoised(service, operation, params, lambda c: getattr(c, operation)(**params))

    def _pages(self, service: str, operation: str, key: str, **params: Any) -> list[Any]:
        def collect(c: Any) -> list[Any]:
            return [item for page in c.get_paginator(operation).paginate(**params) for item in page.get(key, [])]

        return list(self._memoised(service, "pages:" + operation, params, collect))

    def _memoised(self, service: str, operation: str, params: Mapping[str, Any], run: Callable[[Any], Any]) -> Any:
        memo_key = json.dumps([service, operation, params], sort_keys=True, default=str)
        if memo_key not in self._memo:
            try:
                with self._translated(service, operation.removeprefix("pages:")):
                    self._memo[memo_key] = run(self.client(service))
            except ProviderError as error:
                self._memo[memo_key] = error
        outcome = self._memo[memo_key]
        if isinstance(outcome, ProviderError):
            raise outcome
        return outcome

    @contextmanager
    def _translated(self, service: str, operation: str) -> Iterator[None]:
        from botocore.exceptions import (
            ClientError,
            ConnectionError,
            CredentialRetrievalError,
            InvalidConfigError,
            NoCredentialsError,
            PartialCredentialsError,
            ReadTimeoutError,
            SSOError,
            TokenRetrievalError,
        )

        client = self.client(service)
        op_name = client.meta.method_to_api_mapping.get(operation, operation)
        action = iam_action(client.meta.service_model.signing_name, op_name)
        try:
            yield
        except ClientError as error:
            raise _translate(error, action) from None
        except NoCredentialsError:
            raise CredentialsError("no AWS credentials found") from None
        except (  # deferred credentials (SSO, credential_process, assume-role) fail at the first request
            CredentialRetrievalError,
            PartialCredentialsError,
            SSOError,
            TokenRetrievalError,
            InvalidConfigError,
        ) as error:
            raise CredentialsError(f"AWS credentials: {error}") from None
        except (ConnectionError, ReadTimeoutError) as error:
            raise ProviderError(f"{action}: could not reach AWS ({type(error).__name__})") from None
        except NotImplementedError:  # moto in-process, for an API it does not implement
            raise ProviderError(f"{action} is not implemented by this endpoint") from None

    def missing_as_none(self, codes: tuple[str, ...], read: Callable[[], Any]) -> Any:
        """Run a read; a ProviderError whose AWS error code is in `codes` means "absent" and gives None."""
        try:
            return read()
        except ProviderError as error:
            if error.code in codes:
                return None
            raise

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
        return Role(role["RoleName"], role["Arn"], _document(role.get("AssumeRolePolicyDocument")))

    def role_policies(self, role_name: str) -> list[NamedPolicy]:
        """A role's effective identity policies: inline and attached managed (default versions)."""
        policies = []
        for name in self._pages("iam", "list_role_policies", "PolicyNames", RoleName=role_name):
            inline = self._call("iam", "get_role_policy", RoleName=role_name, PolicyName=name)
            policies.append(NamedPolicy(name, _document(inline["PolicyDocument"])))
        for attached in self._pages("iam", "list_attached_role_policies", "AttachedPolicies", RoleName=role_name):
            arn = attached["PolicyArn"]
            version = self._call("iam", "get_policy", PolicyArn=arn)["Policy"]["DefaultVersionId"]
            document = self._call("iam", "get_policy_version", PolicyArn=arn, VersionId=version)
            policies.append(NamedPolicy(arn, _document(document["PolicyVersion"]["Document"])))
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
        return _document(text) if text else None

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


def _translate(error: Any, action: str) -> ProviderError:
    details = error.response.get("Error", {})
    code = str(details.get("Code", ""))
    status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    if status in (401, 403) or code in _DENIED_CODES:
        return PermissionDeniedError(action, code)
    if status == 429 or code in _THROTTLE_CODES:
        return ThrottledError(f"{action}: still throttled after retries ({code})", code)
    return ProviderError(f"{action} failed: {code or status}", code)


def _vpc_filter(vpc_id: str) -> list[dict[str, Any]]:
    return [{"Name": "vpc-id", "Values": [vpc_id]}]


def _vpc(raw: dict[str, Any]) -> Vpc:
    blocks = [
        a["CidrBlock"]
        for a in raw.get("CidrBlockAssociationSet", [])
        if a.get("CidrBlockState", {}).get("State", "associated") == "associated"
    ]
    return Vpc(raw["VpcId"], tuple(blocks or [raw["CidrBlock"]]), _tags(raw.get("Tags")))


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
        policy=_document(raw.get("PolicyDocument")),
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
