"""Live reads of `FinopsView` (view_finops.py) over boto3, through the plumbing of reader.py."""

from __future__ import annotations

from labcheck.providers.aws.reader import AwsReader


class FinopsReads(AwsReader):
    """The reads of `FinopsView` over boto3."""
