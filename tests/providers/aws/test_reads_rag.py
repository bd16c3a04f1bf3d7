"""The RAG reads of the live adapter (reads_rag.py) through boto3: moto in-process, Stubber where moto lacks an API.

moto 5.2.5 serves knowledge bases with OpenSearch Serverless storage (and their tags), OpenSearch Serverless
security policies and collections, S3 public access blocks, bucket policies and s3control, and S3 Vectors.
It does not serve data sources, ingestion jobs, data-access policies, or knowledge bases on S3 Vectors:
those are answered by botocore's Stubber on the adapter's own client. Every test runs offline (conftest.py).
"""

from __future__ import annotations

import datetime as dt
import inspect
import json
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from botocore.stub import Stubber

from labcheck.errors import PermissionDeniedError, ProviderError
from labcheck.providers.aws.actions import iam_action
from labcheck.providers.aws.clients import ClientPool
from labcheck.providers.aws.live import LiveAws
from labcheck.providers.aws.session import AwsOptions, new_session
from labcheck.providers.aws.view import AwsView
from labcheck.providers.aws.view_rag import (
    READ_ACTIONS,
    Chunking,
    DataSource,
    IngestionJob,
    KnowledgeBase,
    OssCollection,
    OssPolicy,
    PublicAccessBlock,
    RagView,
    VectorBucket,
    VectorIndex,
)
from labcheck.testing.moto import ClientFactory, mock_aws_account

REGION = "eu-central-1"
ACCOUNT = "123456789012"  # moto's default account
OPTIONS = AwsOptions(region=REGION, max_attempts=1)
LAB_ID = "aws-bedrock-rag-kb"
LAB_TAG = "labcheck-lab"
COLLECTION = "labcheck-rag"
VECTOR_INDEX = "bedrock-knowledge-base-index"
MODEL_ARN = f"arn:aws:bedrock:{REGION}::foundation-model/amazon.titan-embed-text-v2:0"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/labcheck-rag-kb"
BUCKET = "labcheck-rag-docs"
PLAIN_BUCKET = "labcheck-rag-plain"
VECTOR_BUCKET = "labcheck-rag-vectors"
KB_ID = "KBSTUB1234"
SOURCE_ID = "DSSTUB1234"
WHEN = dt.datetime(2025, 3, 1, 12, 0, tzinfo=dt.UTC)
AGENT = "bedrock-agent"
AOSS = "opensearchserverless"
FIELDS = {
    "vectorField": "embedding",
    "textField": "AMAZON_BEDROCK_TEXT_CHUNK",
    "metadataField": "AMAZON_BEDROCK_METADATA",
}
ALL_ON = {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True}
# s3control signs as s3, so reader.iam_action names its GetPublicAccessBlock as the bucket-level action;
# reads_rag.py corrects the denial. Remove this once reader.py maps the operation by service.


def open_live() -> LiveAws:
    return LiveAws.open(OPTIONS)


def network_policy() -> list[dict[str, Any]]:
    rules = [
        {"ResourceType": "collection", "Resource": [f"collection/{COLLECTION}"]},
        {"ResourceType": "dashboard", "Resource": [f"collection/{COLLECTION}"]},
    ]
    return [{"Rules": rules, "AllowFromPublic": False, "SourceServices": ["bedrock.amazonaws.com"]}]


def tls_policy(bucket: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        ],
    }


# --- the moto deployment ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Deployed:
    """What was deployed into moto, read back from moto itself as the oracle."""

    client: ClientFactory
    key_arn: str
    collection_id: str
    collection_arn: str
    kb_id: str
    kb_arn: str


