"""The requirements of azure-openai-private-endpoint, as code.

The root is the Azure OpenAI (or AI Services) account in the learner's resource group, found by kind and
then by the labcheck-lab tag (or named with --input openai_account=...). Everything else is reached from
it by ARM reference: its private-endpoint connections lead to the private endpoint, whose DNS zone groups
lead to the private DNS zones; its deployments name their RAI policies; its diagnostic settings name the
Log Analytics workspace. Ids, enum strings and locations are compared the ARM way (case-insensitive).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from labcheck.errors import BlockedError
from labcheck.model import ADVISORY, REQUIRED, LabInputs, Verdict, check, failed, passed
from labcheck.providers.azure import fragments
from labcheck.providers.azure.discovery import pick_root
from labcheck.providers.azure.view import PrivateEndpoint, location_key, same_word
from labcheck.providers.azure.view_cognitive import (
    READ_ACTIONS,
    CognitiveAccount,
    CognitiveView,
    ModelDeployment,
    RaiPolicy,
)

A1, A3 = "aoai-account-exists", "aoai-custom-subdomain"
A7, A9 = "aoai-private-endpoint-approved", "aoai-deployment-present"
KINDS = {"openai", "aiservices"}
ZONES = {
    "openai": ("privatelink.openai.azure.com",),
    "aiservices": (
        "privatelink.openai.azure.com",
        "privatelink.cognitiveservices.azure.com",
        "privatelink.services.ai.azure.com",
    ),
}
HARMS = ("hate", "sexual", "violence", "selfharm")
SOURCES = ("prompt", "completion")
STRICT_ENOUGH = {"low", "medium"}  # Low blocks low, medium and high; Medium blocks medium and high
PINNED_UPGRADES = {"noautoupgrade", "oncecurrentversionexpired"}

ACCOUNT_READS = READ_ACTIONS["cognitive_accounts"]
ENDPOINT_READS = (
    *ACCOUNT_READS,
    *READ_ACTIONS["account_endpoint_connections"],
    *fragments.PRIVATE_ENDPOINT_READS,
)
DEPLOYMENT_READS = (*ACCOUNT_READS, *READ_ACTIONS["model_deployments"])


# --- shared lookups ---------------------------------------------------------------------------------


def _resolved(azure: CognitiveView, lab: LabInputs) -> CognitiveAccount | None:
    """The lab's account, discovered in the resource group and read by name (None: the GET found nothing)."""
    group = lab.text("resource_group")
    # A resource group that does not exist holds no account: FAIL with the tagging hint, not a read error.
    candidates = [a for a in azure.cognitive_accounts(group, missing_group_ok=True) if a.kind.lower() in KINDS]
    root = pick_root(candidates, "openai_account", lab, lambda a: a.name, lambda a: a.tags)
    return azure.cognitive_account(group, root.name)


def _account(azure: CognitiveView, lab: LabInputs) -> CognitiveAccount:
    """The account the other checks grade; a missing or unprovisioned one blocks them."""
    account = _resolved(azure, lab)
    if account is None:
        raise BlockedError(A1, f"the OpenAI account is gone from resource group {lab.text('resource_group')}")
    if not same_word(account.provisioning_state, "succeeded"):
        raise BlockedError(A1, f"account {account.name} is {account.provisioning_state or 'not provisioned'}")
    return account


def _approved_endpoint(azure: CognitiveView, account: CognitiveAccount) -> tuple[PrivateEndpoint | None, list[str]]:
    """The first approved private endpoint that reaches the account, or why there is none."""
    connections = fragments.approved(azure.account_endpoint_connections(account.id), {"account"})
    if not connections:
        return None, [f"account {account.name} has no approved private-endpoint connection to 'account'"]
    problems: list[str] = []
    for connection in connections:
        endpoint = azure.private_endpoint(connection.target_id)
        found = fragments.endpoint_problems(endpoint, account.id)
        if endpoint is not None and not found:
            return endpoint, []
        problems += found
    return None, problems


def _capability(deployment: ModelDeployment, name: str) -> bool:
    return any(k.lower() == name.lower() and same_word(v, "true") for k, v in deployment.capabilities.items())


def _chat_ready(deployment: ModelDeployment) -> bool:
    """Provisioned, and able to chat (by capability, else by a gpt-/o-series model name)."""
    chat_model = deployment.model_name.lower().startswith(("gpt-", "o"))
    chat = _capability(deployment, "chatCompletion") or chat_model
    return same_word(deployment.provisioning_state, "succeeded") and chat


