"""Live reads of `RagView` (view_rag.py) over boto3, through the plumbing of reader.py."""

from __future__ import annotations

from labcheck.providers.aws.reader import AwsReader


class RagReads(AwsReader):
    """The reads of `RagView` over boto3."""
