"""The requirements of azure-ai-content-safety-gateway, as code.

The API Management instance is the root: the only one in the learner's resource group, else the one tagged
labcheck-lab (or `--input apim_service=<name>`). The Azure OpenAI account is the one the gateway's API targets
(host match), else the only OpenAI/AIServices account of the group; the Content Safety account is the one the
`llm-content-safety` backend targets, else the only ContentSafety account. Policies, backends, deployments,
RAI policies, blocklists, role assignments and diagnostic settings follow from their ids.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from labcheck.errors import BlockedError
from labcheck.model import ADVISORY, REQUIRED, LabInputs, Verdict, check, failed, passed
from labcheck.providers.azure import fragments
from labcheck.providers.azure.discovery import pick_root
from labcheck.providers.azure.view import same_id, same_word
from labcheck.providers.azure.view_cognitive import READ_ACTIONS as COGNITIVE_READ_ACTIONS
from labcheck.providers.azure.view_cognitive import CognitiveAccount, ContentFilter, ModelDeployment, RaiPolicy
from labcheck.providers.azure.view_gateway import READ_ACTIONS as GATEWAY_READ_ACTIONS
from labcheck.providers.azure.view_gateway import (
    ApimService,
    Backend,
    GatewayApi,
    GatewayView,
    PolicyElement,
    effective_section,
    host_of,
    walk,
)

# The RBAC action of every GatewayView read: its API Management reads and the ones it inherits from CognitiveView.
VIEW_READ_ACTIONS = {**COGNITIVE_READ_ACTIONS, **GATEWAY_READ_ACTIONS}


def _reads(*names: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(VIEW_READ_ACTIONS[name][0] for name in names))


APIM_READS = _reads("apim_services", "apim_service")
ROUTE_READS = (*APIM_READS, *_reads("apim_apis", "apim_api_policy", "apim_service_policy", "apim_backends"))
# Accounts are found by kind; with several of a kind, by the host the gateway targets (the route reads).
ACCOUNT_READS = (*_reads("cognitive_accounts"), *ROUTE_READS)
RAI_READS = (*ACCOUNT_READS, *_reads("model_deployments", "rai_policy"))
BLOCKLIST_READS = (*RAI_READS, *_reads("rai_blocklists", "rai_blocklist_items"))

OPENAI_USER = "5e0bd9bd-7b93-4f28-af87-19fc36ad61bd"
OPENAI_CONTRIBUTOR = "a001fd3d-188f-4b5d-821b-7da978bf7442"
COGNITIVE_SERVICES_USER = "a97b65f3-24c7-4388-baec-2e87135dc908"
COGNITIVE_RESOURCE = "https://cognitiveservices.azure.com"
AUTH_ELEMENT = "authentication-managed-identity"
OPENAI_KINDS = {"openai", "aiservices"}
HOST_SUFFIXES = ("openai.azure.com", "cognitiveservices.azure.com", "services.ai.azure.com")
HARM = ("hate", "sexual", "violence", "selfharm")
SOURCES = ("prompt", "completion")
TOKEN_LIMITS = ("llm-token-limit", "azure-openai-token-limit")
TOKEN_METRICS = ("llm-emit-token-metric", "azure-openai-emit-token-metric")
TOKEN_VALIDATION = ("validate-jwt", "validate-azure-ad-token")
LOG_GROUPS = {"alllogs", "audit"}
LOG_CATEGORIES = {"audit", "requestresponse"}


# --- discovery --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    """An API of the gateway as API Management runs it: effective inbound policy and where it sends calls."""

    api: GatewayApi
    inbound: tuple[PolicyElement, ...]
    backends: Mapping[str, Backend]  # by lower-cased name
    url: str
    backend: Backend | None  # the one named by set-backend-service, if any

    @property
    def host(self) -> str:
        """The host the API forwards to."""
        return host_of(self.url)

    def find(self, *tags: str) -> list[PolicyElement]:
        """The effective inbound elements with one of these tags, nested ones included."""
        return [e for e in walk(self.inbound) if e.tag in tags]


def _route(api: GatewayApi, inbound: tuple[PolicyElement, ...], backends: Mapping[str, Backend]) -> Route:
    """Where an API's calls go: the backend of set-backend-service (or its base-url), else serviceUrl."""
    for element in walk(inbound):
        if element.tag == "set-backend-service":
            named = element.attribute("backend-id")
            backend = backends.get(named.lower()) if named else None
            url = (backend.url if backend else "") if named else element.attribute("base-url")
            return Route(api, inbound, backends, url, backend)
    return Route(api, inbound, backends, api.service_url or "", None)


