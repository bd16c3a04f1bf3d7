"""The view that lab aws-bedrock-rag-kb reads: its nouns as frozen dataclasses and the `RagView` interface."""

from __future__ import annotations

from typing import Protocol

from labcheck.providers.aws.view import AwsView


class RagView(AwsView, Protocol):
    """What the aws-bedrock-rag-kb checks may ask, besides the core view. Every method is read-only and memoised."""


READ_ACTIONS: dict[str, tuple[str, ...]] = {}
"""The IAM actions behind each `RagView` read."""