def deploy(client: ClientFactory) -> Deployed:
    """The OpenSearch Serverless track as far as moto serves it, plus an S3 Vectors bucket and index."""
    key_arn = client("kms").create_key(Description="labcheck-rag")["KeyMetadata"]["Arn"]
    aoss = client(AOSS)
    # moto takes the last matching policy of any type: network first, then encryption with exact names.
    aoss.create_security_policy(name=f"{COLLECTION}-net", type="network", policy=json.dumps(network_policy()))
    encryption = {
        "Rules": [{"ResourceType": "collection", "Resource": [f"collection/{COLLECTION}"]}],
        "AWSOwnedKey": False,
        "KmsARN": key_arn,
    }
    aoss.create_security_policy(name=f"{COLLECTION}-enc", type="encryption", policy=json.dumps(encryption))
    collection = aoss.create_collection(name=COLLECTION, type="VECTORSEARCH", standbyReplicas="DISABLED")
    detail = collection["createCollectionDetail"]
    agent = client(AGENT)
    kb = agent.create_knowledge_base(
        name="labcheck-rag",
        roleArn=ROLE_ARN,
        knowledgeBaseConfiguration={
            "type": "VECTOR",
            "vectorKnowledgeBaseConfiguration": {
                "embeddingModelArn": MODEL_ARN,
                "embeddingModelConfiguration": {"bedrockEmbeddingModelConfiguration": {"dimensions": 1024}},
            },
        },
        storageConfiguration={
            "type": "OPENSEARCH_SERVERLESS",
            "opensearchServerlessConfiguration": {
                "collectionArn": detail["arn"],
                "vectorIndexName": VECTOR_INDEX,
                "fieldMapping": FIELDS,
            },
        },
        tags={LAB_TAG: LAB_ID},
    )["knowledgeBase"]
    agent.create_knowledge_base(
        name="someone-else",
        roleArn=ROLE_ARN,
        knowledgeBaseConfiguration={
            "type": "VECTOR",
            "vectorKnowledgeBaseConfiguration": {"embeddingModelArn": MODEL_ARN},
        },
        storageConfiguration={
            "type": "OPENSEARCH_SERVERLESS",
            "opensearchServerlessConfiguration": {
                "collectionArn": detail["arn"],
                "vectorIndexName": "other",
                "fieldMapping": FIELDS,
            },
        },
        tags={LAB_TAG: "another-lab"},
    )
    s3 = client("s3")
    for bucket in (BUCKET, PLAIN_BUCKET):
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_public_access_block(Bucket=BUCKET, PublicAccessBlockConfiguration=ALL_ON)
    s3.put_bucket_policy(Bucket=BUCKET, Policy=json.dumps(tls_policy(BUCKET)))
    vectors = client("s3vectors")
    vectors.create_vector_bucket(
        vectorBucketName=VECTOR_BUCKET, encryptionConfiguration={"sseType": "aws:kms", "kmsKeyArn": key_arn}
    )
    vectors.create_index(
        vectorBucketName=VECTOR_BUCKET,
        indexName=VECTOR_INDEX,
        dataType="float32",
        dimension=1024,
        distanceMetric="cosine",
    )
    vectors.create_vector_bucket(vectorBucketName=f"{VECTOR_BUCKET}-plain")
    return Deployed(client, key_arn, detail["id"], detail["arn"], kb["knowledgeBaseId"], kb["knowledgeBaseArn"])


@pytest.fixture(scope="class")
def deployed() -> Iterator[Deployed]:
    with mock_aws_account(REGION) as client:
        yield deploy(client)


# --- Stubber answers for what moto lacks -----------------------------------------------------------------


def data_source_response(source_id: str = SOURCE_ID, **overrides: Any) -> dict[str, Any]:
    source = {
        "knowledgeBaseId": KB_ID,
        "dataSourceId": source_id,
        "name": "docs",
        "status": "AVAILABLE",
        "dataSourceConfiguration": {
            "type": "S3",
            "s3Configuration": {
                "bucketArn": f"arn:aws:s3:::{BUCKET}",
                "inclusionPrefixes": ["docs/"],
                "bucketOwnerAccountId": ACCOUNT,
            },
        },
        "serverSideEncryptionConfiguration": {"kmsKeyArn": f"arn:aws:kms:{REGION}:{ACCOUNT}:key/k1"},
        "vectorIngestionConfiguration": {
            "chunkingConfiguration": {
                "chunkingStrategy": "FIXED_SIZE",
                "fixedSizeChunkingConfiguration": {"maxTokens": 300, "overlapPercentage": 20},
            },
            "parsingConfiguration": {
                "parsingStrategy": "BEDROCK_FOUNDATION_MODEL",
                "bedrockFoundationModelConfiguration": {"modelArn": f"arn:aws:bedrock:{REGION}::foundation-model/p"},
            },
        },
        "dataDeletionPolicy": "DELETE",
        "createdAt": WHEN,
        "updatedAt": WHEN,
        **overrides,
    }
    return {"dataSource": source}


