"""The `RagView` in memory, a mixin of `labcheck.testing.aws.FakeAws`."""

from __future__ import annotations

from dataclasses import dataclass

from labcheck.testing.aws_account import FakeAccount


@dataclass
class FakeRag(FakeAccount):
    """The aws-bedrock-rag-kb architecture in memory. Fields are the architecture."""
