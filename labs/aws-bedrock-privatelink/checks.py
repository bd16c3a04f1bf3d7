"""The requirements of aws-bedrock-privatelink, as code.

Anchors (the VPC and the app function) are found by the labcheck-lab tag; the endpoint, subnets, route
tables, security groups, role and logging resources are reached from them by reference.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
from collections.abc import Mapping, Sequence

from labcheck.errors import AmbiguousAnchorError, BlockedError
from labcheck.model import (
    ADVISORY,
    REQUIRED,
    LabInputs,
    Verdict,
    check,
    failed,
    not_applicable,
    passed,
    pending,
)
from labcheck.providers.aws import rules
from labcheck.providers.aws.discovery import (
    FUNCTION_DISCOVERY,
    ROLE_POLICY_READS,
    VPC_DISCOVERY,
    lab_function,
    lab_vpc,
)
from labcheck.providers.aws.view import (
    AwsView,
    Document,
    Function,
    IngressRule,
    InvocationLogging,
    NamedPolicy,
    Route,
    RouteTable,
    Vpc,
    VpcEndpoint,
)

INVOKE = "bedrock:InvokeModel"
INVOKE_ACTIONS = ("bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream")
ENDPOINT_READS = (*VPC_DISCOVERY, "ec2:DescribeVpcEndpoints")
LOGGING_READS = ("bedrock:GetModelInvocationLoggingConfiguration",)
GEO_PREFIXES = ("us.", "eu.", "apac.", "jp.", "au.", "ca.", "us-gov.", "global.")
TRAFFIC_EVENTS = {"InvokeModel", "InvokeModelWithResponseStream", "Converse", "ConverseStream"}


# --- shared lookups ---------------------------------------------------------------------------------


def _service_name(aws: AwsView) -> str:
    return f"com.amazonaws.{aws.region}.bedrock-runtime"


def _endpoint(aws: AwsView, lab: LabInputs) -> VpcEndpoint:
    """The lab VPC's bedrock-runtime interface endpoint that the other checks grade."""
    vpc = lab_vpc(aws, lab)
    found = [e for e in aws.vpc_endpoints(vpc.id, _service_name(aws)) if e.endpoint_type == "Interface"]
    if len(found) > 1:
        found = [e for e in found if e.state == "available"] or found
    if not found:
        raise BlockedError("bedrock-runtime-interface-endpoint", f"no bedrock-runtime interface endpoint in {vpc.id}")
    if len(found) > 1:
        raise AmbiguousAnchorError("bedrock-runtime interface endpoint", lab.lab_id, [e.id for e in found])
    return found[0]


def _app_policies(aws: AwsView, app: Function) -> list[NamedPolicy]:
    return aws.role_policies(app.role_arn.rsplit("/", 1)[-1])


def _approved_arns(aws: AwsView, lab: LabInputs) -> set[str]:
    return {f"arn:aws:bedrock:{aws.region}::foundation-model/{m}" for m in lab.items("approved_model_ids")}


def _logging(aws: AwsView) -> InvocationLogging:
    config = aws.invocation_logging()
    if config is None or not (config.log_group_name or config.buckets):
        raise BlockedError("invocation-logging-enabled", f"no invocation logging destination in {aws.region}")
    return config


# --- network ----------------------------------------------------------------------------------------


@check(
    id="vpc-dns-enabled",
    title="The lab VPC has DNS support and DNS hostnames on",
    severity=REQUIRED,
    permissions=(*VPC_DISCOVERY, "ec2:DescribeVpcAttribute"),
    hint="Set enable_dns_hostnames = true (and keep enable_dns_support = true) on the aws_vpc: private DNS "
    "for interface endpoints needs both.",
)
def vpc_dns_enabled(aws: AwsView, lab: LabInputs) -> Verdict:
    """Private DNS of an interface endpoint is a private hosted zone; a VPC resolves it only with both flags."""
    vpc = lab_vpc(aws, lab)
    support, hostnames = aws.vpc_dns(vpc.id)
    off = [name for name, on in (("enableDnsSupport", support), ("enableDnsHostnames", hostnames)) if not on]
    if off:
        return failed(f"{vpc.id} has {' and '.join(off)} off", vpc.id)
    return passed(f"{vpc.id} has DNS support and DNS hostnames on", vpc.id)


