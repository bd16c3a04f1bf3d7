"""Live reads of `RagView` (view_rag.py) over boto3, through the plumbing of reader.py.

Every read goes through `AwsReader`, so it is read-only, memoised and error-translated. Lists are
paginated (bedrock-agent has paginators; OpenSearch Serverless lists are followed by nextToken), and
"not configured" answers (no public access block, no bucket policy, no such vector bucket) become None.
"""

from __future__ import annotations

import json
from typing import Any

from labcheck.errors import ProviderError
from labcheck.providers.aws.reader import AwsReader, policy_document
from labcheck.providers.aws.view import Document
from labcheck.providers.aws.view_rag import (
    Chunking,
    DataSource,
    IngestionJob,
    KnowledgeBase,
    OssCollection,
    OssPolicy,
    PublicAccessBlock,
    VectorBucket,
    VectorIndex,
)

AGENT = "bedrock-agent"
AOSS = "opensearchserverless"
NOT_FOUND = ("ResourceNotFoundException",)
NEWEST_FIRST = {"attribute": "STARTED_AT", "order": "DESCENDING"}


class RagReads(AwsReader):
    """The reads of `RagView` over boto3."""

    # --- Bedrock knowledge bases ------------------------------------------------------------------

    def tagged_knowledge_bases(self, key: str, value: str) -> list[KnowledgeBase]:
        """Knowledge bases carrying the tag key=value (bedrock-agent answers tags as a map)."""
        found = []
        for summary in self._pages(AGENT, "list_knowledge_bases", "knowledgeBaseSummaries"):
            raw = self._knowledge_base(summary["knowledgeBaseId"])
            if raw is None:  # deleted between the list and the get
                continue
            tags = self._call(AGENT, "list_tags_for_resource", resourceArn=raw["knowledgeBaseArn"]).get("tags") or {}
            if tags.get(key) == value:
                found.append(_knowledge_base(raw, tags))
        return found

    def _knowledge_base(self, knowledge_base_id: str) -> dict[str, Any] | None:
        found = self.missing_as_none(
            NOT_FOUND, lambda: self._call(AGENT, "get_knowledge_base", knowledgeBaseId=knowledge_base_id)
        )
        return found["knowledgeBase"] if found else None

    def data_sources(self, knowledge_base_id: str) -> list[DataSource]:
        """Every data source of a knowledge base, in full."""
        sources = []
        for summary in self._pages(
            AGENT, "list_data_sources", "dataSourceSummaries", knowledgeBaseId=knowledge_base_id
        ):
            raw = self._data_source(knowledge_base_id, summary["dataSourceId"])
            if raw is not None:
                sources.append(_data_source(raw))
        return sources

    def _data_source(self, knowledge_base_id: str, data_source_id: str) -> dict[str, Any] | None:
        found = self.missing_as_none(
            NOT_FOUND,
            lambda: self._call(
                AGENT, "get_data_source", knowledgeBaseId=knowledge_base_id, dataSourceId=data_source_id
            ),
        )
        return found["dataSource"] if found else None

    def latest_ingestion_job(self, knowledge_base_id: str, data_source_id: str) -> IngestionJob | None:
        """The most recently started ingestion job of a data source (None: never synced).

        Sorted newest first with one result per page, the first page holds the answer: no further page is read.
        """
        found = self._call(
            AGENT,
            "list_ingestion_jobs",
            knowledgeBaseId=knowledge_base_id,
            dataSourceId=data_source_id,
            sortBy=NEWEST_FIRST,
            maxResults=1,
        )
        jobs = found.get("ingestionJobSummaries") or []
        return _ingestion_job(jobs[0]) if jobs else None

    # --- OpenSearch Serverless --------------------------------------------------------------------

    def oss_collection(self, collection_id: str) -> OssCollection | None:
        """A collection by id; an error other than NOT_FOUND is kept on the returned collection."""
        found = self._call(AOSS, "batch_get_collection", ids=[collection_id])
        for detail in found.get("collectionDetails") or []:
            if detail.get("id") == collection_id:
                return _collection(detail)
        for error in found.get("collectionErrorDetails") or []:
            if error.get("id") == collection_id and error.get("errorCode") != "NOT_FOUND":
                reason = f"{error.get('errorCode')}: {error.get('errorMessage', '')}".strip()
                return OssCollection(collection_id, "", "", "", "", None, None, error=reason)
        return None

    def oss_security_policies(self, policy_type: str) -> list[OssPolicy]:
        """Every security policy of a type (encryption or network), parsed."""
        policies = []
        for name in self._oss_names("list_security_policies", "securityPolicySummaries", policy_type):
            detail = self._call(AOSS, "get_security_policy", name=name, type=policy_type)["securityPolicyDetail"]
            policies.append(OssPolicy(name, policy_type, _oss_document(detail.get("policy"))))
        return policies

    def oss_access_policies(self) -> list[OssPolicy]:
        """Every data-access policy, parsed."""
        policies = []
        for name in self._oss_names("list_access_policies", "accessPolicySummaries", "data"):
            detail = self._call(AOSS, "get_access_policy", name=name, type="data")["accessPolicyDetail"]
            policies.append(OssPolicy(name, "data", _oss_document(detail.get("policy"))))
        return policies

    def _oss_names(self, operation: str, key: str, policy_type: str) -> list[str]:
        # botocore has no paginator for these lists: follow nextToken (each page is memoised on its own).
        names: list[str] = []
        token: str | None = None
        while True:
            extra = {"nextToken": token} if token else {}
            page = self._call(AOSS, operation, type=policy_type, **extra)
            names += [summary["name"] for summary in page.get(key) or []]
            token = page.get("nextToken")
            if not token:
                return names

    # --- S3 Vectors -------------------------------------------------------------------------------

    def vector_bucket(self, name: str) -> VectorBucket | None:
        """An S3 Vectors bucket (None: no such bucket)."""
        found = self.missing_as_none(
            ("NotFoundException",), lambda: self._call("s3vectors", "get_vector_bucket", vectorBucketName=name)
        )
        if found is None:
            return None
        raw = found["vectorBucket"]
        encryption = raw.get("encryptionConfiguration") or {}
        return VectorBucket(
            name=raw["vectorBucketName"],
            arn=raw.get("vectorBucketArn", ""),
            sse_type=encryption.get("sseType"),
            kms_key_arn=encryption.get("kmsKeyArn") or None,
        )

    def vector_index(self, bucket_name: str, index_name: str) -> VectorIndex | None:
        """An S3 Vectors index (None: no such index)."""
        found = self.missing_as_none(
            ("NotFoundException",),
            lambda: self._call("s3vectors", "get_index", vectorBucketName=bucket_name, indexName=index_name),
        )
        if found is None:
            return None
        raw = found["index"]
        encryption = raw.get("encryptionConfiguration") or {}
        return VectorIndex(
            bucket_name=raw.get("vectorBucketName", bucket_name),
            name=raw.get("indexName", index_name),
            arn=raw.get("indexArn", ""),
            dimension=raw.get("dimension"),
            distance_metric=raw.get("distanceMetric"),
            data_type=raw.get("dataType"),
            sse_type=encryption.get("sseType"),
            kms_key_arn=encryption.get("kmsKeyArn") or None,
        )

    # --- S3 -------------------------------------------------------------------------------------

    def bucket_public_access_block(self, bucket: str) -> PublicAccessBlock | None:
        """A bucket's Block Public Access settings (None: none configured)."""
        found = self.missing_as_none(
            ("NoSuchPublicAccessBlockConfiguration",),
            lambda: self._call("s3", "get_public_access_block", Bucket=bucket),
        )
        return _public_access_block(found)

    def account_public_access_block(self) -> PublicAccessBlock | None:
        """The account's Block Public Access settings (None: none configured)."""
        found = self.missing_as_none(
            ("NoSuchPublicAccessBlockConfiguration",),
            lambda: self._call("s3control", "get_public_access_block", AccountId=self.account_id),
        )
        return _public_access_block(found)

    def bucket_policy(self, bucket: str) -> Document | None:
        """A bucket's policy, parsed (None: no policy)."""
        found = self.missing_as_none(
            ("NoSuchBucketPolicy",), lambda: self._call("s3", "get_bucket_policy", Bucket=bucket)
        )
        text = (found or {}).get("Policy")
        return policy_document(text) if text else None


