"""The view that lab aws-bedrock-rag-kb reads: its nouns as frozen dataclasses and the `RagView` interface.

Nothing here imports boto3: reads_rag.py implements `RagView` over the SDK and `labcheck.testing.aws_rag`
in memory. Fields are normalised on the way in: statuses upper-cased (moto answers "Active" where AWS
answers "ACTIVE"), absent lists empty, absent settings None, OpenSearch Serverless policy documents parsed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from labcheck.providers.aws.view import AwsView, Document

OSS = "OPENSEARCH_SERVERLESS"
S3_VECTORS = "S3_VECTORS"


@dataclass(frozen=True)
class KnowledgeBase:
    """A Bedrock knowledge base with its embedding model and vector store, flattened."""

    id: str
    arn: str
    name: str
    status: str  # upper-cased: ACTIVE | CREATING | FAILED | ...
    kb_type: str  # VECTOR | KENDRA | SQL | MANAGED
    role_arn: str
    embedding_model_arn: str | None = None
    embedding_dimensions: int | None = None  # None: the model's default
    storage_type: str | None = None  # OPENSEARCH_SERVERLESS | S3_VECTORS | ...; None: no storage configuration
    collection_arn: str | None = None
    vector_index_name: str | None = None
    vector_field: str | None = None
    text_field: str | None = None
    metadata_field: str | None = None
    vector_bucket_arn: str | None = None  # S3 Vectors: indexArn, or vectorBucketArn + indexName
    index_arn: str | None = None
    index_name: str | None = None
    failure_reasons: tuple[str, ...] = ()
    tags: Mapping[str, str] = field(default_factory=dict)

    @property
    def collection_id(self) -> str | None:
        """The OpenSearch Serverless collection id: the last segment of the collection ARN."""
        return self.collection_arn.rsplit("/", 1)[-1] if self.collection_arn else None

    @property
    def vector_index(self) -> tuple[str, str] | None:
        """(vector bucket name, index name) of an S3 Vectors store, from whichever fields are set."""
        if self.index_arn and "/index/" in self.index_arn:
            bucket_part, index = self.index_arn.split("/index/", 1)
            return bucket_part.rsplit("bucket/", 1)[-1], index
        if self.vector_bucket_arn and self.index_name:
            return self.vector_bucket_arn.rsplit("bucket/", 1)[-1], self.index_name
        return None

    @property
    def full_index_arn(self) -> str | None:
        """The S3 Vectors index ARN, given or built from the bucket ARN and index name."""
        if self.index_arn:
            return self.index_arn
        if self.vector_bucket_arn and self.index_name:
            return f"{self.vector_bucket_arn}/index/{self.index_name}"
        return None


@dataclass(frozen=True)
class Chunking:
    """How a data source splits documents before embedding them."""

    strategy: str  # FIXED_SIZE | NONE | HIERARCHICAL | SEMANTIC
    max_tokens: int | None = None  # fixed-size and semantic
    overlap_percentage: int | None = None  # fixed-size
    level_max_tokens: tuple[int, ...] = ()  # hierarchical: parent, then child
    overlap_tokens: int | None = None  # hierarchical
    buffer_size: int | None = None  # semantic
    breakpoint_threshold: int | None = None  # semantic


@dataclass(frozen=True)
class DataSource:
    """A knowledge-base data source with its S3 scope, encryption and ingestion settings."""

    id: str
    name: str
    knowledge_base_id: str
    status: str  # upper-cased: AVAILABLE | CREATING | ...
    source_type: str  # S3 | WEB | ... | MANAGED_KNOWLEDGE_BASE_CONNECTOR
    bucket_arn: str | None = None
    bucket_owner: str | None = None
    inclusion_prefixes: tuple[str, ...] = ()
    deletion_policy: str | None = None  # RETAIN | DELETE
    kms_key_arn: str | None = None  # transient ingestion data
    chunking: Chunking | None = None
    parsing_model_arn: str | None = None  # BEDROCK_FOUNDATION_MODEL parsing

    @property
    def bucket_name(self) -> str | None:
        """The bucket name: the text after ':::' of the bucket ARN."""
        return self.bucket_arn.split(":::", 1)[-1] if self.bucket_arn else None


@dataclass(frozen=True)
class IngestionJob:
    """The latest ingestion job of a data source and its statistics."""

    id: str
    status: str  # upper-cased: STARTING | IN_PROGRESS | COMPLETE | FAILED | STOPPING | STOPPED
    started_at: dt.datetime | None
    scanned: int = 0
    failed: int = 0
    new_indexed: int = 0
    modified_indexed: int = 0


@dataclass(frozen=True)
class OssCollection:
    """An OpenSearch Serverless collection; `error` is set when the batch read reported one for it."""

    id: str
    name: str
    arn: str
    status: str  # upper-cased
    collection_type: str  # VECTORSEARCH | SEARCH | TIMESERIES
    kms_key_arn: str | None
    standby_replicas: str | None
    error: str | None = None


@dataclass(frozen=True)
class OssPolicy:
    """An OpenSearch Serverless security (encryption, network) or access (data) policy, parsed."""

    name: str
    policy_type: str  # encryption | network | data
    document: Any  # network and data policies: a list of rule-sets; encryption policies: an object


@dataclass(frozen=True)
class VectorBucket:
    """An S3 Vectors bucket and its encryption."""

    name: str
    arn: str
    sse_type: str | None  # AES256 | aws:kms
    kms_key_arn: str | None


@dataclass(frozen=True)
class VectorIndex:
    """An S3 Vectors index: its shape and its own encryption, if it has one."""

    bucket_name: str
    name: str
    arn: str
    dimension: int | None
    distance_metric: str | None
    data_type: str | None
    sse_type: str | None = None
    kms_key_arn: str | None = None


@dataclass(frozen=True)
class PublicAccessBlock:
    """The four S3 Block Public Access settings of a bucket or an account."""

    block_public_acls: bool
    ignore_public_acls: bool
    block_public_policy: bool
    restrict_public_buckets: bool

    @property
    def off(self) -> tuple[str, ...]:
        """The settings that are not on, by their API names."""
        flags = {
            "BlockPublicAcls": self.block_public_acls,
            "IgnorePublicAcls": self.ignore_public_acls,
            "BlockPublicPolicy": self.block_public_policy,
            "RestrictPublicBuckets": self.restrict_public_buckets,
        }
        return tuple(name for name, on in flags.items() if not on)


class RagView(AwsView, Protocol):
    """What the aws-bedrock-rag-kb checks may ask, besides the core view. Every method is read-only and memoised."""

    def tagged_knowledge_bases(self, key: str, value: str) -> list[KnowledgeBase]:
        """Knowledge bases carrying the tag key=value."""

    def data_sources(self, knowledge_base_id: str) -> list[DataSource]:
        """Every data source of a knowledge base, in full."""

    def latest_ingestion_job(self, knowledge_base_id: str, data_source_id: str) -> IngestionJob | None:
        """The most recently started ingestion job of a data source (None: never synced)."""

    def oss_collection(self, collection_id: str) -> OssCollection | None:
        """An OpenSearch Serverless collection by id (None: no such collection)."""

    def oss_security_policies(self, policy_type: str) -> list[OssPolicy]:
        """Every OpenSearch Serverless security policy of a type (encryption or network), parsed."""

    def oss_access_policies(self) -> list[OssPolicy]:
        """Every OpenSearch Serverless data-access policy, parsed."""

    def vector_bucket(self, name: str) -> VectorBucket | None:
        """An S3 Vectors bucket (None: no such bucket)."""

    def vector_index(self, bucket_name: str, index_name: str) -> VectorIndex | None:
        """An S3 Vectors index (None: no such index)."""

    def bucket_public_access_block(self, bucket: str) -> PublicAccessBlock | None:
        """A bucket's Block Public Access settings (None: none configured)."""

    def account_public_access_block(self) -> PublicAccessBlock | None:
        """The account's Block Public Access settings (None: none configured)."""

    def bucket_policy(self, bucket: str) -> Document | None:
        """A bucket's policy, parsed (None: no policy)."""