def summary(source_id: str) -> dict[str, Any]:
    return {
        "knowledgeBaseId": KB_ID,
        "dataSourceId": source_id,
        "name": source_id,
        "status": "AVAILABLE",
        "updatedAt": WHEN,
    }


def stub_data_sources(stub: Stubber) -> None:
    """Two pages of summaries; the second source vanishes before it is read."""
    stub.add_response(
        "list_data_sources",
        {"dataSourceSummaries": [summary(SOURCE_ID)], "nextToken": "page-2"},
        {"knowledgeBaseId": KB_ID},
    )
    stub.add_response(
        "list_data_sources",
        {"dataSourceSummaries": [summary("GONE123456")]},
        {"knowledgeBaseId": KB_ID, "nextToken": "page-2"},
    )
    stub.add_response("get_data_source", data_source_response(), {"knowledgeBaseId": KB_ID, "dataSourceId": SOURCE_ID})
    stub.add_client_error("get_data_source", "ResourceNotFoundException", http_status_code=404)


def stub_latest_job(stub: Stubber, jobs: list[dict[str, Any]]) -> None:
    stub.add_response(
        "list_ingestion_jobs",
        {"ingestionJobSummaries": jobs},
        {
            "knowledgeBaseId": KB_ID,
            "dataSourceId": SOURCE_ID,
            "sortBy": {"attribute": "STARTED_AT", "order": "DESCENDING"},
            "maxResults": 1,
        },
    )


def job_summary(status: str = "COMPLETE", **statistics: int) -> dict[str, Any]:
    return {
        "knowledgeBaseId": KB_ID,
        "dataSourceId": SOURCE_ID,
        "ingestionJobId": "JOB1234567",
        "status": status,
        "startedAt": WHEN,
        "updatedAt": WHEN,
        "statistics": statistics,
    }


POLICY_VERSION = "MTY4ODk5NDQzMzA0OV8x"
DATA_POLICY = [
    {
        "Rules": [
            {
                "ResourceType": "index",
                "Resource": [f"index/{COLLECTION}/*"],
                "Permission": ["aoss:DescribeIndex", "aoss:ReadDocument", "aoss:WriteDocument"],
            }
        ],
        "Principal": [ROLE_ARN],
    }
]


def access_summary(name: str) -> dict[str, Any]:
    return {"type": "data", "name": name, "policyVersion": POLICY_VERSION, "createdDate": 1, "lastModifiedDate": 1}


def stub_access_policies(stub: Stubber) -> None:
    """Two pages of data-access policies, followed by nextToken (botocore has no paginator for them)."""
    stub.add_response(
        "list_access_policies",
        {"accessPolicySummaries": [access_summary("kb-data")], "nextToken": "t2"},
        {"type": "data"},
    )
    stub.add_response(
        "list_access_policies",
        {"accessPolicySummaries": [access_summary("admin-data")]},
        {"type": "data", "nextToken": "t2"},
    )
    for name in ("kb-data", "admin-data"):
        detail = {"type": "data", "name": name, "policyVersion": POLICY_VERSION, "policy": DATA_POLICY}
        stub.add_response("get_access_policy", {"accessPolicyDetail": detail}, {"name": name, "type": "data"})


S3V_INDEX_ARN = f"arn:aws:s3vectors:{REGION}:{ACCOUNT}:bucket/{VECTOR_BUCKET}/index/{VECTOR_INDEX}"


