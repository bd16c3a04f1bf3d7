"""Live reads of `GatewayView` (view_gateway.py) over the azure-mgmt SDKs, through reader.py.

API Management models are flattened msrest (`svc.gateway_url`); Cognitive Services models are nested
(`account.properties.disable_local_auth`). Memo keys start with "gateway" so they never meet another
lab's reads of the same action.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from labcheck.errors import ProviderError
from labcheck.providers.azure.reader import AzureReader
from labcheck.providers.azure.view import group_and_name, text
from labcheck.providers.azure.view_gateway import (
    READ_ACTIONS,
    AiAccount,
    ApimService,
    Backend,
    BlocklistItem,
    BlocklistReference,
    ContentFilter,
    Deployment,
    GatewayApi,
    PolicyDocument,
    RaiPolicy,
    UserIdentity,
    parse_policy,
)

APIM = "azure.mgmt.apimanagement:ApiManagementClient"
COGNITIVE = "azure.mgmt.cognitiveservices:CognitiveServicesManagementClient"


def _service(raw: Any) -> ApimService:
    identity = raw.identity
    users = (identity.user_assigned_identities or {}) if identity else {}
    return ApimService(
        id=raw.id or "",
        name=raw.name or "",
        location=raw.location or "",
        tags=dict(raw.tags or {}),
        sku_name=text(raw.sku.name) if raw.sku else "",
        provisioning_state=text(raw.provisioning_state),
        gateway_url=raw.gateway_url or "",
        identity_type=text(identity.type) or None if identity else None,
        principal_id=identity.principal_id if identity else None,
        user_identities=tuple(
            UserIdentity(key, value.principal_id or "", value.client_id or "") for key, value in users.items()
        ),
    )


def _account(raw: Any) -> AiAccount:
    props = raw.properties
    acls = props.network_acls if props else None
    return AiAccount(
        id=raw.id or "",
        name=raw.name or "",
        kind=raw.kind or "",
        location=raw.location or "",
        tags=dict(raw.tags or {}),
        provisioning_state=text(props.provisioning_state) if props else "",
        custom_subdomain=props.custom_sub_domain_name if props else None,
        endpoint=props.endpoint if props else None,
        endpoint_urls=tuple((props.endpoints or {}).values()) if props else (),
        disable_local_auth=props.disable_local_auth if props else None,
        public_network_access=text(props.public_network_access) or None if props else None,
        network_default_action=text(acls.default_action) or None if acls else None,
    )


def _deployment(raw: Any) -> Deployment:
    props, model = raw.properties, raw.properties.model if raw.properties else None
    return Deployment(
        name=raw.name or "",
        model_name=(model.name if model else "") or "",
        model_version=(model.version if model else "") or "",
        provisioning_state=text(props.provisioning_state) if props else "",
        capabilities=dict(props.capabilities or {}) if props else {},
        rai_policy_name=props.rai_policy_name if props else None,
        sku_name=text(raw.sku.name) if raw.sku else "",
        sku_capacity=raw.sku.capacity if raw.sku else None,
    )


def _rai_policy(raw: Any) -> RaiPolicy:
    props = raw.properties
    return RaiPolicy(
        name=raw.name or "",
        policy_type=text(props.type) if props else "",
        base_policy_name=props.base_policy_name if props else None,
        mode=text(props.mode) or None if props else None,
        content_filters=tuple(
            ContentFilter(f.name or "", text(f.source), f.enabled, f.blocking, text(f.severity_threshold) or None)
            for f in (props.content_filters or [] if props else [])
        ),
        custom_blocklists=tuple(
            BlocklistReference(b.blocklist_name or "", text(b.source), b.blocking)
            for b in (props.custom_blocklists or [] if props else [])
        ),
    )


class GatewayReads(AzureReader):
    """The reads of `GatewayView`."""

    def apim_services(self, resource_group: str) -> list[ApimService]:
        """The API Management instances of a resource group."""
        found = self._read(
            READ_ACTIONS["apim_services"][0],
            ("gateway-apim-list", resource_group),
            lambda: list(self.client(APIM).api_management_service.list_by_resource_group(resource_group)),
        )
        return [_service(s) for s in found or []]

    def apim_service(self, resource_group: str, name: str) -> ApimService | None:
        """One API Management instance (None: it does not exist)."""
        found = self._read(
            READ_ACTIONS["apim_service"][0],
            ("gateway-apim", resource_group, name),
            lambda: self.client(APIM).api_management_service.get(resource_group, name),
            missing_ok=True,
        )
        return _service(found) if found is not None else None

    def apim_apis(self, service_id: str) -> list[GatewayApi]:
        """The APIs of an API Management instance."""
        group, name = group_and_name(service_id)
        found = self._read(
            READ_ACTIONS["apim_apis"][0],
            ("gateway-apis", service_id),
            lambda: list(self.client(APIM).api.list_by_service(group, name)),
        )
        return [
            GatewayApi(a.id or "", a.name or "", a.path or "", a.service_url, a.subscription_required, a.is_current)
            for a in found or []
        ]

    def apim_api_policy(self, service_id: str, api_name: str) -> PolicyDocument | None:
        """An API's own policy (None: the API has no policy of its own)."""
        group, name = group_and_name(service_id)
        action = READ_ACTIONS["apim_api_policy"][0]
        found = self._read(
            action,
            ("gateway-api-policy", service_id, api_name),
            lambda: self.client(APIM).api_policy.get(group, name, api_name, "policy", format="xml"),
            missing_ok=True,
        )
        return _parsed(action, f"{service_id}/apis/{api_name}", found)

    def apim_service_policy(self, service_id: str) -> PolicyDocument | None:
        """The service-wide (global) policy (None: there is none)."""
        group, name = group_and_name(service_id)
        action = READ_ACTIONS["apim_service_policy"][0]
        found = self._read(
            action,
            ("gateway-service-policy", service_id),
            lambda: self.client(APIM).policy.get(group, name, "policy", format="xml"),
            missing_ok=True,
        )
        return _parsed(action, service_id, found)

    def apim_backends(self, service_id: str) -> list[Backend]:
        """The named backends of an API Management instance."""
        group, name = group_and_name(service_id)
        found = self._read(
            READ_ACTIONS["apim_backends"][0],
            ("gateway-backends", service_id),
            lambda: list(self.client(APIM).backend.list_by_service(group, name)),
        )
        return [
            Backend(
                b.name or "",
                b.url or "",
                tuple((b.credentials.header or {}) if b.credentials else ()),
            )
            for b in found or []
        ]

    def gateway_accounts(self, resource_group: str) -> list[AiAccount]:
        """The Cognitive Services accounts of a resource group, of every kind."""
        found = self._read(
            READ_ACTIONS["gateway_accounts"][0],
            ("gateway-accounts", resource_group),
            lambda: list(self.client(COGNITIVE).accounts.list_by_resource_group(resource_group)),
        )
        return [_account(a) for a in found or []]

    def gateway_deployments(self, account_id: str) -> list[Deployment]:
        """The model deployments of an account."""
        group, name = group_and_name(account_id)
        found = self._read(
            READ_ACTIONS["gateway_deployments"][0],
            ("gateway-deployments", account_id),
            lambda: list(self.client(COGNITIVE).deployments.list(group, name)),
        )
        return [_deployment(d) for d in found or []]

    def gateway_rai_policy(self, account_id: str, name: str) -> RaiPolicy | None:
        """A RAI policy of an account by name (None: it does not exist)."""
        group, account = group_and_name(account_id)
        found = self._read(
            READ_ACTIONS["gateway_rai_policy"][0],
            ("gateway-rai-policy", account_id, name),
            lambda: self.client(COGNITIVE).rai_policies.get(group, account, name),
            missing_ok=True,
        )
        return _rai_policy(found) if found is not None else None

    def gateway_blocklists(self, account_id: str) -> list[str]:
        """The names of an account's RAI blocklists."""
        group, account = group_and_name(account_id)
        found = self._read(
            READ_ACTIONS["gateway_blocklists"][0],
            ("gateway-blocklists", account_id),
            lambda: list(self.client(COGNITIVE).rai_blocklists.list(group, account)),
        )
        return [b.name or "" for b in found or []]

    def gateway_blocklist_items(self, account_id: str, blocklist: str) -> list[BlocklistItem]:
        """The items of a RAI blocklist (listed: the single-item GET is unreliable server-side)."""
        group, account = group_and_name(account_id)
        found = self._read(
            READ_ACTIONS["gateway_blocklist_items"][0],
            ("gateway-blocklist-items", account_id, blocklist),
            lambda: list(self.client(COGNITIVE).rai_blocklist_items.list(group, account, blocklist)),
            missing_ok=True,
        )
        return [
            BlocklistItem(
                i.name or "",
                (i.properties.pattern if i.properties else "") or "",
                i.properties.is_regex if i.properties else None,
            )
            for i in found or []
        ]


def _parsed(action: str, where: str, found: Any) -> PolicyDocument | None:
    """The policy document of a PolicyContract; a document that is not XML cannot be graded (ERROR)."""
    if found is None or not (found.value or "").strip():
        return None
    try:
        return parse_policy(found.value)
    except ET.ParseError as error:
        raise ProviderError(f"{action}: the policy of {where} is not well-formed XML ({error})") from None
