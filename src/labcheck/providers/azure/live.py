"""The live Azure adapter: every Azure view over the azure-mgmt SDKs, the only labcheck code that reads Azure.

`LiveAzure` combines one mixin of reads per lab area (reads_*.py) over the shared plumbing in reader.py.
"""

from __future__ import annotations

from labcheck.providers.azure.reads_core import CoreReads
from labcheck.providers.azure.reads_gateway import GatewayReads
from labcheck.providers.azure.reads_openai import OpenAIReads
from labcheck.providers.azure.reads_search import SearchReads


class LiveAzure(OpenAIReads, SearchReads, GatewayReads, CoreReads):
    """Every Azure view, read live from one subscription."""