def _routes(azure: GatewayView, service: ApimService) -> list[Route]:
    backends = {b.name.lower(): b for b in azure.apim_backends(service.id)}
    global_policy = azure.apim_service_policy(service.id)
    return [
        _route(api, effective_section(azure.apim_api_policy(service.id, api.name), global_policy, "inbound"), backends)
        for api in azure.apim_apis(service.id)
        if api.is_current is not False
    ]


def _apim_root(azure: GatewayView, lab: LabInputs) -> ApimService:
    candidates = azure.apim_services(lab.text("resource_group"))
    return pick_root(candidates, "apim_service", lab, lambda s: s.name, lambda s: s.tags)


def _apim(azure: GatewayView, lab: LabInputs) -> ApimService:
    root = _apim_root(azure, lab)
    service = azure.apim_service(lab.text("resource_group"), root.name)
    if service is None:
        raise BlockedError("gw-apim-exists", f"API Management instance {root.name} was not found")
    return service


def _hosts(account: CognitiveAccount) -> set[str]:
    subdomain = (account.custom_subdomain or "").lower()
    hosts = {f"{subdomain}.{suffix}" for suffix in HOST_SUFFIXES} if subdomain else set()
    return (hosts | {host_of(url) for url in (account.endpoint, *account.endpoint_urls)}) - {""}


def _targeted_hosts(azure: GatewayView, lab: LabInputs, role: str) -> set[str]:
    """The hosts the gateway sends to: the APIs' targets (OpenAI), or the llm-content-safety backends."""
    service = _apim(azure, lab)
    routes = _routes(azure, service)
    if role == "openai_account":
        return {r.host for r in routes}
    named = {e.attribute("backend-id").lower() for r in routes for e in r.find("llm-content-safety")}
    return {host_of(b.url) for b in azure.apim_backends(service.id) if b.name.lower() in named}


def _account(azure: GatewayView, lab: LabInputs, role: str, kinds: set[str]) -> CognitiveAccount | None:
    """The lab's account of these kinds: the override, the only one, the one the gateway targets, the tagged one."""
    candidates = [a for a in azure.cognitive_accounts(lab.text("resource_group")) if a.kind.lower() in kinds]
    if len(candidates) > 1 and not lab.values.get(role):
        targeted = _targeted_hosts(azure, lab, role)
        candidates = [a for a in candidates if _hosts(a) & targeted] or candidates
    if not candidates and not lab.values.get(role):
        return None
    return pick_root(candidates, role, lab, lambda a: a.name, lambda a: a.tags)


def _aoai(azure: GatewayView, lab: LabInputs) -> CognitiveAccount | None:
    return _account(azure, lab, "openai_account", OPENAI_KINDS)


def _content_safety(azure: GatewayView, lab: LabInputs) -> CognitiveAccount | None:
    return _account(azure, lab, "content_safety_account", {"contentsafety"})


def _openai_routes(azure: GatewayView, lab: LabInputs) -> tuple[CognitiveAccount, list[Route]]:
    """The gateway's APIs that forward to the OpenAI account (C3 grades them; the policy checks read them)."""
    service, aoai = _apim(azure, lab), _aoai(azure, lab)
    if aoai is None:
        raise BlockedError("gw-api-keyless-backend", f"no Azure OpenAI account in {lab.text('resource_group')}")
    routes = [r for r in _routes(azure, service) if r.host in _hosts(aoai)]
    if not routes:
        raise BlockedError("gw-api-keyless-backend", f"no API of {service.name} forwards to {aoai.name}")
    return aoai, routes


def _principal(azure: GatewayView, service: ApimService) -> str | None:
    """The identity the gateway calls with: a user-assigned one its policy names by client-id, else the system one."""
    named = {e.attribute("client-id").lower() for r in _routes(azure, service) for e in r.find(AUTH_ELEMENT)} - {""}
    chosen = [u.principal_id for u in service.user_identities if u.client_id.lower() in named and u.principal_id]
    return chosen[0] if chosen else service.system_principal


# --- API Management ---------------------------------------------------------------------------------


