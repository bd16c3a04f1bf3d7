"""The `FinopsView` in memory, a mixin of `labcheck.testing.aws.FakeAws`."""

from __future__ import annotations

from dataclasses import dataclass

from labcheck.testing.aws_account import FakeAccount


@dataclass
class FakeFinops(FakeAccount):
    """The aws-bedrock-guardrails-finops architecture in memory. Fields are the architecture."""
