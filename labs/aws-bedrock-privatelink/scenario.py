"""The lab's architecture in a mock AWS account: the reference solution and named variants of it.

`deploy` mirrors terraform/aws-bedrock-privatelink/solution with boto3 calls, one knob per graded
decision. A variant changes one knob: a breakage names the check it must fail; an alternative is another
valid design that must pass. The demo, the end-to-end tests and the benchmarks all deploy from here.
"""

from __future__ import annotations

import dataclasses
import io
import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

LAB_ID = "aws-bedrock-privatelink"
CIDR = "10.20.0.0/16"
MODEL_ID = "anthropic.claude-3-haiku-20240307-v1:0"
LOG_GROUP = "/aws/bedrock/invocations"
TAGS = [{"Key": "labcheck-lab", "Value": LAB_ID}]


@dataclass(frozen=True)
class Design:
    """The graded decisions of the architecture; the defaults are the reference solution."""

    dns_hostnames: bool = True
    public_subnets: bool = False
    internet_gateway: bool = False
    nat_gateway: bool = False
    function_in_vpc: bool = True
    endpoint: bool = True
    endpoint_azs: int = 2
    private_dns: bool = True
    endpoint_ingress: str = "vpc-cidr"  # vpc-cidr | app-sg | anywhere
    endpoint_policy: str = "account-condition"  # account-condition | role-principal | full-access
    role_guard: str = "allow-condition"  # allow-condition | deny-fence | none
    role_resources: str = "approved"  # approved | anything | geo-profile
    region_deny: bool = True
    managed_policy: bool = False  # the app permissions as an attached managed policy instead of inline
    logging: bool = True
    text_delivery: bool = True
    log_group_cmk: bool = True
    key_rotation: bool = True
    logging_trust_source_account: bool = True


@dataclass(frozen=True)
class Variant:
    """A named design and what labcheck must say about it."""

    design: Design
    description: str
    breaks: str | None = None  # the check id this breakage must fail; None: a valid design that passes


REFERENCE = Design()


def _change(description: str, breaks: str | None = None, **changes: Any) -> Variant:
    return Variant(dataclasses.replace(REFERENCE, **changes), description, breaks)


VARIANTS: dict[str, Variant] = {
    "reference": Variant(REFERENCE, "the reference solution"),
    "deny-fence": _change("a Deny unless aws:SourceVpce instead of an Allow condition", role_guard="deny-fence"),
    "sg-from-app-sg": _change("endpoint ingress from the app's security group", endpoint_ingress="app-sg"),
    "role-principal": _change("endpoint policy naming the app role as principal", endpoint_policy="role-principal"),
    "managed-policy": _change("app permissions in an attached managed policy", managed_policy=True),
    "dns-hostnames-off": _change("VPC DNS hostnames off", "vpc-dns-enabled", dns_hostnames=False),
    "public-subnets": _change("subnets that map public IPs", "app-runs-in-private-subnets", public_subnets=True),
    "function-outside-vpc": _change(
        "app function outside the VPC", "app-runs-in-private-subnets", function_in_vpc=False
    ),
    "internet-gateway": _change("an internet gateway attached", "vpc-no-internet-egress", internet_gateway=True),
    "nat-gateway": _change("a public NAT gateway", "vpc-no-internet-egress", nat_gateway=True),
    "no-endpoint": _change("no bedrock-runtime endpoint", "bedrock-runtime-interface-endpoint", endpoint=False),
    "endpoint-one-az": _change("endpoint in one AZ", "bedrock-runtime-interface-endpoint", endpoint_azs=1),
    "private-dns-off": _change("endpoint private DNS off", "endpoint-private-dns", private_dns=False),
    "sg-open": _change("endpoint open to 0.0.0.0/0", "endpoint-sg-443-from-vpc-only", endpoint_ingress="anywhere"),
    "endpoint-full-access": _change(
        "the default full-access endpoint policy",
        "endpoint-policy-least-privilege",
        endpoint_policy="full-access",
    ),
    "role-unguarded": _change("app role without aws:SourceVpce", "app-role-requires-sourcevpce", role_guard="none"),
    "role-any-model": _change("app role on Resource *", "app-role-approved-models-only", role_resources="anything"),
    "no-region-deny": _change("no aws:RequestedRegion pin", "region-pinned", region_deny=False),
    "geo-profile": _change("an eu. cross-Region inference profile", "region-pinned", role_resources="geo-profile"),
    "logging-off": _change("no invocation logging", "invocation-logging-enabled", logging=False),
    "text-off": _change("invocation logging without text", "invocation-logging-enabled", text_delivery=False),
    "log-group-no-cmk": _change("log group without a CMK", "invocation-logs-encrypted-cmk", log_group_cmk=False),
    "rotation-off": _change("CMK rotation off", "invocation-logs-encrypted-cmk", key_rotation=False),
    "trust-no-source-account": _change(
        "logging role trust without aws:SourceAccount",
        "logging-role-confused-deputy",
        logging_trust_source_account=False,
    ),
}