@check(
    id="gw-apim-exists",
    title="A provisioned API Management instance on a tier other than Consumption fronts the lab",
    severity=REQUIRED,
    permissions=APIM_READS,
    hint='Create an azurerm_api_management with sku_name = "BasicV2_1" (or "Developer_1") in the lab resource '
    "group and tag it labcheck-lab; the Consumption tier has no llm-content-safety policy.",
)
def gw_apim_exists(azure: GatewayView, lab: LabInputs) -> Verdict:
    """The gateway is where keys, content screening and token limits are enforced for every client."""
    root = _apim_root(azure, lab)
    service = azure.apim_service(lab.text("resource_group"), root.name)
    if service is None:
        return failed(f"API Management instance {root.name} was not found", root.id)
    problems = []
    if not same_word(service.provisioning_state, "succeeded"):
        problems.append(f"is {service.provisioning_state or 'not provisioned'}")
    if same_word(service.sku_name, "consumption"):
        problems.append("is on the Consumption tier, which has no llm-content-safety policy")
    if problems:
        return failed(f"API Management {service.name} " + " and ".join(problems), service.id)
    return passed(f"API Management {service.name} ({service.sku_name}) is provisioned", service.id)


@check(
    id="gw-apim-managed-identity",
    title="The API Management instance has a managed identity to call Azure AI with",
    severity=REQUIRED,
    permissions=ROUTE_READS,
    hint='Add identity { type = "SystemAssigned" } to the azurerm_api_management (a user-assigned identity also '
    "works when the policy's authentication-managed-identity names its client-id).",
)
def gw_apim_managed_identity(azure: GatewayView, lab: LabInputs) -> Verdict:
    """Without an identity the gateway can only reach Azure OpenAI and Content Safety with keys."""
    service = _apim(azure, lab)
    if service.system_principal:
        return passed(f"{service.name} has a system-assigned identity ({service.system_principal})", service.id)
    if not service.user_identities:
        return failed(f"{service.name} has no managed identity (type {service.identity_type or 'None'})", service.id)
    principal = _principal(azure, service)
    if principal:
        return passed(f"{service.name} calls with user-assigned identity {principal}", service.id)
    return failed(
        f"{service.name} has only user-assigned identities and no authentication-managed-identity client-id names "
        "one of them",
        service.id,
    )


def _keyless_problems(route: Route) -> list[str]:
    problems = []
    identities = [
        e for e in route.find(AUTH_ELEMENT) if e.attribute("resource").rstrip("/").lower() == COGNITIVE_RESOURCE
    ]
    if not identities:
        problems.append(f'has no <{AUTH_ELEMENT} resource="{COGNITIVE_RESOURCE}" /> in its inbound policy')
    if [e for e in route.find("set-header") if e.attribute("name").lower() == "api-key"]:
        problems.append("sets an api-key header")
    if route.backend and any(name.lower() == "api-key" for name in route.backend.header_names):
        problems.append(f"sends an api-key header through backend {route.backend.name}")
    return problems


@check(
    id="gw-api-keyless-backend",
    title="An API forwards to the Azure OpenAI account with the managed identity, never an api-key",
    severity=REQUIRED,
    permissions=ACCOUNT_READS,
    hint="In the azurerm_api_management_api_policy xml_content <inbound>, add <authentication-managed-identity "
    'resource="https://cognitiveservices.azure.com" /> and remove any api-key set-header, named value or '
    "azurerm_api_management_backend credentials header.",
)
def gw_api_keyless_backend(azure: GatewayView, lab: LabInputs) -> Verdict:
    """A key copied into the gateway is a long-lived secret that works from anywhere; a token is neither."""
    service, aoai = _apim(azure, lab), _aoai(azure, lab)
    if aoai is None:
        return failed(f"no Azure OpenAI account in {lab.text('resource_group')} for {service.name} to call")
    routes = [r for r in _routes(azure, service) if r.host in _hosts(aoai)]
    if not routes:
        return failed(f"no API of {service.name} forwards to {aoai.name} ({', '.join(sorted(_hosts(aoai)))})", aoai.id)
    problems = {r.api.name: _keyless_problems(r) for r in routes}
    keyless = [name for name, found in problems.items() if not found]
    if keyless:
        return passed(f"API {keyless[0]} of {service.name} calls {aoai.name} with its managed identity", service.id)
    detail = "; ".join(f"API {name} {', '.join(found)}" for name, found in problems.items())
    return failed(detail, service.id, aoai.id)


