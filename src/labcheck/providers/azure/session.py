"""Opening an Azure subscription for reading: credential, subscription and the ARM endpoint.

Credentials come from azure-identity's DefaultAzureCredential (az login, a service principal in the
environment, workload identity in CI). For local ARM emulators and the end-to-end tests, three variables
point labcheck elsewhere, with HTTPS kept on (the bearer-token policy refuses plain HTTP, rightly):
LABCHECK_AZURE_ARM_URL (base URL), LABCHECK_AZURE_TOKEN (a static bearer token) and
LABCHECK_AZURE_CA_BUNDLE (the emulator's CA certificate).
"""

from __future__ import annotations

import logging
import os
import re
import time
from dataclasses import dataclass
from typing import Any

from labcheck.errors import CredentialsError, MissingExtraError

ARM_URL = "https://management.azure.com"
ARM_SCOPE = "https://management.azure.com/.default"
_GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")


@dataclass(frozen=True)
class AzureOptions:
    """Which subscription (and tenant) to read, and the retry budget."""

    subscription_id: str | None = None
    tenant_id: str | None = None
    max_attempts: int = 3


class StaticTokenCredential:
    """A fixed bearer token, for a local ARM emulator; it never reaches Microsoft Entra ID."""

    def __init__(self, token: str) -> None:
        self._token = token

    def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        """The token, valid for an hour."""
        from azure.core.credentials import AccessToken

        return AccessToken(self._token, int(time.time()) + 3600)

    def get_token_info(self, *scopes: str, options: Any = None) -> Any:
        """The token, in the newer interface azure-core prefers."""
        from azure.core.credentials import AccessTokenInfo

        return AccessTokenInfo(self._token, int(time.time()) + 3600)

    def close(self) -> None:
        """Nothing to release."""


def subscription_of(options: AzureOptions) -> str:
    """The subscription id from --subscription or AZURE_SUBSCRIPTION_ID."""
    subscription = options.subscription_id or os.environ.get("AZURE_SUBSCRIPTION_ID", "")
    if not subscription:
        raise CredentialsError("no Azure subscription: pass --subscription or set AZURE_SUBSCRIPTION_ID")
    if not _GUID.match(subscription):
        raise CredentialsError(f"{subscription!r} is not an Azure subscription id (a GUID)")
    return subscription


def new_credential(options: AzureOptions) -> Any:
    """The credential: a static token for an emulator, else DefaultAzureCredential."""
    if token := os.environ.get("LABCHECK_AZURE_TOKEN"):
        return StaticTokenCredential(token)
    try:
        from azure.identity import DefaultAzureCredential
    except ImportError:
        raise MissingExtraError("azure", "azure-identity") from None
    # azure-identity logs every credential it tried as a warning; labcheck reports the failure in one line.
    logging.getLogger("azure").addHandler(logging.NullHandler())
    tenant = options.tenant_id or os.environ.get("AZURE_TENANT_ID")
    extra = {"additionally_allowed_tenants": [tenant]} if tenant else {}
    return DefaultAzureCredential(exclude_interactive_browser_credential=True, **extra)


def client_kwargs(options: AzureOptions) -> dict[str, Any]:
    """What every ARM client is built with: endpoint, retries and (for an emulator) its CA bundle."""
    from labcheck.providers.azure.reader import ReadOnlyPolicy

    kwargs: dict[str, Any] = {
        "base_url": os.environ.get("LABCHECK_AZURE_ARM_URL", ARM_URL),
        "retry_total": max(options.max_attempts - 1, 0),
        "per_call_policies": [ReadOnlyPolicy()],
        "connection_timeout": 10,
        "read_timeout": 30,
    }
    if bundle := os.environ.get("LABCHECK_AZURE_CA_BUNDLE"):
        kwargs["connection_verify"] = bundle
    return kwargs