def _generative(deployment: ModelDeployment) -> bool:
    """Generates text (chat or completion); without reported capabilities, judged by the model name."""
    if not deployment.capabilities:
        return deployment.model_name.lower().startswith(("gpt-", "o"))
    return _capability(deployment, "chatCompletion") or _capability(deployment, "completion")


def _deployments(azure: CognitiveView, lab: LabInputs) -> tuple[CognitiveAccount, list[ModelDeployment]]:
    """The account's deployments, when a chat deployment is up (else the deployment checks are blocked)."""
    account = _account(azure, lab)
    deployments = azure.model_deployments(account.id, missing_account_ok=True)
    if not any(_chat_ready(d) for d in deployments):
        raise BlockedError(A9, f"account {account.name} has no succeeded chat-model deployment")
    return account, deployments


def _policy_gaps(policy: RaiPolicy) -> list[str]:
    """The harm filters (Medium or stricter, blocking) and the jailbreak shield the policy lacks."""
    on = [f for f in policy.content_filters if f.enabled and f.blocking]
    gaps = [
        f"{harm}/{source}"
        for harm in HARMS
        for source in SOURCES
        if not any(f.key == (harm, source) and (f.severity_threshold or "").lower() in STRICT_ENOUGH for f in on)
    ]
    if not any(f.key == ("jailbreak", "prompt") for f in on):
        gaps.append("jailbreak shield")
    return gaps


def _rai_problem(azure: CognitiveView, account: CognitiveAccount, deployment: ModelDeployment) -> str | None:
    """Why a generative deployment's content filter falls short (None: it is custom and strict enough)."""
    name = deployment.rai_policy_name or ""
    if not name or name.lower().startswith("microsoft."):
        return f"{deployment.name} uses {name or 'no policy'} instead of a custom RAI policy"
    policy = azure.rai_policy(account.id, name)
    if policy is None:
        return f"{deployment.name} names RAI policy {name}, which does not exist"
    if not same_word(policy.policy_type, "usermanaged"):
        return f"{deployment.name}: RAI policy {name} is {policy.policy_type or 'not user-managed'}"
    gaps = _policy_gaps(policy)
    return f"{deployment.name}: RAI policy {name} lacks {', '.join(gaps)}" if gaps else None


# --- the account ------------------------------------------------------------------------------------


@check(
    id="aoai-account-exists",
    title="One Azure OpenAI or AI Services account is provisioned in the resource group",
    severity=REQUIRED,
    permissions=ACCOUNT_READS,
    hint='Create an azurerm_cognitive_account with kind = "OpenAI" (or "AIServices") in the lab resource group '
    'and tag it labcheck-lab = "azure-openai-private-endpoint".',
)
def aoai_account_exists(azure: CognitiveView, lab: LabInputs) -> Verdict:
    """Every other requirement is a property of this account or of resources that point at it."""
    account = _resolved(azure, lab)
    group = lab.text("resource_group")
    if account is None:
        return failed(f"the OpenAI account listed in resource group {group} could not be read (not found)")
    if account.kind.lower() not in KINDS:
        return failed(f"account {account.name} is of kind {account.kind}, not OpenAI or AIServices", account.id)
    if not same_word(account.provisioning_state, "succeeded"):
        return failed(f"account {account.name} is {account.provisioning_state or 'not provisioned'}", account.id)
    return passed(f"{account.kind} account {account.name} is provisioned in {group}", account.id)


@check(
    id="aoai-region-pinned",
    title="The account lives in one of the lab's allowed regions",
    severity=REQUIRED,
    permissions=ACCOUNT_READS,
    hint="Deploy the azurerm_cognitive_account in one of the lab's allowed regions (location, e.g. swedencentral); "
    "the location cannot be changed after creation.",
)
def aoai_region_pinned(azure: CognitiveView, lab: LabInputs) -> Verdict:
    """Data residency: prompts and completions are processed where the account lives."""
    account = _account(azure, lab)
    allowed = lab.items("allowed_locations")
    if location_key(account.location) not in {location_key(loc) for loc in allowed}:
        return failed(f"account {account.name} is in {account.location}, not in {', '.join(allowed)}", account.id)
    return passed(f"account {account.name} is in {account.location}", account.id)