def _role_verdict(
    azure: GatewayView, principal: str, target: CognitiveAccount, role: str, guids: tuple[str, ...]
) -> Verdict:
    """Passes on the first accepted role held (later ones are broader: noted); notes an ancestor-scope grant."""
    for rank, guid in enumerate(guids):
        if fragments.role_problems(azure, principal, target.id, {guid}):
            continue
        exact = any(same_id(a.scope, target.id) for a in azure.role_assignments(target.id, principal))
        notes = [] if rank == 0 else [f"a broader role than {role}; prefer {role} for least privilege"]
        notes += [] if exact else ["assigned above the account; assign it at the account's scope for least privilege"]
        note = f" ({'; '.join(notes)})" if notes else ""
        return passed(f"the gateway identity {principal} holds {role} on {target.name}{note}", target.id)
    return failed(f"the gateway identity {principal} does not hold {role} on {target.name}", target.id)


@check(
    id="gw-apim-rbac-openai",
    title="The gateway's identity holds Cognitive Services OpenAI User on the Azure OpenAI account",
    severity=REQUIRED,
    permissions=(*ACCOUNT_READS, *fragments.ROLE_READS),
    hint='Add an azurerm_role_assignment with scope = the OpenAI account id, role_definition_name = "Cognitive '
    'Services OpenAI User" and principal_id = azurerm_api_management.<name>.identity[0].principal_id.',
)
def gw_apim_rbac_openai(azure: GatewayView, lab: LabInputs) -> Verdict:
    """A managed-identity token is refused unless the identity holds a data-plane role on the account."""
    service = _apim(azure, lab)
    principal = _principal(azure, service)
    if not principal:
        raise BlockedError("gw-apim-managed-identity", f"{service.name} has no managed identity")
    aoai = _aoai(azure, lab)
    if aoai is None:
        raise BlockedError("gw-aoai-local-auth-disabled", f"no Azure OpenAI account in {lab.text('resource_group')}")
    return _role_verdict(azure, principal, aoai, "Cognitive Services OpenAI User", (OPENAI_USER, OPENAI_CONTRIBUTOR))


@check(
    id="gw-apim-rbac-content-safety",
    title="The gateway's identity holds Cognitive Services User on the Content Safety account",
    severity=REQUIRED,
    permissions=(*ACCOUNT_READS, *fragments.ROLE_READS),
    hint="Add an azurerm_role_assignment with scope = the Content Safety account id, role_definition_name = "
    '"Cognitive Services User" and principal_id = the API Management identity\'s principal_id.',
)
def gw_apim_rbac_content_safety(azure: GatewayView, lab: LabInputs) -> Verdict:
    """llm-content-safety calls Content Safety with the gateway's identity; without the role every prompt errors."""
    service = _apim(azure, lab)
    principal = _principal(azure, service)
    if not principal:
        raise BlockedError("gw-apim-managed-identity", f"{service.name} has no managed identity")
    safety = _content_safety(azure, lab)
    if safety is None:
        raise BlockedError("gw-content-safety-account", f"no Content Safety account in {lab.text('resource_group')}")
    return _role_verdict(azure, principal, safety, "Cognitive Services User", (COGNITIVE_SERVICES_USER,))


def _at_most(text: str, limit: int) -> bool:
    return text.strip().isdigit() and int(text) <= limit


def _safety_problems(route: Route, expected_host: str) -> list[str]:
    elements = route.find("llm-content-safety")
    if not elements:
        return ["has no <llm-content-safety> in its inbound policy"]
    element, problems = elements[0], []
    if not same_word(element.attribute("shield-prompt"), "true"):
        problems.append(f'has shield-prompt="{element.attribute("shield-prompt")}", not "true"')
    output = next((e.attribute("output-type") for e in walk(element.children) if e.tag == "categories"), "")
    if output and not same_word(output, "FourSeverityLevels"):
        problems.append(f"grades on {output}, not FourSeverityLevels")
    limits = {
        e.attribute("name").lower(): e.attribute("threshold") for e in walk(element.children) if e.tag == "category"
    }
    weak = [name for name in HARM if not _at_most(limits.get(name, ""), 4)]
    if weak:
        problems.append(f"does not block {', '.join(weak)} at threshold 4 or lower")
    backend = route.backends.get(element.attribute("backend-id").lower())
    if backend is None or host_of(backend.url) != expected_host:
        problems.append(
            f"uses backend {element.attribute('backend-id') or '(none)'}, which does not point at {expected_host}"
        )
    return problems