def _effective_table(tables: list[RouteTable], subnet_id: str) -> RouteTable | None:
    """A subnet uses its explicitly associated table, else the VPC's main table."""
    explicit = [t for t in tables if subnet_id in t.subnet_ids]
    return next(iter(explicit or [t for t in tables if t.main]), None)


def _reaches_internet(route: Route) -> bool:
    if route.state == "blackhole" or route.target == "local" or route.target.startswith("vpce-"):
        return False
    if route.target.startswith(("igw-", "nat-", "eigw-")):
        return True
    return route.destination in ("0.0.0.0/0", "::/0")


@check(
    id="app-runs-in-private-subnets",
    title="The app function runs only in private subnets of the lab VPC",
    severity=REQUIRED,
    permissions=(*VPC_DISCOVERY, *FUNCTION_DISCOVERY, "ec2:DescribeSubnets", "ec2:DescribeRouteTables"),
    hint="Attach the function to the private subnets (vpc_config { subnet_ids, security_group_ids }, plus "
    "AWSLambdaVPCAccessExecutionRole) and make sure their route table has no 0.0.0.0/0 route.",
)
def app_runs_in_private_subnets(aws: AwsView, lab: LabInputs) -> Verdict:
    """A function outside the VPC, or in a subnet with an internet route, bypasses the private path."""
    vpc, app = lab_vpc(aws, lab), lab_function(aws, lab)
    if not app.subnet_ids:
        return failed(f"function {app.name} runs outside any VPC", app.arn)
    tables = aws.route_tables(vpc.id)
    problems = []
    for subnet in aws.subnets(app.subnet_ids):
        table = _effective_table(tables, subnet.id)
        routes = [r for r in (table.routes if table else ()) if _reaches_internet(r)]
        if subnet.vpc_id != vpc.id:
            problems.append(f"{subnet.id} is in {subnet.vpc_id}, not the lab VPC {vpc.id}")
        if subnet.map_public_ip_on_launch:
            problems.append(f"{subnet.id} maps public IPs on launch")
        problems += [f"{subnet.id} routes {r.destination} to {r.target}" for r in routes]
    if problems:
        return failed(f"function {app.name}: " + "; ".join(problems), app.arn)
    return passed(f"function {app.name} runs in private subnets {', '.join(app.subnet_ids)}", app.arn)


@check(
    id="vpc-no-internet-egress",
    title="The lab VPC has no internet gateway and no public NAT gateway",
    severity=REQUIRED,
    permissions=(*VPC_DISCOVERY, "ec2:DescribeInternetGateways", "ec2:DescribeNatGateways"),
    hint="Remove the internet gateway and NAT gateway from the lab VPC; the app reaches Bedrock through the "
    "interface endpoint only.",
)
def vpc_no_internet_egress(aws: AwsView, lab: LabInputs) -> Verdict:
    """Without a way out, Bedrock is reachable only through PrivateLink."""
    vpc = lab_vpc(aws, lab)
    gateways = aws.internet_gateway_ids(vpc.id)
    gateways += [
        n.id
        for n in aws.nat_gateways(vpc.id)
        if n.state in ("pending", "available") and n.connectivity_type.lower() != "private"
    ]
    if gateways:
        return failed(f"{vpc.id} can reach the internet through {', '.join(gateways)}", vpc.id, *gateways)
    return passed(f"{vpc.id} has no internet or public NAT gateway", vpc.id)


