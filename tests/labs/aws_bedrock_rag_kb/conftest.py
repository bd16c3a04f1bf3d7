"""The passing architectures of aws-bedrock-rag-kb as FakeAws, one per vector-store track, and the runner glue.

`reference_oss()` mirrors the Terraform solution's default track (OpenSearch Serverless), `reference_s3v()`
its S3 Vectors track. Every check passes on its own track's reference and is SKIP on the other one; each
test case is one small edit of a fresh copy. The test module reaches everything here through fixtures.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

import pytest

from labcheck.catalog import Lab, get_lab
from labcheck.model import Result
from labcheck.providers.aws.view import BucketEncryption, KmsKey, NamedPolicy, Role
from labcheck.providers.aws.view_rag import (
    OSS,
    S3_VECTORS,
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
from labcheck.testing.aws import FakeAws
from tests.labs.contract import AwsSubject

LAB_ID = "aws-bedrock-rag-kb"
ACCOUNT = "111122223333"
REGION = "eu-central-1"
NAME = "labcheck-rag"
KB_ID = "KBREF12345"
KB_ARN = f"arn:aws:bedrock:{REGION}:{ACCOUNT}:knowledge-base/{KB_ID}"
KB_ROLE = "labcheck-rag-kb"
KB_ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/{KB_ROLE}"
MODEL_ARN = f"arn:aws:bedrock:{REGION}::foundation-model/amazon.titan-embed-text-v2:0"
BUCKET = f"labcheck-rag-docs-{ACCOUNT}"
BUCKET_ARN = f"arn:aws:s3:::{BUCKET}"
SOURCE_ID = "DSREF12345"
JOB_ID = "JOBREF1234"
KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"
KEY_ARN = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{KEY_ID}"
KEY_ALIAS = f"alias/{NAME}"
COLLECTION_ID = "a1b2c3d4e5f6g7h8i9j0"
COLLECTION_ARN = f"arn:aws:aoss:{REGION}:{ACCOUNT}:collection/{COLLECTION_ID}"
VECTOR_INDEX = "bedrock-knowledge-base-index"
VECTOR_BUCKET = f"{NAME}-vectors"
VECTOR_BUCKET_ARN = f"arn:aws:s3vectors:{REGION}:{ACCOUNT}:bucket/{VECTOR_BUCKET}"
INDEX_ARN = f"{VECTOR_BUCKET_ARN}/index/{VECTOR_INDEX}"
LAB_TAGS = {"labcheck-lab": LAB_ID}
STARTED = dt.datetime(2025, 3, 1, 12, 0, tzinfo=dt.UTC)


def document(*statements: dict[str, Any]) -> dict[str, Any]:
    """A policy document."""
    return {"Version": "2012-10-17", "Statement": list(statements)}


def kb_trust() -> dict[str, Any]:
    """Bedrock, acting for this account's knowledge bases, may assume the KB role."""
    return document(
        {
            "Effect": "Allow",
            "Principal": {"Service": "bedrock.amazonaws.com"},
            "Action": "sts:AssumeRole",
            "Condition": {
                "StringEquals": {"aws:SourceAccount": ACCOUNT},
                "ArnLike": {"aws:SourceArn": f"arn:aws:bedrock:{REGION}:{ACCOUNT}:knowledge-base/*"},
            },
        }
    )


def allow(actions: Sequence[str] | str, resources: Sequence[str] | str, sid: str = "") -> dict[str, Any]:
    """An Allow statement."""
    statement: dict[str, Any] = {"Effect": "Allow", "Action": actions, "Resource": resources}
    if sid:
        statement["Sid"] = sid
    return statement


def kb_permissions(store: dict[str, Any]) -> dict[str, Any]:
    """The KB role's permissions: the model, the docs prefix, the vector store and the CMK."""
    return document(
        allow("bedrock:InvokeModel", [MODEL_ARN], "EmbeddingModel"),
        allow("s3:ListBucket", [BUCKET_ARN], "ListDocs"),
        allow("s3:GetObject", [f"{BUCKET_ARN}/docs/*"], "ReadDocs"),
        store,
        allow(["kms:Decrypt", "kms:GenerateDataKey"], [KEY_ARN], "UseKey"),
    )


OSS_STORE = allow("aoss:APIAccessAll", [COLLECTION_ARN], "Collection")
S3V_STORE = allow(
    ["s3vectors:PutVectors", "s3vectors:GetVectors", "s3vectors:DeleteVectors", "s3vectors:QueryVectors"],
    [INDEX_ARN],
    "VectorIndex",
)