@check(
    id="gw-llm-content-safety-policy",
    title="The gateway screens prompts with llm-content-safety, prompt shield on, against the Content Safety account",
    severity=REQUIRED,
    permissions=ACCOUNT_READS,
    hint='Add <llm-content-safety backend-id="content-safety-backend" shield-prompt="true"> with categories Hate, '
    "SelfHarm, Sexual and Violence at threshold 4 or lower to the API policy's <inbound>, and an "
    "azurerm_api_management_backend whose url is the Content Safety endpoint.",
)
def gw_llm_content_safety_policy(azure: GatewayView, lab: LabInputs) -> Verdict:
    """Screening at the gateway stops harmful prompts and jailbreaks before they reach, or bill, the model."""
    _, routes = _openai_routes(azure, lab)
    safety = _content_safety(azure, lab)
    if safety is None:
        raise BlockedError("gw-content-safety-account", f"no Content Safety account in {lab.text('resource_group')}")
    expected = f"{(safety.custom_subdomain or safety.name).lower()}.cognitiveservices.azure.com"
    problems = [f"API {r.api.name} {p}" for r in routes for p in _safety_problems(r, expected)]
    if problems:
        return failed("; ".join(problems), *(r.api.id for r in routes))
    names = ", ".join(r.api.name for r in routes)
    return passed(f"API {names} screens prompts with llm-content-safety via {expected}", *(r.api.id for r in routes))


# --- the AI accounts --------------------------------------------------------------------------------


@check(
    id="gw-content-safety-account",
    title="A provisioned Content Safety account with a custom subdomain and keys disabled exists",
    severity=REQUIRED,
    permissions=ACCOUNT_READS,
    hint='Create an azurerm_cognitive_account with kind = "ContentSafety", sku_name = "S0", custom_subdomain_name '
    "and local_auth_enabled = false.",
)
def gw_content_safety_account(azure: GatewayView, lab: LabInputs) -> Verdict:
    """The gateway needs its own screening service, reachable with Entra ID tokens only."""
    safety = _content_safety(azure, lab)
    if safety is None:
        return failed(f"no Content Safety account (kind ContentSafety) in {lab.text('resource_group')}")
    problems = []
    if not same_word(safety.provisioning_state, "succeeded"):
        problems.append(f"is {safety.provisioning_state or 'not provisioned'}")
    if not safety.custom_subdomain:
        problems.append("has no custom subdomain (Entra ID tokens need one)")
    if safety.disable_local_auth is not True:
        problems.append(f"accepts keys (disableLocalAuth is {safety.disable_local_auth})")
    if problems:
        return failed(f"Content Safety account {safety.name} " + ", ".join(problems), safety.id)
    return passed(
        f"Content Safety account {safety.name} is provisioned, keyless, at {safety.custom_subdomain}", safety.id
    )


@check(
    id="gw-aoai-local-auth-disabled",
    title="The Azure OpenAI account behind the gateway has keys (local auth) disabled",
    severity=REQUIRED,
    permissions=ACCOUNT_READS,
    hint="Set local_auth_enabled = false on the OpenAI azurerm_cognitive_account, so the only way in is the "
    "gateway's managed identity.",
)
def gw_aoai_local_auth_disabled(azure: GatewayView, lab: LabInputs) -> Verdict:
    """With keys on, anyone holding one bypasses the gateway and its content screening and token limits."""
    aoai = _aoai(azure, lab)
    if aoai is None:
        return failed(f"no Azure OpenAI (kind OpenAI or AIServices) account in {lab.text('resource_group')}")
    if aoai.disable_local_auth is not True:
        return failed(f"{aoai.name} accepts API keys (disableLocalAuth is {aoai.disable_local_auth})", aoai.id)
    return passed(f"{aoai.name} has local (key) authentication disabled", aoai.id)


def _capable(deployment: ModelDeployment, *capabilities: str) -> bool:
    return any(
        k.lower() in {c.lower() for c in capabilities} and str(v).lower() == "true"
        for k, v in deployment.capabilities.items()
    )


def _generative(deployment: ModelDeployment) -> bool:
    """Chat or completion deployments (embeddings may keep the default policy); by model name if no capabilities."""
    if deployment.capabilities:
        return _capable(deployment, "chatCompletion", "completion")
    return deployment.model_name.lower().startswith(("gpt-", "o"))


def _on(found: ContentFilter | None) -> bool:
    return found is not None and found.enabled is True and found.blocking is True


def _strict(found: ContentFilter | None) -> bool:
    """Enabled, blocking, and at Medium or Low (Low blocks the most)."""
    return _on(found) and found is not None and (found.severity_threshold or "").lower() in {"low", "medium"}


def _harm_problems(policy: RaiPolicy) -> list[str]:
    filters = {f.key: f for f in policy.content_filters}
    weak = [f"{c}/{s}" for c in HARM for s in SOURCES if not _strict(filters.get((c, s)))]
    problems = [f"does not block {', '.join(weak)} at Medium or stricter"] if weak else []
    if not _on(filters.get(("jailbreak", "prompt"))):
        problems.append("has the Jailbreak prompt shield off")
    return problems


