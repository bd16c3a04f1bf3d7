"""The view lab azure-ai-content-safety-gateway reads: its nouns as frozen dataclasses and `GatewayView`.

Nothing here imports an Azure SDK: reads_gateway.py implements `GatewayView` over azure-mgmt-apimanagement;
the Azure OpenAI and Content Safety accounts behind the gateway are view_cognitive.py's nouns. Fields are
normalised on the way in: absent lists are empty, absent booleans stay None (never set is not the same as
false), API Management policy documents are parsed into `PolicyElement` trees. `effective_section` combines
an API's policy with the service-wide one the way API Management does, through the `<base />` element.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Protocol
from urllib.parse import urlsplit

from labcheck.providers.azure.view_cognitive import CognitiveView

SECTIONS = ("inbound", "backend", "outbound", "on-error")


def host_of(url: str | None) -> str:
    """The lower-cased host of a URL ("" when there is none)."""
    try:
        return (urlsplit(url or "").hostname or "").lower()
    except ValueError:
        return ""


@dataclass(frozen=True)
class PolicyElement:
    """One element of an API Management policy document: tag, attributes and child elements."""

    tag: str
    attributes: Mapping[str, str] = field(default_factory=dict)
    children: tuple[PolicyElement, ...] = ()

    def attribute(self, name: str) -> str:
        """An attribute's value ("" when absent); attribute names compare case-insensitively."""
        return next((v for k, v in self.attributes.items() if k.lower() == name.lower()), "")


@dataclass(frozen=True)
class PolicyDocument:
    """A parsed policy: the top-level elements of each section (inbound, backend, outbound, on-error)."""

    sections: Mapping[str, tuple[PolicyElement, ...]]

    def section(self, name: str) -> tuple[PolicyElement, ...]:
        """The top-level elements of one section (none when the section is absent)."""
        return self.sections.get(name, ())


def _element(node: ET.Element) -> PolicyElement:
    return PolicyElement(
        tag=str(node.tag).lower(),
        attributes=dict(node.attrib),
        children=tuple(_element(child) for child in node if isinstance(child.tag, str)),
    )


def parse_policy(xml: str) -> PolicyDocument:
    """Parse a policy document (format "xml"); raises xml.etree.ElementTree.ParseError when malformed."""
    root = ET.fromstring(xml)
    sections = {
        str(node.tag).lower(): tuple(_element(child) for child in node if isinstance(child.tag, str))
        for node in root
        if isinstance(node.tag, str)
    }
    return PolicyDocument({name: elements for name, elements in sections.items() if name in SECTIONS})


def effective_section(
    api_policy: PolicyDocument | None, service_policy: PolicyDocument | None, name: str
) -> tuple[PolicyElement, ...]:
    """A section as API Management runs it: the API's elements, with `<base />` standing for the service's.

    With no API-scope policy the service-scope one applies alone; an API policy without `<base />` does
    not inherit the service scope.
    """
    inherited = service_policy.section(name) if service_policy else ()
    if api_policy is None:
        return inherited
    elements: list[PolicyElement] = []
    for element in api_policy.section(name):
        elements.extend(inherited if element.tag == "base" else (element,))
    return tuple(elements)


def walk(elements: tuple[PolicyElement, ...]) -> Iterator[PolicyElement]:
    """Every element, nested ones included (a policy inside `<choose><when>` still counts), in document order."""
    for element in elements:
        yield element
        yield from walk(element.children)


@dataclass(frozen=True)
class UserIdentity:
    """A user-assigned managed identity attached to a resource."""

    resource_id: str
    principal_id: str
    client_id: str


@dataclass(frozen=True)
class ApimService:
    """An API Management instance: tier, state and managed identity."""

    id: str
    name: str
    location: str  # API Management answers display names ("Sweden Central"): compare with location_key
    tags: Mapping[str, str]
    sku_name: str  # Developer | Basic | Standard | Premium | Consumption | Isolated | BasicV2 | StandardV2 | ...
    provisioning_state: str
    gateway_url: str
    identity_type: str | None  # SystemAssigned | UserAssigned | "SystemAssigned, UserAssigned" | None
    principal_id: str | None
    user_identities: tuple[UserIdentity, ...] = ()

    @property
    def system_principal(self) -> str | None:
        """The principal id of the system-assigned identity, when there is one."""
        kind = (self.identity_type or "").lower().replace(" ", "")
        return self.principal_id if "systemassigned" in kind and self.principal_id else None


@dataclass(frozen=True)
class GatewayApi:
    """An API published by API Management (current revision)."""

    id: str
    name: str  # the API id used in ARM paths
    path: str
    service_url: str | None
    subscription_required: bool | None
    is_current: bool | None


@dataclass(frozen=True)
class Backend:
    """A named API Management backend: its URL and the headers it adds (credentials.header)."""

    name: str
    url: str
    header_names: tuple[str, ...] = ()


class GatewayView(CognitiveView, Protocol):
    """What the azure-ai-content-safety-gateway checks may ask besides `CognitiveView`; read-only and memoised."""

    def apim_services(self, resource_group: str) -> list[ApimService]:
        """The API Management instances of a resource group."""

    def apim_service(self, resource_group: str, name: str) -> ApimService | None:
        """One API Management instance (None: it does not exist)."""

    def apim_apis(self, service_id: str) -> list[GatewayApi]:
        """The APIs of an API Management instance."""

    def apim_api_policy(self, service_id: str, api_name: str) -> PolicyDocument | None:
        """An API's own policy (None: the API has no policy of its own)."""

    def apim_service_policy(self, service_id: str) -> PolicyDocument | None:
        """The service-wide (global) policy (None: there is none)."""

    def apim_backends(self, service_id: str) -> list[Backend]:
        """The named backends of an API Management instance."""


READ_ACTIONS: dict[str, tuple[str, ...]] = {
    "apim_services": ("Microsoft.ApiManagement/service/read",),
    "apim_service": ("Microsoft.ApiManagement/service/read",),
    "apim_apis": ("Microsoft.ApiManagement/service/apis/read",),
    "apim_api_policy": ("Microsoft.ApiManagement/service/apis/policies/read",),
    "apim_service_policy": ("Microsoft.ApiManagement/service/policies/read",),
    "apim_backends": ("Microsoft.ApiManagement/service/backends/read",),
}
"""The RBAC action behind each read `GatewayView` adds (all within the built-in Reader role's */read)."""