def stub_s3_vectors_kb(stub: Stubber) -> None:
    """A knowledge base on S3 Vectors, which moto refuses to create."""
    arn = f"arn:aws:bedrock:{REGION}:{ACCOUNT}:knowledge-base/{KB_ID}"
    stub.add_response(
        "list_knowledge_bases",
        {"knowledgeBaseSummaries": [{"knowledgeBaseId": KB_ID, "name": "kb", "status": "ACTIVE", "updatedAt": WHEN}]},
    )
    knowledge_base = {
        "knowledgeBaseId": KB_ID,
        "name": "kb",
        "knowledgeBaseArn": arn,
        "roleArn": ROLE_ARN,
        "knowledgeBaseConfiguration": {
            "type": "VECTOR",
            "vectorKnowledgeBaseConfiguration": {"embeddingModelArn": MODEL_ARN},
        },
        "storageConfiguration": {"type": "S3_VECTORS", "s3VectorsConfiguration": {"indexArn": S3V_INDEX_ARN}},
        "status": "ACTIVE",
        "createdAt": WHEN,
        "updatedAt": WHEN,
    }
    stub.add_response("get_knowledge_base", {"knowledgeBase": knowledge_base}, {"knowledgeBaseId": KB_ID})
    stub.add_response("list_tags_for_resource", {"tags": {LAB_TAG: LAB_ID}}, {"resourceArn": arn})


class ActionRecorder:
    """Records the IAM action of every operation a view read calls (ahead of any Stubber's answer)."""

    def __init__(self) -> None:
        self._session = new_session(OPTIONS)
        self._actions: set[str] = set()
        self._session.events.register_first("before-call.*.*", self._record)

    def _record(self, model: Any, **_: Any) -> None:
        service = model.service_model
        self._actions.add(iam_action(service.signing_name, model.name, service.service_name))

    def actions_of(self, read: Callable[[LiveAws], Any]) -> set[str]:
        live = LiveAws(ClientPool(self._session, OPTIONS.max_attempts), REGION)
        self._actions.clear()
        read(live)
        return set(self._actions)


# --- moto-backed reads ----------------------------------------------------------------------------------