def _rai_problems(azure: GatewayView, aoai: CognitiveAccount, deployment: ModelDeployment) -> list[str]:
    name = deployment.rai_policy_name or ""
    if not name or name.lower().startswith("microsoft."):
        return [f"uses {name or 'no'} RAI policy, not a custom one"]
    policy = azure.rai_policy(aoai.id, name)
    if policy is None:
        return [f"names RAI policy {name}, which does not exist"]
    if not same_word(policy.policy_type, "usermanaged"):
        return [f"uses {name}, a {policy.policy_type or 'system'} policy"]
    return [f"policy {name} {p}" for p in _harm_problems(policy)]


@check(
    id="gw-deployments-custom-rai",
    title="Every chat deployment uses a custom RAI policy blocking harm at Medium or stricter, with jailbreak shield",
    severity=REQUIRED,
    permissions=RAI_READS,
    hint="Create the RAI policy (the starter's azapi_resource of type "
    "Microsoft.CognitiveServices/accounts/raiPolicies, base Microsoft.DefaultV2) with blocking filters at Medium "
    "for Hate, Sexual, Violence and Selfharm on Prompt and Completion plus Jailbreak, and set rai_policy_name on "
    "each azurerm_cognitive_deployment.",
)
def gw_deployments_custom_rai(azure: GatewayView, lab: LabInputs) -> Verdict:
    """The model's own filter is the last line of defence for any path that skips the gateway's screening."""
    aoai = _aoai(azure, lab)
    if aoai is None:
        return failed(f"no Azure OpenAI account in {lab.text('resource_group')}")
    deployments = azure.model_deployments(aoai.id)
    healthy = [d for d in deployments if same_word(d.provisioning_state, "succeeded") and _generative(d)]
    if not healthy:
        return failed(f"{aoai.name} has no provisioned chat deployment", aoai.id)
    problems = [
        f"deployment {d.name}: {p}" for d in deployments if _generative(d) for p in _rai_problems(azure, aoai, d)
    ]
    if problems:
        return failed("; ".join(problems), aoai.id)
    names = ", ".join(sorted({d.rai_policy_name or "" for d in deployments if _generative(d)}))
    return passed(f"the chat deployments of {aoai.name} use custom RAI policy {names}", aoai.id)


def _custom_policies(azure: GatewayView, lab: LabInputs) -> tuple[CognitiveAccount, list[RaiPolicy]]:
    """The custom RAI policies the generative deployments use (C10 grades whether they all do)."""
    aoai = _aoai(azure, lab)
    if aoai is None:
        raise BlockedError("gw-deployments-custom-rai", f"no Azure OpenAI account in {lab.text('resource_group')}")
    names = sorted(
        {
            d.rai_policy_name
            for d in azure.model_deployments(aoai.id)
            if _generative(d) and d.rai_policy_name and not d.rai_policy_name.lower().startswith("microsoft.")
        }
    )
    policies = [p for p in (azure.rai_policy(aoai.id, n) for n in names) if p is not None]
    policies = [p for p in policies if same_word(p.policy_type, "usermanaged")]
    if not policies:
        raise BlockedError("gw-deployments-custom-rai", f"no chat deployment of {aoai.name} uses a custom RAI policy")
    return aoai, policies


def _filter_verdict(azure: GatewayView, lab: LabInputs, wanted: Mapping[tuple[str, str], bool], what: str) -> Verdict:
    """Each wanted (filter, source) is enabled, and blocking where the mapping says so, in every custom policy."""
    aoai, policies = _custom_policies(azure, lab)
    problems = []
    for policy in policies:
        filters = {f.key: f for f in policy.content_filters}
        for key, blocking in wanted.items():
            found = filters.get(key)
            if found is None or found.enabled is not True or (blocking and found.blocking is not True):
                problems.append(
                    f"policy {policy.name}: {key[0]}/{key[1]} is not {'on and blocking' if blocking else 'on'}"
                )
    if problems:
        return failed("; ".join(problems), aoai.id)
    return passed(f"{what} on in {', '.join(p.name for p in policies)}", aoai.id)


