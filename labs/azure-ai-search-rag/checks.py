"""The requirements of azure-ai-search-rag, as code.

The search service is the root: in the lab resource group, the one named by `--input search_service=...`,
else the only one, else the one tagged labcheck-lab. The OpenAI and storage accounts follow from the
service's shared private links (else the only one of their kind in the group, or an `--input` override);
the private endpoint, DNS zones, role assignments and diagnostics follow from ids on those resources.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from labcheck.errors import BlockedError
from labcheck.model import ADVISORY, REQUIRED, LabInputs, Verdict, check, failed, not_applicable, passed
from labcheck.providers.azure.discovery import pick_root
from labcheck.providers.azure.fragments import (
    DIAGNOSTICS_READS,
    PRIVATE_DNS_READS,
    PRIVATE_ENDPOINT_READS,
    ROLE_READS,
    diagnostics_problems,
    dns_problems,
    endpoint_problems,
    role_problems,
)
from labcheck.providers.azure.view import ManagedIdentity, PrivateEndpoint, resource_name, same_id, same_word
from labcheck.providers.azure.view_cognitive import READ_ACTIONS as COGNITIVE_READ_ACTIONS
from labcheck.providers.azure.view_search import READ_ACTIONS, SearchService, SearchView, SharedPrivateLink

SEARCH_READS = READ_ACTIONS["search_service"]
ENDPOINT_READS = (*SEARCH_READS, *READ_ACTIONS["search_endpoint_connections"], *PRIVATE_ENDPOINT_READS)
OPENAI_READS = (*SEARCH_READS, *READ_ACTIONS["shared_private_links"], *COGNITIVE_READ_ACTIONS["cognitive_accounts"])
STORAGE_READS = (*SEARCH_READS, *READ_ACTIONS["shared_private_links"], *READ_ACTIONS["storage_account"])

SEARCH_ZONE = "privatelink.search.windows.net"
OPENAI_KINDS = {"openai", "aiservices"}
OPENAI_GROUPS = {"openai_account", "cognitiveservices_account"}
BLOB_GROUPS = {"blob"}


@dataclass(frozen=True)
class Role:
    """A built-in role by name and definition GUID."""

    name: str
    guid: str


OPENAI_USER = Role("Cognitive Services OpenAI User", "5e0bd9bd-7b93-4f28-af87-19fc36ad61bd")
OPENAI_CONTRIBUTOR = Role("Cognitive Services OpenAI Contributor", "a001fd3d-188f-4b5d-821b-7da978bf7442")
BLOB_READER = Role("Storage Blob Data Reader", "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1")
BLOB_CONTRIBUTOR = Role("Storage Blob Data Contributor", "ba92f5b4-2d11-453d-a403-e96b0029c9fe")


# --- discovery --------------------------------------------------------------------------------------


def _group(lab: LabInputs) -> str:
    return lab.text("resource_group")


def _root(azure: SearchView, lab: LabInputs) -> SearchService:
    """The lab's search service as the resource group's listing shows it."""
    services = azure.search_services(_group(lab))
    return pick_root(services, "search_service", lab, lambda s: s.name, lambda s: s.tags)


def _service(azure: SearchView, lab: LabInputs) -> SearchService:
    """The lab's search service as its own GET shows it; gone since the listing: blocked."""
    root = _root(azure, lab)
    found = azure.search_service(root.id)
    if found is None:
        raise BlockedError("search-service-exists", f"search service {root.name} was not found")
    return found


def _one_of(value: str | None, words: Iterable[str]) -> bool:
    """Whether an ARM enum string is one of these (case-insensitive)."""
    return any(same_word(value, word) for word in words)


def _targets(links: Iterable[SharedPrivateLink], groups: set[str]) -> list[str]:
    """The distinct resources the shared private links to these sub-resources point at."""
    found: list[str] = []
    for link in links:
        if _one_of(link.group_id, groups) and not any(same_id(link.target_id, known) for known in found):
            found.append(link.target_id)
    return [target for target in found if target]


