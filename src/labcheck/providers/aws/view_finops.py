"""The view lab aws-bedrock-guardrails-finops reads: its nouns as frozen dataclasses and `FinopsView`."""

from __future__ import annotations

from typing import Protocol

from labcheck.providers.aws.view import AwsView


class FinopsView(AwsView, Protocol):
    """What the aws-bedrock-guardrails-finops checks may ask besides the core view; read-only and memoised."""


READ_ACTIONS: dict[str, tuple[str, ...]] = {}
"""The IAM actions behind each `FinopsView` read."""