class TestDeployment:
    """Each RagView read moto serves returns the normalised values."""

    @pytest.fixture
    def live(self, deployed: Deployed) -> LiveAws:
        return open_live()

    def test_tagged_knowledge_bases(self, live: LiveAws, deployed: Deployed) -> None:
        [kb] = live.tagged_knowledge_bases(LAB_TAG, LAB_ID)
        assert kb == KnowledgeBase(
            id=deployed.kb_id,
            arn=deployed.kb_arn,
            name="labcheck-rag",
            status="ACTIVE",  # moto answers "Active"
            kb_type="VECTOR",
            role_arn=ROLE_ARN,
            embedding_model_arn=MODEL_ARN,
            embedding_dimensions=1024,
            storage_type="OPENSEARCH_SERVERLESS",
            collection_arn=deployed.collection_arn,
            vector_index_name=VECTOR_INDEX,
            vector_field="embedding",
            text_field="AMAZON_BEDROCK_TEXT_CHUNK",
            metadata_field="AMAZON_BEDROCK_METADATA",
            tags={LAB_TAG: LAB_ID},
        )
        assert kb.collection_id == deployed.collection_id
        assert kb.vector_index is None
        assert live.tagged_knowledge_bases(LAB_TAG, "no-such-lab") == []

    def test_oss_collection(self, live: LiveAws, deployed: Deployed) -> None:
        assert live.oss_collection(deployed.collection_id) == OssCollection(
            id=deployed.collection_id,
            name=COLLECTION,
            arn=deployed.collection_arn,
            status="ACTIVE",
            collection_type="VECTORSEARCH",
            kms_key_arn=deployed.key_arn,  # moto takes it from the encryption policy
            standby_replicas="DISABLED",
        )
        assert live.oss_collection("nosuchcollection000") is None

    def test_oss_security_policies_are_parsed_documents(self, live: LiveAws, deployed: Deployed) -> None:
        assert live.oss_security_policies("network") == [OssPolicy(f"{COLLECTION}-net", "network", network_policy())]
        [encryption] = live.oss_security_policies("encryption")
        assert isinstance(encryption.document, dict)
        assert encryption.document["KmsARN"] == deployed.key_arn
        assert encryption.document["AWSOwnedKey"] is False

    def test_bucket_public_access_block(self, live: LiveAws) -> None:
        assert live.bucket_public_access_block(BUCKET) == PublicAccessBlock(True, True, True, True)
        assert live.bucket_public_access_block(BUCKET).off == ()  # type: ignore[union-attr]
        assert live.bucket_public_access_block(PLAIN_BUCKET) is None

    def test_bucket_policy(self, live: LiveAws) -> None:
        assert live.bucket_policy(BUCKET) == tls_policy(BUCKET)
        assert live.bucket_policy(PLAIN_BUCKET) is None

    def test_vector_bucket_and_index(self, live: LiveAws, deployed: Deployed) -> None:
        bucket_arn = f"arn:aws:s3vectors:{REGION}:{ACCOUNT}:bucket/{VECTOR_BUCKET}"
        assert live.vector_bucket(VECTOR_BUCKET) == VectorBucket(VECTOR_BUCKET, bucket_arn, "aws:kms", deployed.key_arn)
        assert live.vector_bucket(f"{VECTOR_BUCKET}-plain") == VectorBucket(
            f"{VECTOR_BUCKET}-plain", f"{bucket_arn}-plain", "AES256", None
        )
        assert live.vector_bucket("no-such-vectors") is None
        assert live.vector_index(VECTOR_BUCKET, VECTOR_INDEX) == VectorIndex(
            VECTOR_BUCKET, VECTOR_INDEX, f"{bucket_arn}/index/{VECTOR_INDEX}", 1024, "cosine", "float32"
        )
        assert live.vector_index(VECTOR_BUCKET, "no-such-index") is None

    def test_each_distinct_request_is_sent_once(self, live: LiveAws, deployed: Deployed) -> None:
        sent: Counter[tuple[str, str, Any]] = Counter()

        def count(request: Any, event_name: str, **_: Any) -> None:
            sent[(event_name, request.url, request.body)] += 1

        for service in (AGENT, AOSS, "s3", "s3vectors"):
            live.client(service).meta.events.register("before-send", count)

        def read_all() -> None:
            live.tagged_knowledge_bases(LAB_TAG, LAB_ID)
            live.oss_collection(deployed.collection_id)
            live.oss_security_policies("network")
            live.bucket_public_access_block(BUCKET)
            live.bucket_policy(PLAIN_BUCKET)
            live.vector_bucket(VECTOR_BUCKET)
            live.vector_index(VECTOR_BUCKET, VECTOR_INDEX)

        read_all()
        first = Counter(sent)
        assert first
        assert set(first.values()) == {1}
        read_all()
        assert sent == first

    # --- READ_ACTIONS honesty ------------------------------------------------------------------------

    @staticmethod
    def _reads(deployed: Deployed) -> dict[str, Callable[[LiveAws], Any]]:
        def stubbed(
            service: str, add: Callable[[Stubber], None], read: Callable[[LiveAws], Any]
        ) -> Callable[[LiveAws], None]:
            def run(live: LiveAws) -> None:
                with Stubber(live.client(service)) as stub:
                    add(stub)
                    read(live)
                    stub.assert_no_pending_responses()

            return run

        return {
            "tagged_knowledge_bases": lambda live: live.tagged_knowledge_bases(LAB_TAG, LAB_ID),
            "data_sources": stubbed(AGENT, stub_data_sources, lambda live: live.data_sources(KB_ID)),
            "latest_ingestion_job": stubbed(
                AGENT,
                lambda stub: stub_latest_job(stub, [job_summary()]),
                lambda live: live.latest_ingestion_job(KB_ID, SOURCE_ID),
            ),
            "oss_collection": lambda live: live.oss_collection(deployed.collection_id),
            "oss_security_policies": lambda live: live.oss_security_policies("network"),
            "oss_access_policies": stubbed(AOSS, stub_access_policies, lambda live: live.oss_access_policies()),
            "vector_bucket": lambda live: live.vector_bucket(VECTOR_BUCKET),
            "vector_index": lambda live: live.vector_index(VECTOR_BUCKET, VECTOR_INDEX),
            "bucket_public_access_block": lambda live: live.bucket_public_access_block(BUCKET),
            "account_public_access_block": lambda live: live.account_public_access_block(),
            "bucket_policy": lambda live: live.bucket_policy(BUCKET),
        }

    def test_read_actions_are_the_calls_made(self, deployed: Deployed) -> None:
        recorder = ActionRecorder()
        recorded = {method: recorder.actions_of(read) for method, read in self._reads(deployed).items()}
        assert recorded == {m: set(a) for m, a in READ_ACTIONS.items()}