def _openai_id(azure: SearchView, lab: LabInputs, service: SearchService) -> str:
    """The OpenAI account Search grounds with: an override, its OpenAI shared link's target, else the only one."""
    if not lab.values.get("openai_account"):
        targets = _targets(azure.shared_private_links(service.id), OPENAI_GROUPS)
        if len(targets) == 1:
            return targets[0]
    accounts = [a for a in azure.cognitive_accounts(_group(lab)) if _one_of(a.kind, OPENAI_KINDS)]
    return pick_root(accounts, "openai_account", lab, lambda a: a.name, lambda a: a.tags).id


def _storage_id(azure: SearchView, lab: LabInputs, service: SearchService | None) -> str:
    """The documents' storage account: an override, its blob shared link's target, else the only one."""
    if not lab.values.get("storage_account") and service is not None:
        targets = _targets(azure.shared_private_links(service.id), BLOB_GROUPS)
        if len(targets) == 1:
            return targets[0]
    accounts = azure.storage_accounts(_group(lab))
    return pick_root(accounts, "storage_account", lab, lambda a: a.name, lambda a: a.tags).id


# --- the search service -----------------------------------------------------------------------------


@check(
    id="search-service-exists",
    title="A running, provisioned Azure AI Search service of an allowed tier is in the lab resource group",
    severity=REQUIRED,
    permissions=SEARCH_READS,
    hint='Create an azurerm_search_service with sku = "basic" or higher in the lab resource group and tag it '
    "labcheck-lab; the free tier supports neither private endpoints nor shared private links.",
)
def search_service_exists(azure: SearchView, lab: LabInputs) -> Verdict:
    """Search is the retrieval tier of the RAG app, and only paid tiers can be reached and reach out privately."""
    root = _root(azure, lab)
    service = azure.search_service(root.id)
    if service is None:
        return failed(f"search service {root.name} is listed but was not found", root.id)
    allowed = lab.items("allowed_skus")
    problems = []
    if not _one_of(service.sku, allowed):
        problems.append(f"tier {service.sku or 'unknown'} is not one of {', '.join(allowed)}")
    if not same_word(service.status, "running"):
        problems.append(f"status is {service.status or 'unknown'}")
    if not same_word(service.provisioning_state, "succeeded"):
        problems.append(f"provisioning state is {service.provisioning_state or 'unknown'}")
    if problems:
        return failed(f"search service {service.name}: " + "; ".join(problems), service.id)
    return passed(f"search service {service.name} is {service.sku}, running and provisioned", service.id)


@check(
    id="search-public-network-disabled",
    title="The search service has public network access disabled and no IP rules",
    severity=REQUIRED,
    permissions=SEARCH_READS,
    hint="On the azurerm_search_service set public_network_access_enabled = false and remove allowed_ips.",
)
def search_public_network_disabled(azure: SearchView, lab: LabInputs) -> Verdict:
    """With keys off a public endpoint still answers every caller; the app reaches Search through its endpoint."""
    service = _service(azure, lab)
    problems = []
    if not same_word(service.public_network_access, "disabled"):
        problems.append(f"public network access is {service.public_network_access or 'not set'}")
    if service.ip_rules:
        problems.append(f"IP rules admit {', '.join(service.ip_rules)}")
    if problems:
        return failed(f"search service {service.name}: " + "; ".join(problems), service.id)
    return passed(f"search service {service.name} has public network access disabled", service.id)


def _endpoint(azure: SearchView, service: SearchService) -> tuple[PrivateEndpoint | None, list[str]]:
    """The private endpoint that privately reaches the service, or why none does."""
    connections = [c for c in azure.search_endpoint_connections(service.id) if same_word(c.group_id, "searchService")]
    if not connections:
        return None, ["no private-endpoint connection to the searchService sub-resource"]
    problems: list[str] = []
    for connection in connections:
        if not (same_word(connection.status, "approved") and same_word(connection.provisioning_state, "succeeded")):
            state = f"{connection.status or 'no status'}, provisioning {connection.provisioning_state or 'unknown'}"
            problems.append(f"connection {resource_name(connection.id)} is {state}")
            continue
        endpoint = azure.private_endpoint(connection.endpoint_id)
        found = endpoint_problems(endpoint, service.id)
        if endpoint is not None and not found:
            return endpoint, []
        problems += found
    return None, problems


