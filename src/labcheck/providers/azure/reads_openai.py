"""Live reads of `OpenAIView` (view_openai.py) over the azure-mgmt SDKs, through reader.py."""

from __future__ import annotations

from labcheck.providers.azure.reader import AzureReader


class OpenAIReads(AzureReader):
    """The reads of `OpenAIView`."""