def test_read_actions_cover_exactly_the_view_methods() -> None:
    def methods(view: type) -> set[str]:
        return {n for n, _ in inspect.getmembers(view, inspect.isfunction) if not n.startswith("_")}

    assert set(READ_ACTIONS) == methods(RagView) - methods(AwsView)


def test_account_public_access_block(account: ClientFactory) -> None:
    live = open_live()
    assert live.account_public_access_block() is None
    account("s3control").put_public_access_block(
        AccountId=ACCOUNT, PublicAccessBlockConfiguration={**ALL_ON, "RestrictPublicBuckets": False}
    )
    block = open_live().account_public_access_block()
    assert block == PublicAccessBlock(True, True, True, False)
    assert block is not None
    assert block.off == ("RestrictPublicBuckets",)


def test_account_public_access_block_denial_names_the_account_action(account: ClientFactory) -> None:
    live = open_live()
    with Stubber(live.client("s3control")) as stub:
        stub.add_client_error("get_public_access_block", "AccessDenied", http_status_code=403)
        with pytest.raises(PermissionDeniedError) as caught:
            live.account_public_access_block()
        with pytest.raises(PermissionDeniedError) as again:  # the memoised denial says the same
            live.account_public_access_block()
    assert caught.value.action == again.value.action == "s3:GetAccountPublicAccessBlock"


def test_partial_bucket_block(account: ClientFactory) -> None:
    s3 = account("s3")
    s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_public_access_block(Bucket=BUCKET, PublicAccessBlockConfiguration={**ALL_ON, "BlockPublicPolicy": False})
    block = open_live().bucket_public_access_block(BUCKET)
    assert block is not None
    assert block.off == ("BlockPublicPolicy",)


# --- Stubber where moto lacks the API -------------------------------------------------------------------


def test_data_sources_over_two_pages(account: ClientFactory) -> None:
    live = open_live()
    with Stubber(live.client(AGENT)) as stub:
        stub_data_sources(stub)
        sources = live.data_sources(KB_ID)
        assert live.data_sources(KB_ID) == sources  # memoised
        stub.assert_no_pending_responses()
    assert sources == [
        DataSource(
            id=SOURCE_ID,
            name="docs",
            knowledge_base_id=KB_ID,
            status="AVAILABLE",
            source_type="S3",
            bucket_arn=f"arn:aws:s3:::{BUCKET}",
            bucket_owner=ACCOUNT,
            inclusion_prefixes=("docs/",),
            deletion_policy="DELETE",
            kms_key_arn=f"arn:aws:kms:{REGION}:{ACCOUNT}:key/k1",
            chunking=Chunking("FIXED_SIZE", max_tokens=300, overlap_percentage=20),
            parsing_model_arn=f"arn:aws:bedrock:{REGION}::foundation-model/p",
        )
    ]
    assert sources[0].bucket_name == BUCKET


@pytest.mark.parametrize(
    ("configuration", "expected"),
    [
        pytest.param(
            {
                "chunkingStrategy": "HIERARCHICAL",
                "hierarchicalChunkingConfiguration": {
                    "levelConfigurations": [{"maxTokens": 1500}, {"maxTokens": 300}],
                    "overlapTokens": 60,
                },
            },
            Chunking("HIERARCHICAL", level_max_tokens=(1500, 300), overlap_tokens=60),
            id="hierarchical",
        ),
        pytest.param(
            {
                "chunkingStrategy": "SEMANTIC",
                "semanticChunkingConfiguration": {
                    "maxTokens": 300,
                    "bufferSize": 1,
                    "breakpointPercentileThreshold": 95,
                },
            },
            Chunking("SEMANTIC", max_tokens=300, buffer_size=1, breakpoint_threshold=95),
            id="semantic",
        ),
        pytest.param({"chunkingStrategy": "NONE"}, Chunking("NONE"), id="none"),
        pytest.param(None, None, id="absent"),
    ],
)
def test_data_source_chunking_and_bare_fields(
    account: ClientFactory, configuration: dict[str, Any] | None, expected: Chunking | None
) -> None:
    live = open_live()
    bare = data_source_response(status="CREATING", dataSourceConfiguration={"type": "WEB"})["dataSource"]
    for key in ("serverSideEncryptionConfiguration", "dataDeletionPolicy", "vectorIngestionConfiguration"):
        del bare[key]
    if configuration is not None:
        bare["vectorIngestionConfiguration"] = {"chunkingConfiguration": configuration}
    with Stubber(live.client(AGENT)) as stub:
        stub.add_response("list_data_sources", {"dataSourceSummaries": [summary(SOURCE_ID)]})
        stub.add_response("get_data_source", {"dataSource": bare})
        [source] = live.data_sources(KB_ID)
    assert source == DataSource(SOURCE_ID, "docs", KB_ID, "CREATING", "WEB", chunking=expected)
    assert source.bucket_name is None