@check(
    id="search-private-endpoint-approved",
    title="An approved, provisioned private endpoint in a VNet subnet targets the search service",
    severity=REQUIRED,
    permissions=ENDPOINT_READS,
    hint='Add an azurerm_private_endpoint whose private_service_connection has subresource_names = ["searchService"] '
    "and private_connection_resource_id = the search service id, in the private-endpoint subnet.",
)
def search_private_endpoint_approved(azure: SearchView, lab: LabInputs) -> Verdict:
    """The RAG app reaches a private-only search service through this endpoint and nothing else."""
    service = _service(azure, lab)
    endpoint, problems = _endpoint(azure, service)
    if endpoint is None:
        return failed(f"search service {service.name}: " + "; ".join(problems), service.id)
    name = resource_name(endpoint.id)
    return passed(f"private endpoint {name} privately reaches search service {service.name}", endpoint.id)


@check(
    id="search-private-dns",
    title="privatelink.search.windows.net resolves the service name to its private endpoint in the VNet",
    severity=REQUIRED,
    permissions=(*ENDPOINT_READS, *PRIVATE_DNS_READS),
    hint="Create the azurerm_private_dns_zone privatelink.search.windows.net, link it to the VNet "
    "(azurerm_private_dns_zone_virtual_network_link) and attach it in the search private endpoint's "
    "private_dns_zone_group so the A record is written for you.",
)
def search_private_dns(azure: SearchView, lab: LabInputs) -> Verdict:
    """Without the zone the service's public name still resolves to the public IP, which no longer answers."""
    service = _service(azure, lab)
    endpoint, problems = _endpoint(azure, service)
    if endpoint is None:
        raise BlockedError("search-private-endpoint-approved", "; ".join(problems))
    problems = dns_problems(azure, endpoint, [SEARCH_ZONE], service.name)
    if problems:
        return failed(f"search service {service.name}: " + "; ".join(problems), endpoint.id)
    name = resource_name(endpoint.id)
    return passed(f"{service.name}.{SEARCH_ZONE} resolves to private endpoint {name} in the VNet", endpoint.id)


@check(
    id="search-local-auth-disabled",
    title="The search service accepts Entra ID tokens only (API keys disabled)",
    severity=REQUIRED,
    permissions=SEARCH_READS,
    hint="On the azurerm_search_service set local_authentication_enabled = false and leave "
    "authentication_failure_mode unset, so only Entra ID and RBAC work.",
)
def search_local_auth_disabled(azure: SearchView, lab: LabInputs) -> Verdict:
    """An admin or query key bypasses RBAC and cannot be tied to a caller; tokens from identities can."""
    service = _service(azure, lab)
    if service.disable_local_auth is True:
        return passed(f"search service {service.name} has API keys disabled", service.id)
    state = "disableLocalAuth is not set" if service.disable_local_auth is None else "disableLocalAuth is false"
    if service.api_key_only:
        state += "; it accepts API keys only"
    elif service.aad_failure_mode is not None:
        state += f"; it accepts API keys or Entra ID ({service.aad_failure_mode or 'no failure mode'})"
    return failed(f"search service {service.name} still accepts API keys: {state}", service.id)


def _identity_problem(identity: ManagedIdentity | None) -> str:
    """Why a resource has no usable managed identity (empty: it has one)."""
    if identity is None:
        return "it has no managed identity"
    return "" if identity.usable else f"its identity is {identity.type or 'None'} with no principal"