@check(
    id="bedrock-runtime-interface-endpoint",
    title="An available bedrock-runtime interface endpoint spans enough Availability Zones",
    severity=REQUIRED,
    permissions=(*ENDPOINT_READS, "ec2:DescribeSubnets"),
    hint='Create an aws_vpc_endpoint with service_name = "com.amazonaws.${region}.bedrock-runtime", '
    'vpc_endpoint_type = "Interface" and one private subnet per AZ (at least two).',
)
def bedrock_runtime_interface_endpoint(aws: AwsView, lab: LabInputs) -> Verdict:
    """The runtime endpoint (not the control-plane bedrock one) carries InvokeModel and Converse privately."""
    vpc = lab_vpc(aws, lab)
    endpoints = [e for e in aws.vpc_endpoints(vpc.id, _service_name(aws)) if e.endpoint_type == "Interface"]
    if not endpoints:
        return failed(f"no {_service_name(aws)} interface endpoint in {vpc.id}", vpc.id)
    problems = []
    for endpoint in endpoints:
        zones = {s.availability_zone for s in aws.subnets(endpoint.subnet_ids)}
        wrong_region = endpoint.service_region not in (None, aws.region)
        if endpoint.state == "available" and not wrong_region and len(zones) >= lab.number("min_endpoint_azs"):
            return passed(f"{endpoint.id} is available in {len(zones)} AZs ({', '.join(sorted(zones))})", endpoint.id)
        region_note = f", serves {endpoint.service_region}" if wrong_region else ""
        problems.append(f"{endpoint.id} is {endpoint.state} in {len(zones)} AZ(s){region_note}")
    return failed(
        f"no endpoint qualifies (need available, in {aws.region}, >= {lab.number('min_endpoint_azs')} AZs): "
        + "; ".join(problems),
        *(e.id for e in endpoints),
    )


@check(
    id="endpoint-private-dns",
    title="Private DNS is on for the bedrock-runtime endpoint",
    severity=REQUIRED,
    permissions=ENDPOINT_READS,
    hint="Set private_dns_enabled = true on the aws_vpc_endpoint (Terraform's default is false; it also needs "
    "vpc-dns-enabled).",
)
def endpoint_private_dns(aws: AwsView, lab: LabInputs) -> Verdict:
    """With private DNS the default bedrock-runtime hostname resolves to the endpoint, with no code change."""
    endpoint = _endpoint(aws, lab)
    if not endpoint.private_dns_enabled:
        return failed(f"{endpoint.id} has private DNS off: the SDK resolves the public endpoint", endpoint.id)
    return passed(f"{endpoint.id} has private DNS on", endpoint.id)


def _inside(cidr: str, vpc: Vpc) -> bool:
    network = ipaddress.IPv4Network(cidr, strict=False)
    return any(network.subnet_of(ipaddress.IPv4Network(block, strict=False)) for block in vpc.cidr_blocks)


def _ingress_problems(rule: IngressRule, vpc: Vpc) -> list[str]:
    problems = []
    if rule.protocol not in ("tcp", "6") or (rule.from_port, rule.to_port) != (443, 443):
        problems.append(f"allows protocol {rule.protocol} ports {rule.from_port}-{rule.to_port}, not TCP 443 only")
    problems += [f"admits {cidr}, outside the VPC" for cidr in rule.ipv4_cidrs if not _inside(cidr, vpc)]
    problems += [f"admits IPv6 {cidr}" for cidr in rule.ipv6_cidrs]
    problems += [f"admits prefix list {p}" for p in rule.prefix_list_ids]
    return problems


@check(
    id="endpoint-sg-443-from-vpc-only",
    title="The endpoint's security groups admit only TCP 443 from inside the VPC",
    severity=REQUIRED,
    permissions=(*ENDPOINT_READS, "ec2:DescribeSecurityGroups"),
    hint="Give the endpoint its own security group with one ingress rule: TCP 443 from the VPC CIDR "
    "(aws_vpc_security_group_ingress_rule cidr_ipv4) or from the app's security group.",
)
def endpoint_sg_443_from_vpc_only(aws: AwsView, lab: LabInputs) -> Verdict:
    """Only HTTPS from the VPC needs to reach the endpoint; anything wider widens who can use it."""
    vpc, endpoint = lab_vpc(aws, lab), _endpoint(aws, lab)
    groups = aws.security_groups(endpoint.security_group_ids)
    rules_seen, problems = 0, []
    for group in groups:
        for rule in group.ingress:
            rules_seen += 1
            found = _ingress_problems(rule, vpc)
            found += [f"admits {g.id} of {g.vpc_id}" for g in aws.security_groups(rule.group_ids) if g.vpc_id != vpc.id]
            problems += [f"{group.id} {p}" for p in found]
    if not rules_seen:
        return failed(f"{endpoint.id}: its security groups admit nothing, so the app cannot reach it", endpoint.id)
    if problems:
        return failed("; ".join(problems), *(g.id for g in groups))
    return passed(f"{endpoint.id} admits only TCP 443 from inside {vpc.id}", *(g.id for g in groups))