DEMO_BREAKAGE = "private-dns-off"


def deploy(client: Callable[[str], Any], variant: str = "reference") -> None:
    """Create the variant's architecture in the (mock) account the client factory writes to."""
    design = VARIANTS[variant].design
    ec2 = client("ec2")
    region = ec2.meta.region_name
    account = client("sts").get_caller_identity()["Account"]
    vpc_id, subnets = _network(ec2, design, region)
    app_sg = ec2.create_security_group(GroupName="app", Description="app", VpcId=vpc_id)["GroupId"]
    endpoint_id = _endpoint(ec2, design, region, account, vpc_id, subnets, app_sg) if design.endpoint else "vpce-none"
    role_arn = _app_role(client("iam"), design, region, account, endpoint_id)
    _function(client("lambda"), design, role_arn, subnets, app_sg)
    if design.logging:
        _logging(client, design, region, account)


def _network(ec2: Any, design: Design, region: str) -> tuple[str, list[str]]:
    vpc_id = ec2.create_vpc(CidrBlock=CIDR, TagSpecifications=[{"ResourceType": "vpc", "Tags": TAGS}])["Vpc"]["VpcId"]
    ec2.modify_vpc_attribute(VpcId=vpc_id, EnableDnsHostnames={"Value": design.dns_hostnames})
    table = ec2.create_route_table(VpcId=vpc_id)["RouteTable"]["RouteTableId"]
    subnets = []
    for index, zone in enumerate("ab"):
        subnet = ec2.create_subnet(VpcId=vpc_id, CidrBlock=f"10.20.{index}.0/24", AvailabilityZone=region + zone)
        subnet_id = subnet["Subnet"]["SubnetId"]
        ec2.modify_subnet_attribute(SubnetId=subnet_id, MapPublicIpOnLaunch={"Value": design.public_subnets})
        ec2.associate_route_table(RouteTableId=table, SubnetId=subnet_id)
        subnets.append(subnet_id)
    if design.internet_gateway:
        gateway = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
        ec2.attach_internet_gateway(InternetGatewayId=gateway, VpcId=vpc_id)
    if design.nat_gateway:
        ec2.create_nat_gateway(
            SubnetId=subnets[0],
            ConnectivityType="public",
            AllocationId=ec2.allocate_address()["AllocationId"],
        )
    return vpc_id, subnets


def _model_arns(region: str) -> list[str]:
    return [f"arn:aws:bedrock:{region}::foundation-model/{MODEL_ID}"]


def _endpoint_policy(design: Design, region: str, account: str) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": "*",
        "Action": ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"],
        "Resource": _model_arns(region),
        "Condition": {"StringEquals": {"aws:PrincipalAccount": account}},
    }
    if design.endpoint_policy == "role-principal":
        statement.pop("Condition")
        statement["Principal"] = {"AWS": f"arn:aws:iam::{account}:role/labcheck-app"}
    if design.endpoint_policy == "full-access":
        statement = {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}
    return {"Version": "2012-10-17", "Statement": [statement]}