@check(
    id="search-managed-identity",
    title="The search service has a managed identity",
    severity=REQUIRED,
    permissions=SEARCH_READS,
    hint='Add identity { type = "SystemAssigned" } to the azurerm_search_service: indexers and vectorizers use '
    "it to reach OpenAI and Storage without keys.",
)
def search_managed_identity(azure: SearchView, lab: LabInputs) -> Verdict:
    """Indexers and vectorizers call OpenAI and read blobs as this identity, so no key is stored anywhere."""
    service = _service(azure, lab)
    problem = _identity_problem(service.identity)
    if problem:
        return failed(f"search service {service.name}: {problem}", service.id)
    identity = service.identity
    kind = identity.type if identity else ""
    return passed(f"search service {service.name} has a {kind} managed identity", service.id)


@check(
    id="search-semantic-ranker",
    title="The semantic ranker is enabled on the search service (free or standard plan)",
    severity=REQUIRED,
    permissions=SEARCH_READS,
    hint='On the azurerm_search_service set semantic_search_sku = "free" (or "standard").',
)
def search_semantic_ranker(azure: SearchView, lab: LabInputs) -> Verdict:
    """Semantic re-ranking puts the most relevant chunks first, which is what grounds the model's answer."""
    if not lab.flag("semantic_required"):
        return not_applicable("the lab's settings do not require the semantic ranker (semantic_required=false)")
    service = _service(azure, lab)
    plan = service.semantic_search
    if _one_of(plan, ("free", "standard")):
        return passed(f"search service {service.name} has the semantic ranker on the {plan} plan", service.id)
    return failed(f"search service {service.name} has the semantic ranker {plan or 'not set'}", service.id)


# --- outbound: shared private links and roles --------------------------------------------------------


def _link_verdict(azure: SearchView, service: SearchService, target_id: str, groups: set[str], noun: str) -> Verdict:
    """Whether an approved, provisioned shared private link from the service reaches the target."""
    links = [link for link in azure.shared_private_links(service.id) if same_id(link.target_id, target_id)]
    target = resource_name(target_id)
    for link in links:
        ready = same_word(link.status, "approved") and same_word(link.provisioning_state, "succeeded")
        if ready and _one_of(link.group_id, groups):
            return passed(f"shared private link {link.name} ({link.group_id}) to {noun} {target} is approved", link.id)
    if not links:
        return failed(f"search service {service.name} has no shared private link to {noun} {target}", service.id)
    found = [
        f"{link.name} ({link.group_id or 'no group'}) is {link.status or 'no status'}, "
        f"provisioning {link.provisioning_state or 'unknown'}"
        for link in links
    ]
    wanted = " or ".join(sorted(groups))
    return failed(f"no approved {wanted} shared private link to {noun} {target}: " + "; ".join(found), service.id)


@check(
    id="search-spl-openai-approved",
    title="An approved shared private link connects the search service to the Azure OpenAI account",
    severity=REQUIRED,
    permissions=OPENAI_READS,
    hint='Create an azurerm_search_shared_private_link_service with subresource_name = "openai_account" and '
    "target_resource_id = the OpenAI account id, then approve the pending private-endpoint connection on the "
    "OpenAI account (azapi_update_resource, or az network private-endpoint-connection approve).",
)
def search_spl_openai_approved(azure: SearchView, lab: LabInputs) -> Verdict:
    """Integrated vectorization calls OpenAI; with OpenAI private too, the call must travel a shared private link."""
    service = _service(azure, lab)
    return _link_verdict(azure, service, _openai_id(azure, lab, service), OPENAI_GROUPS, "OpenAI account")


@check(
    id="search-spl-storage-approved",
    title="An approved shared private link connects the search service to the documents' blob storage",
    severity=REQUIRED,
    permissions=STORAGE_READS,
    hint='Create a second azurerm_search_shared_private_link_service with subresource_name = "blob" and '
    "target_resource_id = the storage account id, then approve its connection on the storage account.",
)
def search_spl_storage_approved(azure: SearchView, lab: LabInputs) -> Verdict:
    """The indexer reads source documents from a storage account that is closed to public networks."""
    service = _service(azure, lab)
    return _link_verdict(azure, service, _storage_id(azure, lab, service), BLOB_GROUPS, "storage account")