# --- policies ---------------------------------------------------------------------------------------


def _principal_scoped(statement: rules.Statement, account: str) -> bool:
    """Explicit principals of this account, or anyone narrowed to this account by a condition."""
    own = re.compile(rf"^(arn:aws[a-z-]*:(iam|sts)::{account}:.+|{account})$")
    if statement.not_principal:
        return False
    if statement.principal_is_anyone:
        accounts = statement.values(("StringEquals",), "aws:PrincipalAccount")
        orgs = statement.values(("StringEquals",), "aws:PrincipalOrgID")
        arns = statement.values(rules.POSITIVE_OPERATORS, "aws:PrincipalArn")
        return (
            (bool(accounts) and set(accounts) == {account})
            or bool(orgs)
            or (bool(arns) and all(own.match(a) for a in arns))
        )
    principals = statement.principals.get("aws", ())
    return set(statement.principals) == {"aws"} and bool(principals) and all(own.match(p) for p in principals)


def _endpoint_allow_problems(
    statement: rules.Statement, allowed: set[str], approved: set[str], account: str
) -> list[str]:
    if statement.has_negation:
        return ["uses NotAction, NotResource or NotPrincipal"]
    problems = [f"allows {a}" for a in statement.actions if a not in allowed]
    if not statement.resources or not set(statement.resources) <= approved:
        problems.append(f"covers resources {', '.join(statement.resources) or '(none)'}, not only approved models")
    if not _principal_scoped(statement, account):
        problems.append("is open to principals outside the account")
    return problems


@check(
    id="endpoint-policy-least-privilege",
    title="The endpoint policy allows only InvokeModel on approved models for this account",
    severity=REQUIRED,
    permissions=ENDPOINT_READS,
    hint="Attach an endpoint policy allowing only bedrock:InvokeModel and InvokeModelWithResponseStream on "
    "the approved foundation-model ARNs, with a condition aws:PrincipalAccount = your account.",
)
def endpoint_policy_least_privilege(aws: AwsView, lab: LabInputs) -> Verdict:
    """With no policy an endpoint lets anyone's credentials do anything Bedrock allows through your VPC."""
    endpoint = _endpoint(aws, lab)
    allows = [s for s in rules.statements(endpoint.policy) if s.is_allow]
    if not allows:
        return failed(f"{endpoint.id}: the endpoint policy allows nothing", endpoint.id)
    allowed = {a.lower() for a in lab.items("allowed_endpoint_actions")}
    problems = [
        f"statement {n} {p}"
        for n, s in enumerate(allows, 1)
        for p in _endpoint_allow_problems(s, allowed, _approved_arns(aws, lab), aws.account_id)
    ]
    if problems:
        return failed(f"{endpoint.id}: " + "; ".join(problems), endpoint.id)
    return passed(f"{endpoint.id}: only approved InvokeModel calls by this account", endpoint.id)


@check(
    id="app-role-requires-sourcevpce",
    title="The app role can invoke Bedrock only through the lab's VPC endpoint",
    severity=REQUIRED,
    permissions=(*ENDPOINT_READS, *FUNCTION_DISCOVERY, *ROLE_POLICY_READS),
    hint="Add Condition StringEquals aws:SourceVpce = <vpce-id> to the app role's InvokeModel statement (or a "
    "Deny with StringNotEquals aws:SourceVpce).",
)
def app_role_requires_sourcevpce(aws: AwsView, lab: LabInputs) -> Verdict:
    """Stolen app credentials must not work from outside the VPC endpoint."""
    vpc, endpoint, app = lab_vpc(aws, lab), _endpoint(aws, lab), lab_function(aws, lab)
    documents = [p.document for p in _app_policies(aws, app)]
    allows = rules.allows_for(documents, INVOKE)
    if not allows:
        return failed(f"the role of {app.name} is not allowed {INVOKE}", app.role_arn)
    fenced = any(
        rules.deny_outside(s, "aws:SourceVpce", endpoint.id) or rules.deny_outside(s, "aws:SourceVpc", vpc.id)
        for s in rules.denies_for(documents, INVOKE)
    )
    scoped = all(
        rules.allow_scoped_to(s, "aws:SourceVpce", endpoint.id) or rules.allow_scoped_to(s, "aws:SourceVpc", vpc.id)
        for s in allows
    )
    if fenced or scoped:
        how = "a Deny outside" if fenced else "Allow conditions on"
        return passed(
            f"the role of {app.name} is tied to {endpoint.id} by {how} aws:SourceVpce/SourceVpc", app.role_arn
        )
    return failed(
        f"the role of {app.name} allows {INVOKE} without an aws:SourceVpce = {endpoint.id} condition",
        app.role_arn,
    )