def _knowledge_base(raw: dict[str, Any], tags: dict[str, str]) -> KnowledgeBase:
    config = raw.get("knowledgeBaseConfiguration") or {}
    vector = config.get("vectorKnowledgeBaseConfiguration") or {}
    embedding = (vector.get("embeddingModelConfiguration") or {}).get("bedrockEmbeddingModelConfiguration") or {}
    storage = raw.get("storageConfiguration") or {}
    oss = storage.get("opensearchServerlessConfiguration") or {}
    fields = oss.get("fieldMapping") or {}
    s3v = storage.get("s3VectorsConfiguration") or {}
    return KnowledgeBase(
        id=raw["knowledgeBaseId"],
        arn=raw["knowledgeBaseArn"],
        name=raw.get("name", raw["knowledgeBaseId"]),
        status=str(raw.get("status", "")).upper(),  # moto answers "Active"
        kb_type=str(config.get("type", "")).upper(),
        role_arn=raw.get("roleArn", ""),
        embedding_model_arn=vector.get("embeddingModelArn") or None,
        embedding_dimensions=embedding.get("dimensions"),
        storage_type=storage.get("type") or None,
        collection_arn=oss.get("collectionArn") or None,
        vector_index_name=oss.get("vectorIndexName") or None,
        vector_field=fields.get("vectorField") or None,
        text_field=fields.get("textField") or None,
        metadata_field=fields.get("metadataField") or None,
        vector_bucket_arn=s3v.get("vectorBucketArn") or None,
        index_arn=s3v.get("indexArn") or None,
        index_name=s3v.get("indexName") or None,
        failure_reasons=tuple(raw.get("failureReasons") or ()),
        tags=dict(tags),
    )


