"""A fake Azure Resource Manager for tests: realistic ARM JSON served to the real azure-mgmt clients.

Only the HTTP hop is faked. The real clients, the real azure-core pipeline (bearer-token and read-only
policies included) and the real deserialisation run, so a wrong attribute path or JSON shape shows up.
`FakeArm` is a route table: a path (case-insensitive, no query) to a body, or to a (status, body) pair.
An unknown path answers ARM's 404; anything but GET answers 405. Every call is logged with its
api-version. `arm_responses` serves it in-process through the `responses` library, which also fails
closed: any other HTTP the code under test attempts (a real token request, say) raises.
"""

from __future__ import annotations

import json
import re
import time
import urllib.parse
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

ARM_HOST = "https://management.azure.com"
FAKE_SUBSCRIPTION = "00000000-0000-0000-0000-000000000001"
FAKE_TOKEN = "fake-arm-token"


def arm_path(url_or_path: str) -> str:
    """An ARM path as a route key: no host or query, single slashes, no trailing slash, lower case."""
    path = urllib.parse.urlsplit(url_or_path).path
    return re.sub("/+", "/", path).rstrip("/").lower()


def not_found(path: str) -> tuple[int, dict[str, Any]]:
    """ARM's answer for a resource that does not exist."""
    return 404, {"error": {"code": "ResourceNotFound", "message": f"The Resource '{path}' was not found."}}


def denied(action: str = "the requested action") -> tuple[int, dict[str, Any]]:
    """ARM's answer when the caller lacks an RBAC action."""
    message = f"The client does not have authorization to perform action '{action}'."
    return 403, {"error": {"code": "AuthorizationFailed", "message": message}}


@dataclass
class FakeArm:
    """A route table standing in for ARM."""

    routes: dict[str, Any] = field(default_factory=dict)
    calls: list[tuple[str, str, str]] = field(default_factory=list)  # (method, path, api-version)

    def __post_init__(self) -> None:
        self.routes = {arm_path(k): v for k, v in self.routes.items()}

    def set(self, path: str, body: Any) -> None:
        """Add or replace a route (a body, or a (status, body) pair)."""
        self.routes[arm_path(path)] = body

    def remove(self, path: str) -> None:
        """Drop a route, so it answers 404."""
        self.routes.pop(arm_path(path), None)

    def deny(self, fragment: str, action: str = "the requested action") -> None:
        """Make every route whose path contains `fragment` answer 403 AuthorizationFailed."""
        for path in [p for p in self.routes if fragment.lower() in p]:
            self.routes[path] = denied(action)

    def answer(self, method: str, url: str) -> tuple[int, dict[str, Any]]:
        """The status and JSON body for a request."""
        path = arm_path(url)
        version = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query)).get("api-version", "")
        self.calls.append((method.upper(), path, version))
        if method.upper() != "GET":
            return 405, {"error": {"code": "MethodNotAllowed", "message": "labcheck reads only"}}
        found = self.routes.get(path)
        if found is None:
            return not_found(path)
        if isinstance(found, tuple):
            return found[0], found[1]
        return 200, found


class FakeCredential:
    """A token credential that never leaves the process."""

    def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        """A fixed token, valid for an hour."""
        from azure.core.credentials import AccessToken

        return AccessToken(FAKE_TOKEN, int(time.time()) + 3600)

    def get_token_info(self, *scopes: str, options: Any = None) -> Any:
        """The same token, in the newer interface."""
        from azure.core.credentials import AccessTokenInfo

        return AccessTokenInfo(FAKE_TOKEN, int(time.time()) + 3600)

    def close(self) -> None:
        """Nothing to release."""


@contextmanager
def arm_responses(arm: FakeArm) -> Iterator[FakeArm]:
    """Serve a FakeArm to every requests-based client in this process, through `responses`."""
    import responses

    def callback(request: Any) -> tuple[int, dict[str, str], str]:
        status, body = arm.answer(request.method, request.url)
        return status, {"Content-Type": "application/json"}, json.dumps(body)

    pattern = re.compile(re.escape(ARM_HOST) + "/.*")
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        for method in ("GET", "PUT", "POST", "PATCH", "DELETE", "HEAD"):
            mock.add_callback(method, pattern, callback=callback)
        yield arm


def fake_azure(subscription_id: str = FAKE_SUBSCRIPTION) -> Any:
    """A LiveAzure over a FakeCredential with no retries; use it inside `arm_responses`."""
    from labcheck.providers.azure.live import LiveAzure
    from labcheck.providers.azure.reader import ReadOnlyPolicy

    kwargs: dict[str, Any] = {"retry_total": 0, "per_call_policies": [ReadOnlyPolicy()]}
    return LiveAzure(FakeCredential(), subscription_id, kwargs)


def load_routes(documents: Mapping[str, Any]) -> FakeArm:
    """A FakeArm from a mapping of ARM path to document (for example a fixture JSON file, parsed)."""
    return FakeArm(routes=dict(documents))
