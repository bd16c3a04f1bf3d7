"""The `RagView` in memory, a mixin of `labcheck.testing.aws.FakeAws`."""

from __future__ import annotations

from dataclasses import dataclass, field

from labcheck.providers.aws.view import Document
from labcheck.providers.aws.view_rag import (
    DataSource,
    IngestionJob,
    KnowledgeBase,
    OssCollection,
    OssPolicy,
    PublicAccessBlock,
    VectorBucket,
    VectorIndex,
)
from labcheck.testing.aws_account import FakeAccount


@dataclass
class FakeRag(FakeAccount):
    """The aws-bedrock-rag-kb architecture in memory. Fields are the architecture."""

    knowledge_bases: list[KnowledgeBase] = field(default_factory=list)
    kb_data_sources: dict[str, list[DataSource]] = field(default_factory=dict)  # by knowledge base id
    ingestion_jobs: dict[str, IngestionJob] = field(default_factory=dict)  # the latest, by data source id
    oss_collections: dict[str, OssCollection] = field(default_factory=dict)  # by collection id
    oss_security: list[OssPolicy] = field(default_factory=list)  # encryption and network policies
    oss_access: list[OssPolicy] = field(default_factory=list)  # data-access policies
    vector_buckets: dict[str, VectorBucket] = field(default_factory=dict)  # by name
    vector_indexes: dict[str, VectorIndex] = field(default_factory=dict)  # by "<bucket>/<index>"
    public_access_blocks: dict[str, PublicAccessBlock] = field(default_factory=dict)  # by bucket
    account_access_block: PublicAccessBlock | None = None
    bucket_policies: dict[str, Document] = field(default_factory=dict)  # by bucket

    def tagged_knowledge_bases(self, key: str, value: str) -> list[KnowledgeBase]:
        """Knowledge bases carrying the tag."""
        self._read("tagged_knowledge_bases")
        return [kb for kb in self.knowledge_bases if kb.tags.get(key) == value]

    def data_sources(self, knowledge_base_id: str) -> list[DataSource]:
        """The knowledge base's data sources."""
        self._read("data_sources")
        return list(self.kb_data_sources.get(knowledge_base_id, []))

    def latest_ingestion_job(self, knowledge_base_id: str, data_source_id: str) -> IngestionJob | None:
        """The data source's latest ingestion job."""
        self._read("latest_ingestion_job")
        return self.ingestion_jobs.get(data_source_id)

    def oss_collection(self, collection_id: str) -> OssCollection | None:
        """A collection by id."""
        self._read("oss_collection")
        return self.oss_collections.get(collection_id)

    def oss_security_policies(self, policy_type: str) -> list[OssPolicy]:
        """The security policies of a type."""
        self._read("oss_security_policies")
        return [p for p in self.oss_security if p.policy_type == policy_type]

    def oss_access_policies(self) -> list[OssPolicy]:
        """The data-access policies."""
        self._read("oss_access_policies")
        return list(self.oss_access)

    def vector_bucket(self, name: str) -> VectorBucket | None:
        """A vector bucket by name."""
        self._read("vector_bucket")
        return self.vector_buckets.get(name)

    def vector_index(self, bucket_name: str, index_name: str) -> VectorIndex | None:
        """A vector index by bucket and name."""
        self._read("vector_index")
        return self.vector_indexes.get(f"{bucket_name}/{index_name}")

    def bucket_public_access_block(self, bucket: str) -> PublicAccessBlock | None:
        """A bucket's Block Public Access settings."""
        self._read("bucket_public_access_block")
        return self.public_access_blocks.get(bucket)

    def account_public_access_block(self) -> PublicAccessBlock | None:
        """The account's Block Public Access settings."""
        self._read("account_public_access_block")
        return self.account_access_block

    def bucket_policy(self, bucket: str) -> Document | None:
        """A bucket's policy."""
        self._read("bucket_policy")
        return self.bucket_policies.get(bucket)