@check(
    id="app-role-approved-models-only",
    title="The app role may invoke only the approved foundation models",
    severity=REQUIRED,
    permissions=(*FUNCTION_DISCOVERY, *ROLE_POLICY_READS),
    hint="List the approved foundation-model ARNs explicitly in the app role's InvokeModel statement instead "
    'of "*" or foundation-model/*.',
)
def app_role_approved_models_only(aws: AwsView, lab: LabInputs) -> Verdict:
    """Least privilege on models keeps spend and data handling to what was approved."""
    app = lab_function(aws, lab)
    documents = [p.document for p in _app_policies(aws, app)]
    approved = _approved_arns(aws, lab)
    allows = {id(s): s for action in INVOKE_ACTIONS for s in rules.allows_for(documents, action)}.values()
    if not allows:
        return failed(f"the role of {app.name} is not allowed {INVOKE}", app.role_arn)
    extra = sorted({r for s in allows for r in (s.resources or ("(none)",)) if s.not_resource or r not in approved})
    if extra:
        return failed(f"the role of {app.name} may invoke {', '.join(extra)}", app.role_arn)
    return passed(f"the role of {app.name} may invoke only {', '.join(sorted(approved))}", app.role_arn)


def _region_pinned_by_role(documents: Sequence[Document], region: str) -> bool:
    for deny in rules.denies_for(documents, INVOKE):
        values = deny.values(rules.NEGATIVE_OPERATORS, "aws:RequestedRegion")
        if values and set(values) <= {region}:
            return True
    allows = rules.allows_for(documents, INVOKE)
    pinned = [set(s.values(("StringEquals",), "aws:RequestedRegion")) for s in allows]
    return bool(allows) and all(values and values <= {region} for values in pinned)


def _geography_prefixes(region: str) -> tuple[str, ...]:
    """The inference-profile prefixes of a Region's own geography (Asia Pacific has three)."""
    if region.startswith("us-gov-"):
        return ("us-gov.",)
    if region.startswith("ap-"):
        return ("apac.", "jp.", "au.")
    return (region.split("-")[0] + ".",)


def _residency_problems(resources: set[str], aws: AwsView, lab: LabInputs) -> list[str]:
    accepted = _geography_prefixes(aws.region) if lab.text("residency_scope") == "geography" else ()
    problems = []
    for arn in sorted(resources):
        region = rules.arn_region(arn)
        profile = arn.split("inference-profile/", 1)[1] if "inference-profile/" in arn else ""
        if region and region != aws.region:
            problems.append(f"{arn} is in {region}")
        if profile.startswith(GEO_PREFIXES) and not profile.startswith(accepted):
            problems.append(f"{arn} is a cross-Region inference profile")
    return problems


@check(
    id="region-pinned",
    title="Inference can happen only in the lab Region",
    severity=REQUIRED,
    permissions=(*ENDPOINT_READS, *FUNCTION_DISCOVERY, *ROLE_POLICY_READS),
    hint="Pin the app role with Deny * when aws:RequestedRegion != <region>, and use in-Region foundation-model "
    "ids, not eu./us./global. inference profiles.",
)
def region_pinned(aws: AwsView, lab: LabInputs) -> Verdict:
    """Data residency: aws:RequestedRegion alone does not stop geo-routed inference profiles."""
    endpoint, app = _endpoint(aws, lab), lab_function(aws, lab)
    documents = [p.document for p in _app_policies(aws, app)]
    problems = []
    if not endpoint.service_name.startswith(f"com.amazonaws.{aws.region}.") or endpoint.service_region not in (
        None,
        aws.region,
    ):
        problems.append(f"{endpoint.id} serves {endpoint.service_region or endpoint.service_name}")
    if not _region_pinned_by_role(documents, aws.region):
        problems.append(f"the role of {app.name} does not pin aws:RequestedRegion to {aws.region}")
    resources = {r for s in rules.statements(endpoint.policy) if s.is_allow for r in s.resources}
    resources |= {r for s in rules.allows_for(documents, INVOKE) for r in s.resources}
    problems += _residency_problems(resources, aws, lab)
    if problems:
        return failed("; ".join(problems), endpoint.id, app.role_arn)
    return passed(f"endpoint, policies and models stay in {aws.region}", endpoint.id, app.role_arn)