def test_data_sources_unimplemented_in_moto(account: ClientFactory) -> None:
    with pytest.raises(ProviderError, match="bedrock:ListDataSources is not implemented"):
        open_live().data_sources(KB_ID)


def test_latest_ingestion_job(account: ClientFactory) -> None:
    live = open_live()
    with Stubber(live.client(AGENT)) as stub:
        stub_latest_job(
            stub,
            [
                job_summary(
                    "IN_PROGRESS",
                    numberOfDocumentsScanned=4,
                    numberOfDocumentsFailed=1,
                    numberOfNewDocumentsIndexed=2,
                    numberOfModifiedDocumentsIndexed=1,
                )
            ],
        )
        job = live.latest_ingestion_job(KB_ID, SOURCE_ID)
        stub.assert_no_pending_responses()
    assert job == IngestionJob(
        "JOB1234567", "IN_PROGRESS", WHEN, scanned=4, failed=1, new_indexed=2, modified_indexed=1
    )


def test_no_ingestion_job(account: ClientFactory) -> None:
    live = open_live()
    with Stubber(live.client(AGENT)) as stub:
        stub_latest_job(stub, [])
        assert live.latest_ingestion_job(KB_ID, SOURCE_ID) is None


def test_ingestion_job_without_statistics(account: ClientFactory) -> None:
    live = open_live()
    raw = job_summary("STARTING")
    del raw["statistics"]
    with Stubber(live.client(AGENT)) as stub:
        stub_latest_job(stub, [raw])
        assert live.latest_ingestion_job(KB_ID, SOURCE_ID) == IngestionJob("JOB1234567", "STARTING", WHEN)


def test_oss_access_policies_over_two_pages(account: ClientFactory) -> None:
    live = open_live()
    with Stubber(live.client(AOSS)) as stub:
        stub_access_policies(stub)
        policies = live.oss_access_policies()
        stub.assert_no_pending_responses()
    assert policies == [OssPolicy("kb-data", "data", DATA_POLICY), OssPolicy("admin-data", "data", DATA_POLICY)]
    assert isinstance(policies[0].document, list)


def test_oss_access_policies_unimplemented_in_moto(account: ClientFactory) -> None:
    with pytest.raises(ProviderError, match="aoss:ListAccessPolicies is not implemented"):
        open_live().oss_access_policies()


def test_knowledge_base_on_s3_vectors(account: ClientFactory) -> None:
    live = open_live()
    with Stubber(live.client(AGENT)) as stub:
        stub_s3_vectors_kb(stub)
        [kb] = live.tagged_knowledge_bases(LAB_TAG, LAB_ID)
        stub.assert_no_pending_responses()
    assert (kb.storage_type, kb.index_arn, kb.collection_arn) == ("S3_VECTORS", S3V_INDEX_ARN, None)
    assert kb.vector_index == (VECTOR_BUCKET, VECTOR_INDEX)
    assert kb.full_index_arn == S3V_INDEX_ARN
    assert kb.embedding_dimensions is None