def _endpoint(ec2: Any, design: Design, region: str, account: str, vpc_id: str, subnets: list[str], app_sg: str) -> str:
    group = ec2.create_security_group(GroupName="vpce", Description="bedrock-runtime endpoint", VpcId=vpc_id)["GroupId"]
    source: dict[str, Any] = {"IpRanges": [{"CidrIp": CIDR}]}
    if design.endpoint_ingress == "app-sg":
        source = {"UserIdGroupPairs": [{"GroupId": app_sg}]}
    if design.endpoint_ingress == "anywhere":
        source = {"IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
    ec2.authorize_security_group_ingress(
        GroupId=group, IpPermissions=[{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, **source}]
    )
    endpoint = ec2.create_vpc_endpoint(
        VpcId=vpc_id,
        VpcEndpointType="Interface",
        ServiceName=f"com.amazonaws.{region}.bedrock-runtime",
        SubnetIds=subnets[: design.endpoint_azs],
        SecurityGroupIds=[group],
        PrivateDnsEnabled=design.private_dns,
        PolicyDocument=json.dumps(_endpoint_policy(design, region, account)),
    )
    return str(endpoint["VpcEndpoint"]["VpcEndpointId"])


def _app_permissions(design: Design, region: str, account: str, endpoint_id: str) -> dict[str, Any]:
    resources: Any = _model_arns(region)
    if design.role_resources == "anything":
        resources = "*"
    if design.role_resources == "geo-profile":
        resources = [*resources, f"arn:aws:bedrock:{region}:{account}:inference-profile/eu.{MODEL_ID}"]
    invoke: dict[str, Any] = {
        "Sid": "InvokeApprovedModels",
        "Effect": "Allow",
        "Action": ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"],
        "Resource": resources,
    }
    if design.role_guard == "allow-condition":
        invoke["Condition"] = {"StringEquals": {"aws:SourceVpce": endpoint_id}}
    statements = [invoke]
    if design.role_guard == "deny-fence":
        fence = {"StringNotEquals": {"aws:sourceVpce": endpoint_id}}  # key case differs on purpose: keys ignore case
        statements.append(
            {
                "Sid": "OnlyThroughEndpoint",
                "Effect": "Deny",
                "Action": "bedrock:*",
                "Resource": "*",
                "Condition": fence,
            }
        )
    if design.region_deny:
        pin = {"StringNotEquals": {"aws:RequestedRegion": [region]}}
        statements.append({"Sid": "PinRegion", "Effect": "Deny", "Action": "*", "Resource": "*", "Condition": pin})
    return {"Version": "2012-10-17", "Statement": statements}


def _trust(service: str, condition: dict[str, Any] | None = None) -> str:
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": {"Service": service},
        "Action": "sts:AssumeRole",
    }
    if condition:
        statement["Condition"] = condition
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def _app_role(iam: Any, design: Design, region: str, account: str, endpoint_id: str) -> str:
    role = iam.create_role(RoleName="labcheck-app", AssumeRolePolicyDocument=_trust("lambda.amazonaws.com"))["Role"]
    document = json.dumps(_app_permissions(design, region, account, endpoint_id))
    if design.managed_policy:
        arn = iam.create_policy(PolicyName="labcheck-app-bedrock", PolicyDocument=document)["Policy"]["Arn"]
        iam.attach_role_policy(RoleName="labcheck-app", PolicyArn=arn)
    else:
        iam.put_role_policy(RoleName="labcheck-app", PolicyName="bedrock", PolicyDocument=document)
    return str(role["Arn"])


def _function(lam: Any, design: Design, role_arn: str, subnets: list[str], app_sg: str) -> None:
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("index.py", "def handler(event, context):\n    return {}\n")
    extra: dict[str, Any] = {}
    if design.function_in_vpc:
        extra["VpcConfig"] = {"SubnetIds": subnets, "SecurityGroupIds": [app_sg]}
    lam.create_function(
        FunctionName="labcheck-app",
        Runtime="python3.12",
        Role=role_arn,
        Handler="index.handler",
        Code={"ZipFile": code.getvalue()},
        Tags={"labcheck-lab": LAB_ID},
        **extra,
    )


def _logging(client: Callable[[str], Any], design: Design, region: str, account: str) -> None:
    kms, logs, iam = client("kms"), client("logs"), client("iam")
    key_id = kms.create_key(Description="bedrock invocation logs")["KeyMetadata"]["KeyId"]
    if design.key_rotation:
        kms.enable_key_rotation(KeyId=key_id)
    key_arn = f"arn:aws:kms:{region}:{account}:key/{key_id}"
    logs.create_log_group(logGroupName=LOG_GROUP, **({"kmsKeyId": key_arn} if design.log_group_cmk else {}))
    logs.put_retention_policy(logGroupName=LOG_GROUP, retentionInDays=90)
    condition: dict[str, Any] = {"ArnLike": {"aws:SourceArn": f"arn:aws:bedrock:{region}:{account}:*"}}
    if design.logging_trust_source_account:
        condition["StringEquals"] = {"aws:SourceAccount": account}
    role = iam.create_role(
        RoleName="labcheck-bedrock-logging",
        AssumeRolePolicyDocument=_trust("bedrock.amazonaws.com", condition),
    )
    client("bedrock").put_model_invocation_logging_configuration(
        loggingConfig={
            "cloudWatchConfig": {"logGroupName": LOG_GROUP, "roleArn": role["Role"]["Arn"]},
            "textDataDeliveryEnabled": design.text_delivery,
            "imageDataDeliveryEnabled": False,
            "embeddingDataDeliveryEnabled": False,
            "videoDataDeliveryEnabled": False,
        }
    )