# --- invocation logging -----------------------------------------------------------------------------


@check(
    id="invocation-logging-enabled",
    title="Bedrock model invocation logging captures text in the lab Region",
    severity=REQUIRED,
    permissions=LOGGING_READS,
    hint="Create aws_bedrock_model_invocation_logging_configuration with text_data_delivery_enabled = true and "
    "a cloudwatch_config block (it is configured per Region).",
)
def invocation_logging_enabled(aws: AwsView) -> Verdict:
    """Invocation logs are the audit trail of every prompt and completion."""
    config = aws.invocation_logging()
    if config is None:
        return failed(f"model invocation logging is not configured in {aws.region}")
    if not (config.log_group_name or config.buckets):
        return failed(f"model invocation logging in {aws.region} has no CloudWatch or S3 destination")
    if not config.text_delivery:
        return failed(f"model invocation logging in {aws.region} does not deliver text data")
    destinations = [d for d in (config.log_group_name, *config.buckets) if d]
    return passed(f"invocation logs with text go to {', '.join(destinations)}", *destinations)


def _log_group_problems(aws: AwsView, name: str, min_days: int) -> list[str]:
    group = aws.log_group(name)
    if group is None:
        return [f"log group {name} does not exist"]
    problems = [p for p in [rules.customer_key_problem(aws, group.kms_key_id, f"log group {name}")] if p]
    if group.retention_days is None or group.retention_days < min_days:
        kept = "forever" if group.retention_days is None else f"{group.retention_days} days"
        problems.append(f"log group {name} keeps logs {kept}, not {min_days}+ days")
    return problems


@check(
    id="invocation-logs-encrypted-cmk",
    title="Invocation logs are encrypted with a rotating customer-managed key and expire",
    severity=REQUIRED,
    permissions=(
        *LOGGING_READS,
        "logs:DescribeLogGroups",
        "kms:DescribeKey",
        "kms:GetKeyRotationStatus",
        "s3:GetEncryptionConfiguration",
    ),
    hint="Create the log group with kms_key_id = a CMK with enable_key_rotation = true (its key policy must allow "
    "logs.<region>.amazonaws.com) and set retention_in_days.",
)
def invocation_logs_encrypted_cmk(aws: AwsView, lab: LabInputs) -> Verdict:
    """Logged prompts can hold sensitive data: your key, your rotation, a bounded lifetime."""
    config = _logging(aws)
    problems = []
    if config.log_group_name:
        problems += _log_group_problems(aws, config.log_group_name, lab.number("min_log_retention_days"))
    for bucket in config.buckets:
        encryption = aws.bucket_encryption(bucket)
        if encryption.algorithm not in ("aws:kms", "aws:kms:dsse"):
            problems.append(f"bucket {bucket} uses {encryption.algorithm or 'no explicit'} encryption, not KMS")
        elif problem := rules.customer_key_problem(aws, encryption.kms_key_id, f"bucket {bucket}"):
            problems.append(problem)
    destinations = [d for d in (config.log_group_name, *config.buckets) if d]
    if problems:
        return failed("; ".join(problems), *destinations)
    return passed(f"{', '.join(destinations)}: rotating CMK and bounded retention", *destinations)


