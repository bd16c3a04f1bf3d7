"""The view lab azure-openai-private-endpoint reads: its nouns as frozen dataclasses and `OpenAIView`."""

from __future__ import annotations

from typing import Protocol

from labcheck.providers.azure.view import AzureView


class OpenAIView(AzureView, Protocol):
    """What the azure-openai-private-endpoint checks may ask besides the core view; read-only and memoised."""


READ_ACTIONS: dict[str, tuple[str, ...]] = {}
"""The RBAC action behind each `OpenAIView` read."""