@check(
    id="gw-rai-prompt-shields",
    title="The custom RAI policy blocks jailbreak and indirect (document) attacks on prompts",
    severity=REQUIRED,
    permissions=RAI_READS,
    hint="In the RAI policy (azapi_resource raiPolicies body.properties.contentFilters) enable and block "
    '"Jailbreak" and "Indirect Attack" on source "Prompt" (prompt shields).',
)
def gw_rai_prompt_shields(azure: GatewayView, lab: LabInputs) -> Verdict:
    """Prompt shields stop user jailbreaks and instructions smuggled in through grounding documents."""
    wanted = {("jailbreak", "prompt"): True, ("indirectattack", "prompt"): True}
    return _filter_verdict(azure, lab, wanted, "jailbreak and indirect-attack shields are")


@check(
    id="gw-rai-protected-material",
    title="The custom RAI policy blocks protected text and flags protected code in completions",
    severity=REQUIRED,
    permissions=RAI_READS,
    hint='In the RAI policy (azapi_resource raiPolicies body.properties.contentFilters) enable "Protected Material '
    'Text" (blocking) and "Protected Material Code" (blocking or annotate-only) on source "Completion".',
)
def gw_rai_protected_material(azure: GatewayView, lab: LabInputs) -> Verdict:
    """Completions that reproduce copyrighted text or licensed code are a legal risk for the deployer."""
    wanted = {("protectedmaterialtext", "completion"): True, ("protectedmaterialcode", "completion"): False}
    return _filter_verdict(azure, lab, wanted, "protected-material filters are")


def _blocklist_problem(
    azure: GatewayView, aoai: CognitiveAccount, policy: RaiPolicy, source: str, existing: set[str]
) -> str | None:
    attached = [
        r.blocklist_name
        for r in policy.custom_blocklists
        if same_word(r.source, source) and r.blocking is True and r.blocklist_name.lower() in existing
    ]
    if any(azure.rai_blocklist_items(aoai.id, name) for name in attached):
        return None
    if attached:
        return f"policy {policy.name} blocks {source} with {', '.join(attached)}, which has no items"
    return f"policy {policy.name} attaches no existing blocklist to {source} with blocking on"


@check(
    id="gw-rai-blocklist-attached",
    title="A non-empty custom blocklist is attached, blocking, to prompts and completions",
    severity=REQUIRED,
    permissions=BLOCKLIST_READS,
    hint="Create an azurerm_cognitive_account_rai_blocklist with at least one azapi_resource raiBlocklistItems term, "
    "and list it in the RAI policy's customBlocklists for Prompt and Completion with blocking = true (azurerm "
    "cannot attach it: use the starter's azapi_resource RAI policy).",
)
def gw_rai_blocklist_attached(azure: GatewayView, lab: LabInputs) -> Verdict:
    """A blocklist stops the organisation's own forbidden terms (project names, competitors) both ways."""
    aoai, policies = _custom_policies(azure, lab)
    existing = {name.lower() for name in azure.rai_blocklists(aoai.id)}
    problems = [
        problem
        for policy in policies
        for source in ("Prompt", "Completion")
        if (problem := _blocklist_problem(azure, aoai, policy, source, existing))
    ]
    if problems:
        return failed("; ".join(problems), aoai.id)
    return passed(f"RAI policy {', '.join(p.name for p in policies)} blocks a non-empty blocklist both ways", aoai.id)


# --- gateway policies -------------------------------------------------------------------------------


def _caps_tokens(element: PolicyElement, limit: int) -> bool:
    if _at_most(element.attribute("tokens-per-minute"), limit):
        return True
    return bool(element.attribute("token-quota") and element.attribute("token-quota-period"))


@check(
    id="gw-token-limit",
    title="Every API to Azure OpenAI caps tokens per minute (or sets a token quota)",
    severity=REQUIRED,
    permissions=ACCOUNT_READS,
    hint='Add <llm-token-limit counter-key="@(context.Subscription.Id)" tokens-per-minute="5000" '
    'estimate-prompt-tokens="true" /> to the azurerm_api_management_api_policy <inbound>.',
)
def gw_token_limit(azure: GatewayView, lab: LabInputs) -> Verdict:
    """A per-consumer token cap keeps one client from exhausting the quota or the budget."""
    _, routes = _openai_routes(azure, lab)
    limit = lab.number("max_tokens_per_minute")
    uncapped = [r.api.name for r in routes if not any(_caps_tokens(e, limit) for e in r.find(*TOKEN_LIMITS))]
    if uncapped:
        return failed(
            f"API {', '.join(uncapped)} has no llm-token-limit of at most {limit} tokens per minute (or a quota)",
            *(r.api.id for r in routes),
        )
    return passed(
        f"API {', '.join(r.api.name for r in routes)} caps tokens (at most {limit} per minute, or a quota)",
        routes[0].api.id,
    )


