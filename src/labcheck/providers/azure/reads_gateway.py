"""Live reads of `GatewayView` (view_gateway.py) over the azure-mgmt SDKs, through reader.py."""

from __future__ import annotations

from labcheck.providers.azure.reader import AzureReader


class GatewayReads(AzureReader):
    """The reads of `GatewayView`."""
