"""The live AWS adapter: every AWS view over boto3, the only labcheck code that reads AWS.

`LiveAws` combines one mixin of reads per area (reads_*.py), each over the shared plumbing in reader.py,
so it satisfies the view of every AWS lab.
"""

from __future__ import annotations

from labcheck.providers.aws.reads_core import CoreReads
from labcheck.providers.aws.reads_finops import FinopsReads
from labcheck.providers.aws.reads_rag import RagReads


class LiveAws(RagReads, FinopsReads, CoreReads):
    """Every AWS view, read live from one account and Region."""