@check(
    id="aoai-custom-subdomain",
    title="The account has a custom subdomain and its endpoint uses it",
    severity=REQUIRED,
    permissions=ACCOUNT_READS,
    hint="Set custom_subdomain_name on the azurerm_cognitive_account (it cannot be changed later): without it "
    "Microsoft Entra ID auth and private endpoints do not work.",
)
def aoai_custom_subdomain(azure: CognitiveView, lab: LabInputs) -> Verdict:
    """Entra ID tokens and private endpoints need the account's own host name, not the regional one."""
    account = _account(azure, lab)
    subdomain = (account.custom_subdomain or "").lower()
    host = (urlsplit(account.endpoint or "").hostname or "").lower()
    if not subdomain:
        return failed(f"account {account.name} has no custom subdomain (endpoint {account.endpoint})", account.id)
    if not host.startswith(subdomain + "."):
        return failed(f"account {account.name}: endpoint {account.endpoint} does not use {subdomain}", account.id)
    return passed(f"account {account.name} answers at {host}", account.id)


@check(
    id="aoai-public-network-disabled",
    title="Public network access is disabled and the network ACL denies by default, with no exceptions",
    severity=REQUIRED,
    permissions=ACCOUNT_READS,
    hint='Set public_network_access_enabled = false and network_acls { default_action = "Deny" } with no '
    "ip_rules or virtual_network_rules on the azurerm_cognitive_account.",
)
def aoai_public_network_disabled(azure: CognitiveView, lab: LabInputs) -> Verdict:
    """With public access off and no allow rules, the data plane is reachable only through the private endpoint."""
    account = _account(azure, lab)
    acls = account.network_acls
    problems = []
    if not same_word(account.public_network_access, "disabled"):
        problems.append(f"public network access is {account.public_network_access or 'not set (Enabled)'}")
    if acls is None or not same_word(acls.default_action, "deny"):
        problems.append(f"the network ACL default action is {acls.default_action if acls else 'absent (Allow)'}")
    if acls and acls.ip_rules:
        problems.append(f"IP rules allow {', '.join(acls.ip_rules)}")
    if acls and acls.virtual_network_rules:
        problems.append(f"virtual network rules allow {', '.join(acls.virtual_network_rules)}")
    if problems:
        return failed(f"account {account.name}: " + "; ".join(problems), account.id)
    return passed(f"account {account.name} is closed to public networks (default action Deny)", account.id)


@check(
    id="aoai-local-auth-disabled",
    title="API keys are disabled: only Microsoft Entra ID tokens are accepted",
    severity=REQUIRED,
    permissions=ACCOUNT_READS,
    hint="Set local_auth_enabled = false on the azurerm_cognitive_account; apps must use a managed identity "
    "with Cognitive Services OpenAI User.",
)
def aoai_local_auth_disabled(azure: CognitiveView, lab: LabInputs) -> Verdict:
    """Keys are shared secrets that leak and never expire; Entra ID tokens are per identity and auditable."""
    account = _account(azure, lab)
    if account.disable_local_auth is not True:
        state = "not set, so keys work" if account.disable_local_auth is None else "false"
        return failed(f"account {account.name}: disableLocalAuth is {state}", account.id)
    return passed(f"account {account.name} accepts Entra ID tokens only", account.id)


@check(
    id="aoai-managed-identity",
    title="The account has a managed identity",
    severity=REQUIRED,
    permissions=ACCOUNT_READS,
    hint='Add identity { type = "SystemAssigned" } to the azurerm_cognitive_account.',
)
def aoai_managed_identity(azure: CognitiveView, lab: LabInputs) -> Verdict:
    """The account needs its own identity for customer-managed keys, storage and any outbound call."""
    account = _account(azure, lab)
    identity = account.identity
    if identity is None or not identity.usable:
        kind = identity.type.lower().replace(" ", "") if identity else ""
        return failed(f"account {account.name} has no usable managed identity (type {kind or 'none'})", account.id)
    return passed(f"account {account.name} has a {identity.type} identity", account.id)


# --- private networking -----------------------------------------------------------------------------


@check(
    id="aoai-private-endpoint-approved",
    title="An approved, provisioned private endpoint in a VNet subnet targets the account",
    severity=REQUIRED,
    permissions=ENDPOINT_READS,
    hint='Create an azurerm_private_endpoint with private_service_connection { subresource_names = ["account"] } '
    "pointing at the account, in the private-endpoint subnet; approve it if you set is_manual_connection = true.",
)
def aoai_private_endpoint_approved(azure: CognitiveView, lab: LabInputs) -> Verdict:
    """With public access off, the private endpoint is the only way into the account."""
    account = _account(azure, lab)
    endpoint, problems = _approved_endpoint(azure, account)
    if endpoint is None:
        return failed(f"account {account.name}: " + "; ".join(problems), account.id)
    return passed(f"private endpoint {endpoint.id} is approved and provisioned in {endpoint.subnet_id}", endpoint.id)