@check(
    id="logging-role-confused-deputy",
    title="Only Bedrock, for this account, can assume the invocation-logging role",
    severity=REQUIRED,
    permissions=(*LOGGING_READS, "iam:GetRole"),
    hint="Add aws:SourceAccount (and aws:SourceArn) conditions to the logging role's trust policy, with "
    "bedrock.amazonaws.com as the only principal.",
)
def logging_role_confused_deputy(aws: AwsView) -> Verdict:
    """Without aws:SourceAccount another account's Bedrock could be tricked into writing with your role."""
    config = _logging(aws)
    if not config.role_arn:
        return not_applicable("logs go to S3 only: there is no CloudWatch logging role")
    role = aws.role(config.role_arn.rsplit("/", 1)[-1])
    if role is None:
        return failed(f"logging role {config.role_arn} does not exist", config.role_arn)
    allows = [s for s in rules.statements(role.trust_policy) if s.is_allow]
    problems = []
    for n, statement in enumerate(allows, 1):
        if dict(statement.principals) != {"service": ("bedrock.amazonaws.com",)} or statement.has_negation:
            problems.append(f"statement {n} trusts more than bedrock.amazonaws.com")
        accounts = statement.values(("StringEquals",), "aws:SourceAccount")
        if not accounts or set(accounts) != {aws.account_id}:
            problems.append(f"statement {n} lacks StringEquals aws:SourceAccount = {aws.account_id}")
    if not allows or problems:
        return failed(f"{role.name}: " + ("; ".join(problems) or "trusts nobody"), role.arn)
    return passed(f"{role.name} trusts only bedrock.amazonaws.com for account {aws.account_id}", role.arn)


# --- evidence and advisories ------------------------------------------------------------------------


@check(
    id="traffic-via-endpoint",
    title="CloudTrail shows the app's Bedrock calls went through the endpoint",
    severity=ADVISORY,
    permissions=(*ENDPOINT_READS, *FUNCTION_DISCOVERY, "cloudtrail:LookupEvents"),
    hint="Invoke the app once (aws lambda invoke ...) and run labcheck again in about 15 minutes.",
)
def traffic_via_endpoint(aws: AwsView, lab: LabInputs) -> Verdict:
    """Configuration says traffic should use the endpoint; CloudTrail shows whether it did."""
    endpoint, app = _endpoint(aws, lab), lab_function(aws, lab)
    since = dt.datetime.now(dt.UTC) - dt.timedelta(hours=lab.number("evidence_lookback_hours"))
    calls = [e for e in aws.bedrock_events(since) if e.name in TRAFFIC_EVENTS and e.session_issuer_arn == app.role_arn]
    if not calls:
        return pending(f"no Bedrock call by {app.role_arn} in the last {lab.number('evidence_lookback_hours')} h")
    if any(e.vpc_endpoint_id == endpoint.id for e in calls):
        return passed(f"{app.name} called Bedrock through {endpoint.id}", endpoint.id)
    return failed(f"{len(calls)} Bedrock call(s) by {app.name} did not go through {endpoint.id}", endpoint.id)


def _masks_data(policy: Document | None) -> bool:
    """A data protection policy masks when one of its statements has a Deidentify operation."""
    found = (policy or {}).get("Statement") or []
    return any(
        isinstance(s, Mapping) and "deidentify" in {str(k).lower() for k in s.get("Operation") or {}} for s in found
    )


@check(
    id="invocation-logs-pii-masking",
    title="The invocation log group masks personal data",
    severity=ADVISORY,
    permissions=(*LOGGING_READS, "logs:DescribeLogGroups", "logs:GetDataProtectionPolicy"),
    hint="Attach aws_cloudwatch_log_data_protection_policy to the log group with Audit and Deidentify statements "
    "for the PII data identifiers you need.",
)
def invocation_logs_pii_masking(aws: AwsView) -> Verdict:
    """Prompts may carry personal data; a data protection policy masks it in the logs."""
    config = _logging(aws)
    if not config.log_group_name:
        return not_applicable("logs go to S3 only: data protection applies to CloudWatch log groups")
    group = aws.log_group(config.log_group_name)
    if group is None:
        raise BlockedError("invocation-logs-encrypted-cmk", f"log group {config.log_group_name} does not exist")
    if (group.data_protection_status or "").upper() == "ACTIVATED":
        return passed(f"log group {group.name} has data protection activated", group.arn)
    if _masks_data(aws.log_data_protection_policy(group.name)):
        return passed(f"log group {group.name} has a de-identifying data protection policy", group.arn)
    return failed(f"log group {group.name} has no data protection policy that masks data", group.arn)