@check(
    id="gw-api-subscription-required",
    title="Every API to Azure OpenAI requires a subscription key or validates an Entra ID token",
    severity=REQUIRED,
    permissions=ACCOUNT_READS,
    hint="Keep subscription_required = true on the azurerm_api_management_api (or validate Entra ID tokens with "
    "<validate-azure-ad-token>) so the gateway is not an open proxy.",
)
def gw_api_subscription_required(azure: GatewayView, lab: LabInputs) -> Verdict:
    """An open gateway lends its managed identity, and the model, to anyone who finds the URL."""
    _, routes = _openai_routes(azure, lab)
    open_apis = [
        r.api.name for r in routes if r.api.subscription_required is not True and not r.find(*TOKEN_VALIDATION)
    ]
    if open_apis:
        return failed(
            f"API {', '.join(open_apis)} needs neither a subscription key nor a token", *(r.api.id for r in routes)
        )
    return passed(f"API {', '.join(r.api.name for r in routes)} admits only identified callers", routes[0].api.id)


# --- monitoring -------------------------------------------------------------------------------------


@check(
    id="gw-diagnostics",
    title="The Azure OpenAI and Content Safety accounts send audit or request logs to Log Analytics",
    severity=REQUIRED,
    permissions=(*ACCOUNT_READS, *fragments.DIAGNOSTICS_READS),
    hint="Add an azurerm_monitor_diagnostic_setting on each account with log_analytics_workspace_id and "
    'enabled_log { category_group = "allLogs" }.',
)
def gw_diagnostics(azure: GatewayView, lab: LabInputs) -> Verdict:
    """Logs of both services are the audit trail of who asked what, and what was blocked."""
    accounts = (("Azure OpenAI", _aoai(azure, lab)), ("Content Safety", _content_safety(azure, lab)))
    problems = []
    for label, account in accounts:
        if account is None:
            problems.append(f"no {label} account in {lab.text('resource_group')}")
            continue
        found = fragments.diagnostics_problems(azure, account.id, LOG_GROUPS, LOG_CATEGORIES)
        problems += [f"{account.name}: {p}" for p in found]
    ids = [a.id for _, a in accounts if a is not None]
    if problems:
        return failed("; ".join(problems), *ids)
    return passed(f"{' and '.join(a.name for _, a in accounts if a)} send logs to Log Analytics", *ids)


# --- advisory ---------------------------------------------------------------------------------------


@check(
    id="gw-content-safety-network",
    title="The Content Safety account is not open to every network",
    severity=ADVISORY,
    permissions=ACCOUNT_READS,
    hint='Set public_network_access_enabled = false, or network_acls { default_action = "Deny" }, on the Content '
    "Safety azurerm_cognitive_account (API Management then needs VNet integration: StandardV2, or Developer in "
    "a VNet).",
)
def gw_content_safety_network(azure: GatewayView, lab: LabInputs) -> Verdict:
    """Only the gateway needs to reach Content Safety; advisory because the Basic v2 tier has no VNet integration."""
    safety = _content_safety(azure, lab)
    if safety is None:
        raise BlockedError("gw-content-safety-account", f"no Content Safety account in {lab.text('resource_group')}")
    default_action = safety.network_acls.default_action if safety.network_acls else None
    if same_word(safety.public_network_access, "disabled") or same_word(default_action, "deny"):
        return passed(f"{safety.name} is closed to public networks", safety.id)
    return failed(
        f"{safety.name} allows public network access ({safety.public_network_access or 'Enabled'}, default action "
        f"{default_action or 'Allow'})",
        safety.id,
    )


@check(
    id="gw-token-metrics",
    title="Every API to Azure OpenAI emits token-usage metrics",
    severity=ADVISORY,
    permissions=ACCOUNT_READS,
    hint='Add <llm-emit-token-metric namespace="..."> with a Subscription ID dimension to the <inbound> of the '
    "azurerm_api_management_api_policy xml_content (and Application Insights on API Management) to charge back usage.",
)
def gw_token_metrics(azure: GatewayView, lab: LabInputs) -> Verdict:
    """Per-consumer token metrics are how a shared model's cost is charged back."""
    _, routes = _openai_routes(azure, lab)
    silent = [r.api.name for r in routes if not r.find(*TOKEN_METRICS)]
    if silent:
        return failed(f"API {', '.join(silent)} emits no token metrics", *(r.api.id for r in routes))
    return passed(f"API {', '.join(r.api.name for r in routes)} emits token metrics", routes[0].api.id)
