"""Cloud providers, opened lazily by name so that `import labcheck` and `labcheck list` import no SDK."""

from __future__ import annotations

import importlib
import importlib.util
from typing import Any

from labcheck.errors import MissingExtraError, UsageError

# name -> (module, class with an `open(options)` constructor, the SDK module its extra installs)
_PROVIDERS = {
    "aws": ("labcheck.providers.aws.live", "LiveAws", "boto3"),
    "azure": ("labcheck.providers.azure.live", "LiveAzure", "azure.mgmt.network"),
}


def open_provider(name: str, options: Any) -> Any:
    """Open a provider's live view, or say which extra to install."""
    if name not in _PROVIDERS:
        raise UsageError(f"labcheck has no {name} provider yet")
    module_name, class_name, sdk = _PROVIDERS[name]
    try:
        installed = importlib.util.find_spec(sdk) is not None
    except ModuleNotFoundError:  # a parent package of a dotted name is missing
        installed = False
    if not installed:
        raise MissingExtraError(name, sdk)
    return getattr(importlib.import_module(module_name), class_name).open(options)