@check(
    id="aoai-private-dns",
    title="Private DNS zones linked to the VNet resolve the account's host name to the private endpoint",
    severity=REQUIRED,
    permissions=(*ENDPOINT_READS, *fragments.PRIVATE_DNS_READS),
    hint="Create azurerm_private_dns_zone privatelink.openai.azure.com, link it to the VNet "
    "(azurerm_private_dns_zone_virtual_network_link) and add a private_dns_zone_group to the "
    "azurerm_private_endpoint so the A record is written automatically.",
)
def aoai_private_dns(azure: CognitiveView, lab: LabInputs) -> Verdict:
    """Without the private zone, clients in the VNet resolve the public address and are refused."""
    account = _account(azure, lab)
    endpoint, problems = _approved_endpoint(azure, account)
    if endpoint is None:
        raise BlockedError(A7, "; ".join(problems))
    if not account.custom_subdomain:
        raise BlockedError(A3, f"account {account.name} has no custom subdomain to resolve")
    zones = ZONES[account.kind.lower()]
    problems = fragments.dns_problems(azure, endpoint, zones, account.custom_subdomain)
    if problems:
        return failed(f"private endpoint {endpoint.id}: " + "; ".join(problems), endpoint.id)
    return passed(f"{account.custom_subdomain} resolves privately in {', '.join(zones)}", endpoint.id)


# --- deployments ------------------------------------------------------------------------------------


@check(
    id="aoai-deployment-present",
    title="At least one chat model is deployed and provisioned",
    severity=REQUIRED,
    permissions=DEPLOYMENT_READS,
    hint='Add an azurerm_cognitive_deployment for a chat model (model { name = "gpt-4o-mini" }) to the account.',
)
def aoai_deployment_present(azure: CognitiveView, lab: LabInputs) -> Verdict:
    """An account with no deployed model serves nothing; the deployment carries SKU, capacity and filter."""
    account = _account(azure, lab)
    deployments = azure.model_deployments(account.id, missing_account_ok=True)
    ready = [d for d in deployments if _chat_ready(d)]
    if not ready:
        seen = ", ".join(f"{d.name} ({d.model_name}, {d.provisioning_state})" for d in deployments) or "none"
        return failed(f"account {account.name} has no succeeded chat deployment (deployments: {seen})", account.id)
    return passed(
        f"account {account.name} serves {', '.join(f'{d.name} ({d.model_name})' for d in ready)}",
        *(d.id for d in ready),
    )


@check(
    id="aoai-deployment-data-zone",
    title="Every deployment uses an allowed, non-global deployment type",
    severity=REQUIRED,
    permissions=DEPLOYMENT_READS,
    hint='Use sku { name = "DataZoneStandard" } (or regional "Standard") on each azurerm_cognitive_deployment: '
    "Global* SKUs may process prompts outside the data zone.",
)
def aoai_deployment_data_zone(azure: CognitiveView, lab: LabInputs) -> Verdict:
    """Global deployment types may route a prompt to any region in the world, whatever the account's location."""
    account, deployments = _deployments(azure, lab)
    allowed = lab.items("allowed_deployment_skus")
    wrong = [d for d in deployments if (d.sku or "").lower() not in {s.lower() for s in allowed}]
    if wrong:
        listed = ", ".join(f"{d.name} ({d.sku or 'no SKU'})" for d in wrong)
        return failed(f"account {account.name}: {listed} not in {', '.join(allowed)}", *(d.id for d in wrong))
    return passed(f"account {account.name}: every deployment is {' or '.join(allowed)}", account.id)


@check(
    id="aoai-deployment-capacity-capped",
    title="Deployments have bounded capacity each and in total, and none is provisioned throughput",
    severity=REQUIRED,
    permissions=DEPLOYMENT_READS,
    hint="Set sku { capacity = 10 } (10K tokens per minute) on each azurerm_cognitive_deployment; do not use "
    "provisioned (PTU) SKUs in the lab.",
)
def aoai_deployment_capacity_capped(azure: CognitiveView, lab: LabInputs) -> Verdict:
    """Capacity is what a runaway client can spend; provisioned throughput bills by the hour, used or not."""
    account, deployments = _deployments(azure, lab)
    cap, total_cap = lab.number("max_capacity_per_deployment"), lab.number("max_total_capacity")
    problems = [f"{d.name} uses provisioned SKU {d.sku}" for d in deployments if "provisioned" in (d.sku or "").lower()]
    problems += [
        f"{d.name} has capacity {d.capacity} (limit {cap})"
        for d in deployments
        if d.capacity is None or d.capacity > cap
    ]
    total = sum(d.capacity or 0 for d in deployments)
    if total > total_cap:
        problems.append(f"total capacity {total} exceeds {total_cap}")
    if problems:
        return failed(f"account {account.name}: " + "; ".join(problems), account.id)
    return passed(f"account {account.name}: {len(deployments)} deployment(s), {total}K TPM in total", account.id)


