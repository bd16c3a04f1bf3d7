"""Live reads of the API Management part of `GatewayView` (view_gateway.py) over azure-mgmt-apimanagement.

API Management models are flattened msrest (`svc.gateway_url`). The Cognitive Services reads the view
inherits are reads_cognitive.py's.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from labcheck.errors import ProviderError
from labcheck.providers.azure.reader import AzureReader
from labcheck.providers.azure.view import group_and_name, text
from labcheck.providers.azure.view_gateway import (
    READ_ACTIONS,
    ApimService,
    Backend,
    GatewayApi,
    PolicyDocument,
    UserIdentity,
    parse_policy,
)

APIM = "azure.mgmt.apimanagement:ApiManagementClient"


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


class GatewayReads(AzureReader):
    """The API Management reads of `GatewayView`."""

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


def _parsed(action: str, where: str, found: Any) -> PolicyDocument | None:
    """The policy document of a PolicyContract; a document that is not XML cannot be graded (ERROR)."""
    if found is None or not (found.value or "").strip():
        return None
    try:
        return parse_policy(found.value)
    except ET.ParseError as error:
        raise ProviderError(f"{action}: the policy of {where} is not well-formed XML ({error})") from None