def _principals(service: SearchService) -> list[str]:
    """The principal ids of the service's managed identities (blocked when it has none)."""
    identity = service.identity
    found = [identity.principal_id] if identity and identity.principal_id else []
    found += [p for p in (identity.user_assigned.values() if identity else ()) if p]
    if not found:
        raise BlockedError("search-managed-identity", f"search service {service.name} has no managed identity")
    return found


def _scope_note(azure: SearchView, principal: str, target_id: str, role: Role) -> str:
    """An evidence note when the role is granted above the target rather than on it."""
    exact = [
        a
        for a in azure.role_assignments(target_id, principal)
        if same_id(a.scope, target_id) and same_word(a.role_guid, role.guid)
    ]
    return "" if exact else " (granted above it: assign at resource scope for least privilege)"


def _role_verdict(azure: SearchView, service: SearchService, target_id: str, wanted: Role, broader: Role) -> Verdict:
    """Whether one of the service's identities holds the wanted role (or, noted, the broader one) on the target."""
    principals = _principals(service)
    target = resource_name(target_id)
    for role, note in ((wanted, ""), (broader, f"; {wanted.name} would be least privilege")):
        for principal in principals:
            if not role_problems(azure, principal, target_id, {role.guid}):
                scope = _scope_note(azure, principal, target_id, role)
                return passed(f"search identity {principal} holds {role.name} on {target}{scope}{note}", target_id)
    return failed(
        f"search identity {', '.join(principals)} holds neither {wanted.name} nor {broader.name} on {target}",
        target_id,
    )


@check(
    id="search-rbac-openai",
    title="The search identity holds Cognitive Services OpenAI User on the OpenAI account",
    severity=REQUIRED,
    permissions=(*OPENAI_READS, *ROLE_READS),
    hint='Add an azurerm_role_assignment with scope = the OpenAI account id, role_definition_name = "Cognitive '
    'Services OpenAI User" and principal_id = azurerm_search_service.<name>.identity[0].principal_id.',
)
def search_rbac_openai(azure: SearchView, lab: LabInputs) -> Verdict:
    """With keys off on OpenAI, the vectorizer's embedding calls succeed only if Search's identity holds a role."""
    service = _service(azure, lab)
    return _role_verdict(azure, service, _openai_id(azure, lab, service), OPENAI_USER, OPENAI_CONTRIBUTOR)


@check(
    id="search-rbac-storage",
    title="The search identity holds Storage Blob Data Reader on the storage account",
    severity=REQUIRED,
    permissions=(*STORAGE_READS, *ROLE_READS),
    hint='Add an azurerm_role_assignment with scope = the storage account id, role_definition_name = "Storage '
    'Blob Data Reader" and principal_id = azurerm_search_service.<name>.identity[0].principal_id.',
)
def search_rbac_storage(azure: SearchView, lab: LabInputs) -> Verdict:
    """With shared keys off, the indexer reads blobs only through a data role granted to Search's identity."""
    service = _service(azure, lab)
    return _role_verdict(azure, service, _storage_id(azure, lab, service), BLOB_READER, BLOB_CONTRIBUTOR)