ACCOUNT_PUBLIC_ACCESS_BLOCK = "s3:GetAccountPublicAccessBlock"
"""The action behind s3control GetPublicAccessBlock (s3control signs as s3, so the reader cannot tell)."""

READ_ACTIONS: dict[str, tuple[str, ...]] = {
    "tagged_knowledge_bases": (
        "bedrock:ListKnowledgeBases",
        "bedrock:GetKnowledgeBase",
        "bedrock:ListTagsForResource",
    ),
    "data_sources": ("bedrock:ListDataSources", "bedrock:GetDataSource"),
    "latest_ingestion_job": ("bedrock:ListIngestionJobs",),
    "oss_collection": ("aoss:BatchGetCollection",),
    "oss_security_policies": ("aoss:ListSecurityPolicies", "aoss:GetSecurityPolicy"),
    "oss_access_policies": ("aoss:ListAccessPolicies", "aoss:GetAccessPolicy"),
    "vector_bucket": ("s3vectors:GetVectorBucket",),
    "vector_index": ("s3vectors:GetIndex",),
    "bucket_public_access_block": ("s3:GetBucketPublicAccessBlock",),
    "account_public_access_block": (ACCOUNT_PUBLIC_ACCESS_BLOCK,),
    "bucket_policy": ("s3:GetBucketPolicy",),
}
"""The IAM actions behind each `RagView` read (bedrock-agent operations are authorised as bedrock:...).

The fake view denies by this table and a live-adapter test proves it equals the calls really made."""
