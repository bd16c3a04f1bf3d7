"""The live Azure adapter: every Azure view over the azure-mgmt SDKs, the only labcheck code that reads Azure.

`LiveAzure` combines one mixin of reads per area (reads_*.py: core, Cognitive Services, search, gateway) over
the shared plumbing in reader.py.
"""

from __future__ import annotations

from labcheck.providers.azure.reads_cognitive import CognitiveReads
from labcheck.providers.azure.reads_core import CoreReads
from labcheck.providers.azure.reads_gateway import GatewayReads
from labcheck.providers.azure.reads_search import SearchReads


class LiveAzure(CognitiveReads, SearchReads, GatewayReads, CoreReads):
    """Every Azure view, read live from one subscription."""