def test_knowledge_base_deleted_between_list_and_get(account: ClientFactory) -> None:
    live = open_live()
    with Stubber(live.client(AGENT)) as stub:
        stub.add_response(
            "list_knowledge_bases",
            {
                "knowledgeBaseSummaries": [
                    {"knowledgeBaseId": KB_ID, "name": "kb", "status": "DELETING", "updatedAt": WHEN}
                ]
            },
        )
        stub.add_client_error("get_knowledge_base", "ResourceNotFoundException", http_status_code=404)
        assert live.tagged_knowledge_bases(LAB_TAG, LAB_ID) == []


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        pytest.param(
            {
                "collectionDetails": [
                    {
                        "id": "coll0001",
                        "name": "rag",
                        "arn": f"arn:aws:aoss:{REGION}:{ACCOUNT}:collection/coll0001",
                        "status": "ACTIVE",
                        "type": "VECTORSEARCH",
                        "kmsKeyArn": "auto",
                        "standbyReplicas": "ENABLED",
                    }
                ]
            },
            OssCollection(
                "coll0001",
                "rag",
                f"arn:aws:aoss:{REGION}:{ACCOUNT}:collection/coll0001",
                "ACTIVE",
                "VECTORSEARCH",
                "auto",
                "ENABLED",
            ),
            id="aws-owned-key",
        ),
        pytest.param(
            {
                "collectionDetails": [
                    {
                        "id": "coll0001",
                        "name": "rag",
                        "status": "FAILED",
                        "type": "VECTORSEARCH",
                        "failureCode": "KMS_ACCESS",
                        "failureMessage": "cannot use the key",
                    }
                ]
            },
            OssCollection(
                "coll0001", "rag", "", "FAILED", "VECTORSEARCH", None, None, error="KMS_ACCESS: cannot use the key"
            ),
            id="failed",
        ),
        pytest.param(
            {"collectionErrorDetails": [{"id": "coll0001", "errorCode": "ACCESS_DENIED", "errorMessage": "not yours"}]},
            OssCollection("coll0001", "", "", "", "", None, None, error="ACCESS_DENIED: not yours"),
            id="error-detail",
        ),
        pytest.param(
            {"collectionErrorDetails": [{"id": "coll0001", "errorCode": "NOT_FOUND", "errorMessage": "gone"}]},
            None,
            id="not-found",
        ),
    ],
)
def test_oss_collection_states(account: ClientFactory, answer: dict[str, Any], expected: OssCollection | None) -> None:
    live = open_live()
    with Stubber(live.client(AOSS)) as stub:
        stub.add_response("batch_get_collection", answer, {"ids": ["coll0001"]})
        assert live.oss_collection("coll0001") == expected


# --- denials name the action ----------------------------------------------------------------------------

DENIALS = {
    "tagged_knowledge_bases": (AGENT, "list_knowledge_bases", ("labcheck-lab", LAB_ID)),
    "data_sources": (AGENT, "list_data_sources", (KB_ID,)),
    "latest_ingestion_job": (AGENT, "list_ingestion_jobs", (KB_ID, SOURCE_ID)),
    "oss_collection": (AOSS, "batch_get_collection", ("coll0001",)),
    "oss_security_policies": (AOSS, "list_security_policies", ("network",)),
    "oss_access_policies": (AOSS, "list_access_policies", ()),
    "vector_bucket": ("s3vectors", "get_vector_bucket", (VECTOR_BUCKET,)),
    "vector_index": ("s3vectors", "get_index", (VECTOR_BUCKET, VECTOR_INDEX)),
    "bucket_public_access_block": ("s3", "get_public_access_block", (BUCKET,)),
    "account_public_access_block": ("s3control", "get_public_access_block", ()),
    "bucket_policy": ("s3", "get_bucket_policy", (BUCKET,)),
}


def test_every_rag_read_has_a_denial_case() -> None:
    assert set(DENIALS) == set(READ_ACTIONS)


@pytest.mark.parametrize(("method", "denial"), DENIALS.items(), ids=list(DENIALS))
def test_denial_names_the_first_read_action(
    account: ClientFactory, method: str, denial: tuple[str, str, tuple[Any, ...]]
) -> None:
    service, operation, args = denial
    live = open_live()
    code = "AccessDenied" if service.startswith("s3") and service != "s3vectors" else "AccessDeniedException"
    with Stubber(live.client(service)) as stub:
        stub.add_client_error(operation, code, http_status_code=403)
        with pytest.raises(PermissionDeniedError) as caught:
            getattr(live, method)(*args)
    assert caught.value.action == READ_ACTIONS[method][0]