@check(
    id="search-storage-locked-down",
    title="The documents' storage account refuses public networks, shared keys and anonymous blob access",
    severity=REQUIRED,
    permissions=STORAGE_READS,
    hint="On the azurerm_storage_account set public_network_access_enabled = false, shared_access_key_enabled = "
    "false and allow_nested_items_to_be_public = false.",
)
def search_storage_locked_down(azure: SearchView, lab: LabInputs) -> Verdict:
    """The grounding documents are the data the RAG app protects; keys and public access would bypass RBAC."""
    services = azure.search_services(_group(lab))
    service = pick_root(services, "search_service", lab, lambda s: s.name, lambda s: s.tags) if services else None
    account_id = _storage_id(azure, lab, service)
    account = azure.storage_account(account_id)
    if account is None:
        return failed(f"storage account {resource_name(account_id)} was not found", account_id)
    problems = []
    if not (same_word(account.public_network_access, "disabled") or same_word(account.default_action, "deny")):
        problems.append(f"public network access is {account.public_network_access or 'not set'} with default Allow")
    if account.allow_shared_key_access is not False:
        problems.append("shared key access is " + ("not disabled" if account.allow_shared_key_access is None else "on"))
    if account.allow_blob_public_access is True:
        problems.append("anonymous blob access is allowed")
    if problems:
        return failed(f"storage account {account.name}: " + "; ".join(problems), account.id)
    return passed(
        f"storage account {account.name} is closed to public networks, shared keys and anonymous reads", account.id
    )


@check(
    id="search-diagnostics-to-law",
    title="The search service sends allLogs (or audit or OperationLogs) to a Log Analytics workspace",
    severity=REQUIRED,
    permissions=(*SEARCH_READS, *DIAGNOSTICS_READS),
    hint="Add an azurerm_monitor_diagnostic_setting on the search service with log_analytics_workspace_id and "
    'enabled_log { category_group = "allLogs" }.',
)
def search_diagnostics_to_law(azure: SearchView, lab: LabInputs) -> Verdict:
    """Operation logs show who queried and changed indexes; they are the audit trail of the retrieval tier."""
    service = _service(azure, lab)
    problems = diagnostics_problems(azure, service.id, {"alllogs", "audit"}, {"operationlogs"})
    if problems:
        return failed(f"search service {service.name}: " + "; ".join(problems), service.id)
    return passed(f"search service {service.name} sends its logs to Log Analytics", service.id)


# --- advisory ---------------------------------------------------------------------------------------


@check(
    id="search-cmk-enforced",
    title="The search service enforces customer-managed keys and is compliant",
    severity=ADVISORY,
    permissions=SEARCH_READS,
    hint="On the azurerm_search_service set customer_managed_key_enforcement_enabled = true; every index and "
    "synonym map must then carry a Key Vault key (CMK is applied per object on the data plane).",
)
def search_cmk_enforced(azure: SearchView, lab: LabInputs) -> Verdict:
    """Indexes hold copies of the source documents; a key the company controls can make them unreadable."""
    service = _service(azure, lab)
    enforcement, compliance = service.cmk_enforcement, service.cmk_compliance
    if same_word(enforcement, "enabled") and same_word(compliance, "compliant"):
        return passed(f"search service {service.name} enforces customer-managed keys and is compliant", service.id)
    wanted = " (the lab's settings ask for it)" if lab.flag("cmk_required") else ""
    return failed(
        f"search service {service.name}: CMK enforcement is {enforcement or 'not set'}, "
        f"compliance {compliance or 'unknown'}{wanted}",
        service.id,
    )


@check(
    id="search-exfiltration-blocked",
    title="The search service blocks data exfiltration (BlockAll)",
    severity=ADVISORY,
    permissions=SEARCH_READS,
    hint='Set dataExfiltrationProtections = ["BlockAll"] with an azapi_update_resource on '
    "Microsoft.Search/searchServices@2025-05-01 (azurerm_search_service has no argument for it).",
)
def search_exfiltration_blocked(azure: SearchView, lab: LabInputs) -> Verdict:
    """BlockAll stops the service from sending data anywhere it was not explicitly allowed to."""
    service = _service(azure, lab)
    if any(same_word(p, "BlockAll") for p in service.exfiltration_protections):
        return passed(f"search service {service.name} blocks all data exfiltration", service.id)
    found = ", ".join(service.exfiltration_protections) or "not set"
    return failed(f"search service {service.name}: data exfiltration protection is {found}", service.id)
