"""Live reads of `SearchView` (view_search.py) over the azure-mgmt SDKs, through reader.py."""

from __future__ import annotations

from labcheck.providers.azure.reader import AzureReader


class SearchReads(AzureReader):
    """The reads of `SearchView`."""
