"""The view lab azure-ai-content-safety-gateway reads: its nouns as frozen dataclasses and `GatewayView`."""

from __future__ import annotations

from typing import Protocol

from labcheck.providers.azure.view import AzureView


class GatewayView(AzureView, Protocol):
    """What the azure-ai-content-safety-gateway checks may ask besides the core view; read-only and memoised."""


READ_ACTIONS: dict[str, tuple[str, ...]] = {}
"""The RBAC action behind each `GatewayView` read."""
