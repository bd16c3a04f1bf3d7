"""The view lab azure-ai-search-rag reads: its nouns as frozen dataclasses and `SearchView`."""

from __future__ import annotations

from typing import Protocol

from labcheck.providers.azure.view import AzureView


class SearchView(AzureView, Protocol):
    """What the azure-ai-search-rag checks may ask besides the core view; read-only and memoised."""


READ_ACTIONS: dict[str, tuple[str, ...]] = {}
"""The RBAC action behind each `SearchView` read."""