@check(
    id="aoai-content-filter-custom",
    title="Every generative deployment uses a custom RAI policy that blocks harms at Medium or stricter "
    "and shields jailbreaks",
    severity=REQUIRED,
    permissions=(*DEPLOYMENT_READS, *READ_ACTIONS["rai_policy"]),
    hint='Create an azurerm_cognitive_account_rai_policy (base_policy_name = "Microsoft.DefaultV2") with blocking '
    "content_filter blocks at Medium for Hate/Sexual/Violence/Selfharm on Prompt and Completion plus Jailbreak, "
    "and set rai_policy_name on each azurerm_cognitive_deployment.",
)
def aoai_content_filter_custom(azure: CognitiveView, lab: LabInputs) -> Verdict:
    """The default policy can be changed only by Microsoft; a custom one is yours to audit and tighten."""
    account, deployments = _deployments(azure, lab)
    generative = [d for d in deployments if _generative(d)]
    problems = [p for d in generative if (p := _rai_problem(azure, account, d))]
    if problems:
        return failed(f"account {account.name}: " + "; ".join(problems), *(d.id for d in generative))
    names = sorted({d.rai_policy_name or "" for d in generative})
    return passed(f"account {account.name}: generative deployments use {', '.join(names)}", account.id)


# --- monitoring -------------------------------------------------------------------------------------


@check(
    id="aoai-diagnostics-to-law",
    title="Audit and request logs of the account flow to a Log Analytics workspace",
    severity=REQUIRED,
    permissions=(*ACCOUNT_READS, *fragments.DIAGNOSTICS_READS),
    hint="Add an azurerm_monitor_diagnostic_setting on the account with log_analytics_workspace_id and "
    'enabled_log { category_group = "allLogs" }.',
)
def aoai_diagnostics_to_law(azure: CognitiveView, lab: LabInputs) -> Verdict:
    """Who called which deployment, and what was refused, is evidence only if it is kept somewhere queryable."""
    account = _account(azure, lab)
    problems = fragments.diagnostics_problems(azure, account.id, {"alllogs", "audit"}, {"audit", "requestresponse"})
    if problems:
        return failed(f"account {account.name}: " + "; ".join(problems), account.id)
    return passed(f"account {account.name} sends its audit logs to Log Analytics", account.id)


# --- advisory ---------------------------------------------------------------------------------------


@check(
    id="aoai-outbound-restricted",
    title="The account's outbound network access is restricted",
    severity=ADVISORY,
    permissions=ACCOUNT_READS,
    hint="Set outbound_network_access_restricted = true (and list any needed fqdns) on the azurerm_cognitive_account.",
)
def aoai_outbound_restricted(azure: CognitiveView, lab: LabInputs) -> Verdict:
    """A restricted account cannot be made to fetch from, or send data to, arbitrary hosts."""
    account = _account(azure, lab)
    if account.restrict_outbound_network_access is not True:
        return failed(
            f"account {account.name} may call any host (restrictOutboundNetworkAccess is not true)", account.id
        )
    allowed = ", ".join(account.allowed_fqdns) or "none"
    return passed(f"account {account.name} may call only the hosts it lists ({allowed})", account.id)


@check(
    id="aoai-no-auto-upgrade",
    title="No deployment upgrades its model version automatically",
    severity=ADVISORY,
    permissions=DEPLOYMENT_READS,
    hint='Set version_upgrade_option = "NoAutoUpgrade" (or "OnceCurrentVersionExpired") on each '
    "azurerm_cognitive_deployment.",
)
def aoai_no_auto_upgrade(azure: CognitiveView, lab: LabInputs) -> Verdict:
    """A silent model upgrade changes answers, filters and cost without a change you reviewed."""
    account, deployments = _deployments(azure, lab)
    moving = [d for d in deployments if (d.version_upgrade_option or "").lower() not in PINNED_UPGRADES]
    if moving:
        listed = ", ".join(f"{d.name} ({d.version_upgrade_option or 'OnceNewDefaultVersionAvailable'})" for d in moving)
        return failed(f"account {account.name}: {listed} upgrade automatically", *(d.id for d in moving))
    return passed(f"account {account.name}: every deployment keeps its model version", account.id)