def tls_only_policy() -> dict[str, Any]:
    """Deny every request to the bucket that does not use TLS."""
    return document(
        {
            "Sid": "DenyPlainHttp",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [BUCKET_ARN, f"{BUCKET_ARN}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }
    )


def network_policy() -> list[dict[str, Any]]:
    """No public access; Bedrock may reach the collection."""
    rules = [
        {"ResourceType": "collection", "Resource": [f"collection/{NAME}"]},
        {"ResourceType": "dashboard", "Resource": [f"collection/{NAME}"]},
    ]
    return [{"Rules": rules, "AllowFromPublic": False, "SourceServices": ["bedrock.amazonaws.com"]}]


def encryption_policy() -> dict[str, Any]:
    """The collection is encrypted with the lab CMK."""
    rules = [{"ResourceType": "collection", "Resource": [f"collection/{NAME}"]}]
    return {"Rules": rules, "AWSOwnedKey": False, "KmsARN": KEY_ARN}


def data_policy() -> list[dict[str, Any]]:
    """Only the KB role, only on the collection's indexes."""
    rule = {
        "ResourceType": "index",
        "Resource": [f"index/{NAME}/*"],
        "Permission": ["aoss:DescribeIndex", "aoss:ReadDocument", "aoss:WriteDocument"],
    }
    return [{"Rules": [rule], "Principal": [KB_ROLE_ARN], "Description": "the knowledge base"}]


def _knowledge_base(storage: dict[str, Any]) -> KnowledgeBase:
    return KnowledgeBase(
        id=KB_ID,
        arn=KB_ARN,
        name=NAME,
        status="ACTIVE",
        kb_type="VECTOR",
        role_arn=KB_ROLE_ARN,
        embedding_model_arn=MODEL_ARN,
        embedding_dimensions=1024,
        tags=dict(LAB_TAGS),
        **storage,
    )


def _common(fake: FakeAws, store: dict[str, Any]) -> None:
    fake.kb_data_sources[KB_ID] = [
        DataSource(
            id=SOURCE_ID,
            name="docs",
            knowledge_base_id=KB_ID,
            status="AVAILABLE",
            source_type="S3",
            bucket_arn=BUCKET_ARN,
            inclusion_prefixes=("docs/",),
            deletion_policy="DELETE",
            kms_key_arn=KEY_ARN,
            chunking=Chunking("FIXED_SIZE", max_tokens=300, overlap_percentage=20),
        )
    ]
    fake.ingestion_jobs[SOURCE_ID] = IngestionJob(JOB_ID, "COMPLETE", STARTED, scanned=3, new_indexed=3)
    fake.roles[KB_ROLE] = Role(KB_ROLE, KB_ROLE_ARN, kb_trust())
    fake.policies[KB_ROLE] = [NamedPolicy("knowledge-base", kb_permissions(store))]
    key = KmsKey(KEY_ID, KEY_ARN, "CUSTOMER", "Enabled", "SYMMETRIC_DEFAULT", rotation_enabled=True)
    fake.keys.update({KEY_ARN: key, KEY_ID: key, KEY_ALIAS: key})
    fake.buckets[BUCKET] = BucketEncryption(BUCKET, "aws:kms", KEY_ARN)
    fake.public_access_blocks[BUCKET] = PublicAccessBlock(True, True, True, True)
    fake.bucket_policies[BUCKET] = tls_only_policy()


def reference_oss() -> FakeAws:
    """A fresh copy of the passing architecture on the OpenSearch Serverless track."""
    fake = FakeAws(account_id=ACCOUNT, region=REGION)
    storage = {
        "storage_type": OSS,
        "collection_arn": COLLECTION_ARN,
        "vector_index_name": VECTOR_INDEX,
        "vector_field": "bedrock-knowledge-base-default-vector",
        "text_field": "AMAZON_BEDROCK_TEXT_CHUNK",
        "metadata_field": "AMAZON_BEDROCK_METADATA",
    }
    fake.knowledge_bases.append(_knowledge_base(storage))
    _common(fake, OSS_STORE)
    fake.oss_collections[COLLECTION_ID] = OssCollection(
        COLLECTION_ID, NAME, COLLECTION_ARN, "ACTIVE", "VECTORSEARCH", KEY_ARN, "DISABLED"
    )
    fake.oss_security += [
        OssPolicy(f"{NAME}-encryption", "encryption", encryption_policy()),
        OssPolicy(f"{NAME}-network", "network", network_policy()),
    ]
    fake.oss_access.append(OssPolicy(f"{NAME}-data", "data", data_policy()))
    return fake


def reference_s3v() -> FakeAws:
    """A fresh copy of the passing architecture on the S3 Vectors track."""
    fake = FakeAws(account_id=ACCOUNT, region=REGION)
    fake.knowledge_bases.append(_knowledge_base({"storage_type": S3_VECTORS, "index_arn": INDEX_ARN}))
    _common(fake, S3V_STORE)
    fake.vector_buckets[VECTOR_BUCKET] = VectorBucket(VECTOR_BUCKET, VECTOR_BUCKET_ARN, "aws:kms", KEY_ARN)
    fake.vector_indexes[f"{VECTOR_BUCKET}/{VECTOR_INDEX}"] = VectorIndex(
        VECTOR_BUCKET, VECTOR_INDEX, INDEX_ARN, 1024, "cosine", "float32"
    )
    return fake


REFERENCES: dict[str, Callable[[], FakeAws]] = {"oss": reference_oss, "s3v": reference_s3v}

Runner = Callable[..., Result]


@pytest.fixture(scope="session")
def lab() -> Lab:
    """The lab under test."""
    return get_lab(LAB_ID)


@pytest.fixture
def references() -> dict[str, Callable[[], FakeAws]]:
    """The factories of fresh reference architectures, by track."""
    return REFERENCES


@pytest.fixture
def subject(lab: Lab) -> AwsSubject:
    """The references and the grading the shared contract tests use."""
    return AwsSubject(lab, REFERENCES)


@pytest.fixture
def run(subject: AwsSubject) -> Runner:
    """Run one check through the real runner against a fake account, with optional key=value inputs."""
    return subject.run
