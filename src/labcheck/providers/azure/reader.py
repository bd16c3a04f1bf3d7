"""The plumbing of every Azure read: SDK clients, the read-only guard, memoisation and error translation.

Every request goes through `AzureReader._read`, so three things hold for all of them:
- read-only: `ReadOnlyPolicy`, first in every client's pipeline, refuses any method but GET before it
  is sent (labcheck never lists keys: listKeys is a POST);
- each distinct read is made at most once per run (results and errors are memoised);
- errors become labcheck's: 403 names the RBAC action the read needs, "not found" gives None where
  absence is an answer, throttling, unreachable endpoints and other failures become ProviderError.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable
from typing import Any, Self, TypeVar

from azure.core.pipeline.policies import SansIOHTTPPolicy

from labcheck.errors import CredentialsError, PermissionDeniedError, ProviderError, ReadOnlyViolationError
from labcheck.providers.azure.session import (
    ARM_SCOPE,
    AzureOptions,
    client_kwargs,
    new_credential,
    subscription_of,
)

T = TypeVar("T")


class ReadOnlyPolicy(SansIOHTTPPolicy[Any, Any]):
    """Refuses every request that is not a GET, before it leaves the process."""

    def on_request(self, request: Any) -> None:
        """Let GETs through; anything else is a labcheck bug and is never sent."""
        method = request.http_request.method.upper()
        if method != "GET":
            raise ReadOnlyViolationError(f"labcheck refused to send {method} {request.http_request.url}")


class AzureReader:
    """The plumbing every Azure read goes through, for one subscription."""

    def __init__(self, credential: Any, subscription_id: str, kwargs: dict[str, Any]) -> None:
        self._credential = credential
        self._subscription_id = subscription_id
        self._kwargs = kwargs
        self._clients: dict[str, Any] = {}
        self._memo: dict[str, Any] = {}

    @classmethod
    def open(cls, options: AzureOptions) -> Self:
        """Open the subscription the credential chain can read; a credential that fails is a usage error."""
        from azure.core.exceptions import ClientAuthenticationError

        subscription = subscription_of(options)
        credential = new_credential(options)
        try:
            credential.get_token(ARM_SCOPE)
        except ClientAuthenticationError as error:
            first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            raise CredentialsError(
                f"Azure credentials did not work: {first_line} (run az login, or set AZURE_TENANT_ID, "
                "AZURE_CLIENT_ID and AZURE_CLIENT_SECRET)"
            ) from None
        return cls(credential, subscription, client_kwargs(options))

    @property
    def subscription_id(self) -> str:
        """The subscription being graded."""
        return self._subscription_id

    @property
    def identity(self) -> dict[str, str]:
        """What a report shows about the subscription."""
        return {"cloud": "azure", "subscription": self._subscription_id}

    def client(self, class_path: str) -> Any:
        """The client of an azure-mgmt package, e.g. "azure.mgmt.network:NetworkManagementClient"."""
        if class_path not in self._clients:
            module_name, _, class_name = class_path.partition(":")
            client_class = getattr(importlib.import_module(module_name), class_name)
            self._clients[class_path] = client_class(self._credential, self._subscription_id, **self._kwargs)
        return self._clients[class_path]

    def _read(self, action: str, key: tuple[Any, ...], read: Callable[[], T], missing_ok: bool = False) -> T | None:
        """Run a read once per run. `action` is the RBAC action a denial names; `missing_ok` maps 404 to None."""
        memo_key = json.dumps([action, *key], default=str).lower()
        if memo_key not in self._memo:
            try:
                self._memo[memo_key] = _translated(action, read)
            except ProviderError as error:
                self._memo[memo_key] = error
        outcome = self._memo[memo_key]
        if isinstance(outcome, _NotFoundError):
            if missing_ok:
                return None
            raise ProviderError(f"{action}: not found", "ResourceNotFound")
        if isinstance(outcome, ProviderError):
            raise outcome
        return outcome  # type: ignore[no-any-return]


class _NotFoundError(ProviderError):
    """A 404, kept in the memo so a second read of the same missing thing is not sent again."""


def _translated(action: str, read: Callable[[], T]) -> T:
    from azure.core.exceptions import ClientAuthenticationError, HttpResponseError, ServiceRequestError

    try:
        return read()
    except ClientAuthenticationError as error:
        if error.status_code == 403:
            raise PermissionDeniedError(action, _code(error) or "AuthorizationFailed") from None
        raise CredentialsError(f"Azure credentials were refused ({_code(error) or error.status_code})") from None
    except HttpResponseError as error:
        raise _classified(action, error) from None
    except ServiceRequestError as error:
        raise ProviderError(f"{action}: could not reach Azure ({type(error).__name__})") from None


def _classified(action: str, error: Any) -> ProviderError:
    """An ARM error response as labcheck's error: denied, not found, throttled or failed."""
    code = _code(error)
    if error.status_code == 403 or code in ("AuthorizationFailed", "Forbidden"):
        return PermissionDeniedError(action, code or "403")
    if error.status_code == 404:
        return _NotFoundError(f"{action}: not found", code)
    if error.status_code == 429:
        return ProviderError(f"{action}: still throttled after retries ({code or 429})", code)
    return ProviderError(f"{action} failed: {code or error.status_code}", code)


def _code(error: Any) -> str:
    details = getattr(error, "error", None)
    return str(getattr(details, "code", "") or "")