def _data_source(raw: dict[str, Any]) -> DataSource:
    config = raw.get("dataSourceConfiguration") or {}
    s3 = config.get("s3Configuration") or {}
    ingestion = raw.get("vectorIngestionConfiguration") or {}
    parsing = (ingestion.get("parsingConfiguration") or {}).get("bedrockFoundationModelConfiguration") or {}
    return DataSource(
        id=raw["dataSourceId"],
        name=raw.get("name", raw["dataSourceId"]),
        knowledge_base_id=raw.get("knowledgeBaseId", ""),
        status=str(raw.get("status", "")).upper(),
        source_type=str(config.get("type", "")).upper(),
        bucket_arn=s3.get("bucketArn") or None,
        bucket_owner=s3.get("bucketOwnerAccountId") or None,
        inclusion_prefixes=tuple(s3.get("inclusionPrefixes") or ()),
        deletion_policy=raw.get("dataDeletionPolicy") or None,
        kms_key_arn=(raw.get("serverSideEncryptionConfiguration") or {}).get("kmsKeyArn") or None,
        chunking=_chunking(ingestion.get("chunkingConfiguration")),
        parsing_model_arn=parsing.get("modelArn") or None,
    )


def _chunking(raw: dict[str, Any] | None) -> Chunking | None:
    if not raw:
        return None
    fixed = raw.get("fixedSizeChunkingConfiguration") or {}
    hierarchical = raw.get("hierarchicalChunkingConfiguration") or {}
    semantic = raw.get("semanticChunkingConfiguration") or {}
    return Chunking(
        strategy=str(raw.get("chunkingStrategy", "")).upper(),
        max_tokens=fixed.get("maxTokens", semantic.get("maxTokens")),
        overlap_percentage=fixed.get("overlapPercentage"),
        level_max_tokens=tuple(level["maxTokens"] for level in hierarchical.get("levelConfigurations") or ()),
        overlap_tokens=hierarchical.get("overlapTokens"),
        buffer_size=semantic.get("bufferSize"),
        breakpoint_threshold=semantic.get("breakpointPercentileThreshold"),
    )


def _ingestion_job(raw: dict[str, Any]) -> IngestionJob:
    statistics = raw.get("statistics") or {}
    return IngestionJob(
        id=raw["ingestionJobId"],
        status=str(raw.get("status", "")).upper(),
        started_at=raw.get("startedAt"),
        scanned=int(statistics.get("numberOfDocumentsScanned") or 0),
        failed=int(statistics.get("numberOfDocumentsFailed") or 0),
        new_indexed=int(statistics.get("numberOfNewDocumentsIndexed") or 0),
        modified_indexed=int(statistics.get("numberOfModifiedDocumentsIndexed") or 0),
    )


def _collection(raw: dict[str, Any]) -> OssCollection:
    failure = raw.get("failureCode")
    return OssCollection(
        id=raw["id"],
        name=raw.get("name", ""),
        arn=raw.get("arn", ""),
        status=str(raw.get("status", "")).upper(),
        collection_type=str(raw.get("type", "")).upper(),
        kms_key_arn=raw.get("kmsKeyArn") or None,
        standby_replicas=raw.get("standbyReplicas"),
        error=f"{failure}: {raw.get('failureMessage', '')}".strip() if failure else None,
    )


def _oss_document(value: Any) -> Any:
    """OpenSearch Serverless answers policies as parsed documents; JSON text is parsed all the same."""
    if isinstance(value, list | dict):
        return value
    if not value:
        return []
    try:
        return json.loads(str(value))
    except ValueError as error:
        raise ProviderError(f"an OpenSearch Serverless policy is not valid JSON: {error}") from None


def _public_access_block(found: dict[str, Any] | None) -> PublicAccessBlock | None:
    if found is None:
        return None
    config = found.get("PublicAccessBlockConfiguration") or {}
    return PublicAccessBlock(
        block_public_acls=bool(config.get("BlockPublicAcls")),
        ignore_public_acls=bool(config.get("IgnorePublicAcls")),
        block_public_policy=bool(config.get("BlockPublicPolicy")),
        restrict_public_buckets=bool(config.get("RestrictPublicBuckets")),
    )
