"""The 13 checks of aws-bedrock-rag-kb against both reference architectures and one-edit variants of them.

Cases are data: (check id, name, an edit of a fresh reference FakeAws, expected status, a message fragment,
optional lab inputs, the track whose reference is edited). Edits name the reference's resources through
placeholders filled from the fake itself ({bucket}, {key}, {role}, ...), so every case reads like the policy
or resource a learner would write. Every check runs through the real runner, so exceptions map to statuses
exactly as in a report.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from typing import Any

from labcheck.catalog import Lab, get_lab
from labcheck.model import Result, Status
from labcheck.providers.aws.view import BucketEncryption, NamedPolicy
from labcheck.providers.aws.view_rag import (
    Chunking,
    DataSource,
    IngestionJob,
    OssPolicy,
    PublicAccessBlock,
)
from labcheck.testing.aws import FakeAws
from tests.labs import contract
from tests.labs.contract import unchanged

PASS, FAIL, ERROR, SKIP, PENDING = Status.PASS, Status.FAIL, Status.ERROR, Status.SKIP, Status.PENDING

LAB = get_lab("aws-bedrock-rag-kb")
CHECK_IDS = [c.id for c in LAB.checks]
OTHER_ACCOUNT = "999988887777"
TRACKS = ("oss", "s3v")

B1 = "kb-active-vector"
B2 = "kb-role-trust-confused-deputy"
B3 = "kb-role-least-privilege"
B4 = "data-source-s3-scoped"
B5 = "data-source-transient-cmk"
B6 = "chunking-explicit"
B7 = "source-bucket-encrypted-cmk"
B8 = "source-bucket-private-tls"
B9 = "oss-collection-encrypted-cmk"
B10 = "oss-network-private"
B11 = "oss-data-access-least-privilege"
B12 = "s3vectors-encrypted-cmk"
B13 = "ingestion-complete"
OSS_ONLY = (B9, B10, B11)
S3V_ONLY = (B12,)

Mutation = Callable[[FakeAws], None]
References = dict[str, Callable[[], FakeAws]]
Runner = Callable[..., Result]


# Cases edit the OpenSearch Serverless track's reference unless they name the S3 Vectors track.
Case = functools.partial(contract.Case, track="oss")


# --- placeholders -----------------------------------------------------------------------------------


def names(fake: FakeAws) -> dict[str, str]:
    """The reference's resource names as the placeholders in case data use them."""
    kb = fake.knowledge_bases[0] if fake.knowledge_bases else None
    return {
        "account": fake.account_id,
        "region": fake.region,
        "kb_arn": kb.arn if kb else "",
        "role": kb.role_arn if kb else "",
        "model": kb.embedding_model_arn or "" if kb else "",
        "collection_arn": (kb.collection_arn or "") if kb else "",
        "index_arn": (kb.index_arn or "") if kb else "",
        "bucket": f"labcheck-rag-docs-{fake.account_id}",
        "bucket_arn": f"arn:aws:s3:::labcheck-rag-docs-{fake.account_id}",
        "key": next((k for k in fake.keys if k.startswith("arn:")), "no-key"),
    }


def fill(value: Any, fake: FakeAws) -> Any:
    """The value with every {placeholder} in its strings replaced (keys of mappings are left alone)."""
    if isinstance(value, str):
        return value.format_map(names(fake))
    if isinstance(value, list | tuple):
        return type(value)(fill(v, fake) for v in value)
    if isinstance(value, dict):
        return {k: fill(v, fake) for k, v in value.items()}
    return value


def document(*statements: dict[str, Any]) -> dict[str, Any]:
    """A policy document."""
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(action: Any, resource: Any, **extra: Any) -> dict[str, Any]:
    """An Allow statement."""
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


# --- edits ------------------------------------------------------------------------------------------


def chain(*mutations: Mutation) -> Mutation:
    """Several edits in order."""

    def mutate(fake: FakeAws) -> None:
        for mutation in mutations:
            mutation(fake)

    return mutate


def edit_kb(**changes: Any) -> Mutation:
    """Change the lab knowledge base."""

    def mutate(fake: FakeAws) -> None:
        fake.knowledge_bases[0] = dataclasses.replace(fake.knowledge_bases[0], **fill(changes, fake))

    return mutate


def add_kb(kb_id: str, tags: dict[str, str]) -> Mutation:
    """A second knowledge base: a copy of the reference one with another id and these tags."""

    def mutate(fake: FakeAws) -> None:
        kb = fake.knowledge_bases[0]
        fake.knowledge_bases.append(
            dataclasses.replace(kb, id=kb_id, arn=kb.arn.rsplit("/", 1)[0] + f"/{kb_id}", name=kb_id, tags=tags)
        )

    return mutate


def _source(fake: FakeAws, index: int = 0) -> DataSource:
    return fake.kb_data_sources[fake.knowledge_bases[0].id][index]


def edit_source(**changes: Any) -> Mutation:
    """Change the reference data source."""

    def mutate(fake: FakeAws) -> None:
        sources = fake.kb_data_sources[fake.knowledge_bases[0].id]
        sources[0] = dataclasses.replace(sources[0], **fill(changes, fake))

    return mutate


def add_source(source_id: str, **changes: Any) -> Mutation:
    """A second data source: a copy of the reference one with some fields changed."""

    def mutate(fake: FakeAws) -> None:
        sources = fake.kb_data_sources[fake.knowledge_bases[0].id]
        sources.append(dataclasses.replace(sources[0], id=source_id, name=source_id, **fill(changes, fake)))

    return mutate


def no_sources(fake: FakeAws) -> None:
    """The knowledge base has no data source."""
    fake.kb_data_sources[fake.knowledge_bases[0].id] = []


def chunking(strategy: str, **settings: Any) -> Mutation:
    """Replace the data source's chunking configuration."""
    return edit_source(chunking=Chunking(strategy, **settings))


def job(status: str, job_id: str = "JOBREF1234", source: str = "DSREF12345", **statistics: Any) -> Mutation:
    """Replace a data source's latest ingestion job."""

    def mutate(fake: FakeAws) -> None:
        started = fake.ingestion_jobs["DSREF12345"].started_at
        values = {"scanned": 3, "new_indexed": 3, **statistics}
        fake.ingestion_jobs[source] = IngestionJob(job_id, status, started, **values)

    return mutate


def no_job(fake: FakeAws) -> None:
    """The data source was never synced."""
    fake.ingestion_jobs.clear()


def trust(*statements: dict[str, Any]) -> Mutation:
    """Replace the KB role's trust policy."""

    def mutate(fake: FakeAws) -> None:
        name = fake.knowledge_bases[0].role_arn.rsplit("/", 1)[-1]
        fake.roles[name] = dataclasses.replace(fake.roles[name], trust_policy=fill(document(*statements), fake))

    return mutate


def no_role(fake: FakeAws) -> None:
    """The KB role does not exist."""
    fake.roles.clear()


def bedrock_trust(**overrides: Any) -> dict[str, Any]:
    """The reference trust statement with some elements changed (None removes one)."""
    base = {
        "Effect": "Allow",
        "Principal": {"Service": "bedrock.amazonaws.com"},
        "Action": "sts:AssumeRole",
        "Condition": {
            "StringEquals": {"aws:SourceAccount": "{account}"},
            "ArnLike": {"aws:SourceArn": "arn:aws:bedrock:{region}:{account}:knowledge-base/*"},
        },
    }
    merged = {**base, **overrides}
    return {k: v for k, v in merged.items() if v is not None}


def conditions(
    account: Any = "{account}", source_arn: Any = "arn:aws:bedrock:{region}:{account}:knowledge-base/*"
) -> dict[str, Any]:
    """The trust conditions with another SourceAccount or SourceArn (None drops one)."""
    found: dict[str, Any] = {}
    if account is not None:
        found["StringEquals"] = {"aws:SourceAccount": account}
    if source_arn is not None:
        found["ArnLike"] = {"aws:SourceArn": source_arn}
    return found


def role_statements(*statements: dict[str, Any]) -> Mutation:
    """Replace the KB role's permissions with one inline policy."""

    def mutate(fake: FakeAws) -> None:
        name = fake.knowledge_bases[0].role_arn.rsplit("/", 1)[-1]
        fake.policies[name] = [NamedPolicy("inline", fill(document(*statements), fake))]

    return mutate


def add_statements(*statements: dict[str, Any]) -> Mutation:
    """Add statements to the KB role's inline policy."""

    def mutate(fake: FakeAws) -> None:
        name = fake.knowledge_bases[0].role_arn.rsplit("/", 1)[-1]
        [policy] = fake.policies[name]
        merged = {**policy.document, "Statement": [*policy.document["Statement"], *fill(list(statements), fake)]}
        fake.policies[name] = [NamedPolicy(policy.name, merged)]

    return mutate


def attach_managed(arn: str, *statements: dict[str, Any]) -> Mutation:
    """Attach a managed policy to the KB role, besides its inline policy."""

    def mutate(fake: FakeAws) -> None:
        name = fake.knowledge_bases[0].role_arn.rsplit("/", 1)[-1]
        fake.policies[name].append(NamedPolicy(arn, fill(document(*statements), fake)))

    return mutate


def no_permissions(fake: FakeAws) -> None:
    """The KB role has no identity policy."""
    fake.policies.clear()


def edit_key(**changes: Any) -> Mutation:
    """Change the lab CMK (under every reference it is registered by)."""

    def mutate(fake: FakeAws) -> None:
        fake.keys = {ref: dataclasses.replace(key, **changes) for ref, key in fake.keys.items()}

    return mutate


def no_key(fake: FakeAws) -> None:
    """The lab CMK is gone."""
    fake.keys.clear()


def bucket_encryption(algorithm: str | None, key: str | None) -> Mutation:
    """The source bucket's default encryption."""

    def mutate(fake: FakeAws) -> None:
        bucket = names(fake)["bucket"]
        fake.buckets[bucket] = BucketEncryption(bucket, algorithm, fill(key, fake))

    return mutate


def bucket_block(*flags: bool | None) -> Mutation:
    """The source bucket's public access block (no flags: none configured)."""

    def mutate(fake: FakeAws) -> None:
        bucket = names(fake)["bucket"]
        if flags:
            fake.public_access_blocks[bucket] = PublicAccessBlock(*(bool(f) for f in flags))
        else:
            fake.public_access_blocks.pop(bucket, None)

    return mutate


def account_block(*flags: bool) -> Mutation:
    """The account's public access block."""

    def mutate(fake: FakeAws) -> None:
        fake.account_access_block = PublicAccessBlock(*flags)

    return mutate


def bucket_policy(*statements: dict[str, Any]) -> Mutation:
    """Replace the source bucket's policy (no statements: no policy at all)."""

    def mutate(fake: FakeAws) -> None:
        bucket = names(fake)["bucket"]
        if statements:
            fake.bucket_policies[bucket] = fill(document(*statements), fake)
        else:
            fake.bucket_policies.pop(bucket, None)

    return mutate


def tls_deny(**overrides: Any) -> dict[str, Any]:
    """The reference TLS-only statement with some elements changed (None removes one)."""
    base = {
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": ["{bucket_arn}", "{bucket_arn}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
    merged = {**base, **overrides}
    return {k: v for k, v in merged.items() if v is not None}


def edit_collection(**changes: Any) -> Mutation:
    """Change the OpenSearch Serverless collection."""

    def mutate(fake: FakeAws) -> None:
        [collection_id] = fake.oss_collections
        fake.oss_collections[collection_id] = dataclasses.replace(
            fake.oss_collections[collection_id], **fill(changes, fake)
        )

    return mutate


def no_collection(fake: FakeAws) -> None:
    """The collection the knowledge base names does not exist."""
    fake.oss_collections.clear()


def security_policies(policy_type: str, *documents: Any) -> Mutation:
    """Replace the security policies of one type (each document becomes one policy)."""

    def mutate(fake: FakeAws) -> None:
        kept = [p for p in fake.oss_security if p.policy_type != policy_type]
        made = [OssPolicy(f"{policy_type}-{n}", policy_type, d) for n, d in enumerate(documents)]
        fake.oss_security = kept + made

    return mutate


def net(*rule_sets: dict[str, Any]) -> Mutation:
    """One network policy of these rule-sets."""
    return security_policies("network", list(rule_sets))


def net_rules(
    pattern: str = "collection/labcheck-rag",
    public: Any = False,
    services: Any = ("bedrock.amazonaws.com",),
    **extra: Any,
) -> dict[str, Any]:
    """A network rule-set for a collection and its dashboard (None leaves a key out)."""
    rule_set: dict[str, Any] = {
        "Rules": [
            {"ResourceType": "collection", "Resource": [pattern]},
            {"ResourceType": "dashboard", "Resource": [pattern]},
        ],
        **extra,
    }
    if public is not None:
        rule_set["AllowFromPublic"] = public
    if services is not None:
        rule_set["SourceServices"] = list(services)
    return rule_set


def data_policies(*rule_sets: dict[str, Any]) -> Mutation:
    """Replace the data-access policies with one policy of these rule-sets."""

    def mutate(fake: FakeAws) -> None:
        fake.oss_access = [OssPolicy("data-0", "data", fill(list(rule_sets), fake))] if rule_sets else []

    return mutate


INDEX_USE = ["aoss:DescribeIndex", "aoss:ReadDocument", "aoss:WriteDocument"]


def data_rules(
    principals: Any = ("{role}",), resource: Any = ("index/labcheck-rag/*",), permissions: Any = None
) -> dict[str, Any]:
    """A data-access rule-set with one index rule."""
    rule = {"ResourceType": "index", "Resource": list(resource), "Permission": permissions or INDEX_USE}
    return {"Rules": [rule], "Principal": list(principals)}


ADMIN = "arn:aws:iam::{account}:role/terraform-admin"
ADMIN_RULES = {
    "Rules": [
        {"ResourceType": "collection", "Resource": ["collection/labcheck-rag"], "Permission": ["aoss:*"]},
        {"ResourceType": "index", "Resource": ["index/labcheck-rag/*"], "Permission": ["aoss:*"]},
    ],
    "Principal": [ADMIN],
}


def edit_vector_bucket(**changes: Any) -> Mutation:
    """Change the S3 Vectors bucket."""

    def mutate(fake: FakeAws) -> None:
        [name] = fake.vector_buckets
        fake.vector_buckets[name] = dataclasses.replace(fake.vector_buckets[name], **fill(changes, fake))

    return mutate


def edit_vector_index(**changes: Any) -> Mutation:
    """Change the S3 Vectors index."""

    def mutate(fake: FakeAws) -> None:
        [name] = fake.vector_indexes
        fake.vector_indexes[name] = dataclasses.replace(fake.vector_indexes[name], **fill(changes, fake))

    return mutate


def no_vector_bucket(fake: FakeAws) -> None:
    """The S3 Vectors bucket is gone."""
    fake.vector_buckets.clear()


def no_vector_index(fake: FakeAws) -> None:
    """The S3 Vectors index is gone."""
    fake.vector_indexes.clear()


# --- cases ------------------------------------------------------------------------------------------

BLOCKED_BY_SOURCE = "blocked by data-source-s3-scoped"
BLOCKED_BY_KB = "blocked by kb-active-vector"
BLOCKED_BY_COLLECTION = "blocked by oss-collection-encrypted-cmk"
OTHER_REGION_MODEL = "arn:aws:bedrock:us-east-1::foundation-model/amazon.titan-embed-text-v2:0"
TITAN_V1 = "arn:aws:bedrock:{region}::foundation-model/amazon.titan-embed-text-v1"
COHERE = "arn:aws:bedrock:{region}::foundation-model/cohere.embed-multilingual-v3"
PARSER = "arn:aws:bedrock:{region}::foundation-model/anthropic.claude-3-haiku-20240307-v1:0"
OTHER_KEY = "arn:aws:kms:{region}:{account}:key/0b7f2a3e-1111-4222-8333-444455556666"
BEDROCK_FULL_ACCESS = "arn:aws:iam::aws:policy/AmazonBedrockFullAccess"
S3_READ_ONLY = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"

KB_CASES = [
    Case(B1, "creating", edit_kb(status="CREATING"), FAIL, "is CREATING"),
    Case(
        B1,
        "failed, with reasons",
        edit_kb(status="FAILED", failure_reasons=("the index does not exist",)),
        FAIL,
        "is FAILED (the index does not exist)",
    ),
    Case(
        B1,
        "MANAGED knowledge base",
        edit_kb(kb_type="MANAGED", embedding_model_arn=None, storage_type=None, collection_arn=None),
        FAIL,
        "is of type MANAGED, not VECTOR",
    ),
    Case(
        B1,
        "MANAGED knowledge base has no store of its own",
        edit_kb(kb_type="MANAGED", storage_type=None, collection_arn=None),
        FAIL,
        "has no storageConfiguration",
    ),
    Case(B1, "KENDRA", edit_kb(kb_type="KENDRA"), FAIL, "is of type KENDRA, not VECTOR"),
    Case(B1, "model in another Region", edit_kb(embedding_model_arn=OTHER_REGION_MODEL), FAIL, "is in us-east-1"),
    Case(
        B1,
        "model not approved",
        edit_kb(embedding_model_arn=TITAN_V1),
        FAIL,
        "amazon.titan-embed-text-v1 is not approved",
    ),
    Case(
        B1,
        "model approved by input",
        edit_kb(embedding_model_arn=COHERE),
        PASS,
        "is ACTIVE, VECTOR",
        ("embedding_model_ids=amazon.titan-embed-text-v2:0,cohere.embed-multilingual-v3",),
    ),
    Case(B1, "no embedding model", edit_kb(embedding_model_arn=None), FAIL, "has no embedding model"),
    Case(B1, "Pinecone store", edit_kb(storage_type="PINECONE"), FAIL, "stores vectors in PINECONE"),
    Case(B1, "no vector index name", edit_kb(vector_index_name=None), FAIL, "storage lacks vectorIndexName"),
    Case(
        B1,
        "no metadata field",
        edit_kb(metadata_field=None),
        FAIL,
        "OPENSEARCH_SERVERLESS storage lacks fieldMapping.metadataField",
    ),
    Case(B1, "no collection ARN", edit_kb(collection_arn=None), FAIL, "lacks collectionArn"),
    Case(B1, "S3 Vectors without an index", edit_kb(index_arn=None), FAIL, "lacks indexArn", track="s3v"),
    Case(
        B1,
        "S3 Vectors by bucket ARN and index name",
        edit_kb(
            index_arn=None,
            vector_bucket_arn="arn:aws:s3vectors:{region}:{account}:bucket/labcheck-rag-vectors",
            index_name="bedrock-knowledge-base-index",
        ),
        PASS,
        "on S3_VECTORS",
        track="s3v",
    ),
    Case(
        B2,
        "no SourceAccount",
        trust(bedrock_trust(Condition=conditions(account=None))),
        FAIL,
        "lacks StringEquals aws:SourceAccount = 111122223333",
    ),
    Case(
        B2,
        "SourceAccount of another account",
        trust(bedrock_trust(Condition=conditions(account=OTHER_ACCOUNT))),
        FAIL,
        "lacks StringEquals aws:SourceAccount",
    ),
    Case(
        B2,
        "SourceAccount under StringEqualsIfExists",
        trust(
            bedrock_trust(
                Condition={
                    "StringEqualsIfExists": {"aws:SourceAccount": "{account}"},
                    "ArnLike": {"aws:SourceArn": "arn:aws:bedrock:{region}:{account}:knowledge-base/*"},
                }
            )
        ),
        FAIL,
        "lacks StringEquals aws:SourceAccount",
    ),
    Case(
        B2,
        "no SourceArn",
        trust(bedrock_trust(Condition=conditions(source_arn=None))),
        FAIL,
        "lacks ArnLike aws:SourceArn = arn:aws:bedrock:eu-central-1:111122223333:knowledge-base/*",
    ),
    Case(
        B2,
        "SourceArn of any Bedrock resource",
        trust(bedrock_trust(Condition=conditions(source_arn="arn:aws:bedrock:{region}:{account}:*"))),
        FAIL,
        "lacks ArnLike aws:SourceArn",
    ),
    Case(
        B2,
        "SourceArn in any Region",
        trust(bedrock_trust(Condition=conditions(source_arn="arn:aws:bedrock:*:{account}:knowledge-base/*"))),
        FAIL,
        "lacks ArnLike aws:SourceArn",
    ),
    Case(
        B2,
        "SourceArn of the exact knowledge base",
        trust(bedrock_trust(Condition=conditions(source_arn="{kb_arn}"))),
        PASS,
        "trusts only bedrock.amazonaws.com",
    ),
    Case(
        B2,
        "SourceArn under StringLike",
        trust(
            bedrock_trust(
                Condition={
                    "StringEquals": {"aws:SourceAccount": "{account}"},
                    "StringLike": {"aws:SourceArn": "arn:aws:bedrock:{region}:{account}:knowledge-base/*"},
                }
            )
        ),
        PASS,
        "trusts only bedrock.amazonaws.com",
    ),
    Case(
        B2,
        "an account principal",
        trust(bedrock_trust(Principal={"AWS": f"arn:aws:iam::{OTHER_ACCOUNT}:root"})),
        FAIL,
        "trusts more than bedrock.amazonaws.com",
    ),
    Case(
        B2,
        "a second service",
        trust(bedrock_trust(Principal={"Service": ["bedrock.amazonaws.com", "lambda.amazonaws.com"]})),
        FAIL,
        "trusts more than bedrock.amazonaws.com",
    ),
    Case(
        B2,
        "a second statement for anyone",
        trust(bedrock_trust(), {"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole"}),
        FAIL,
        "statement 2 trusts more than bedrock.amazonaws.com",
    ),
    Case(B2, "trusts nobody", trust(), FAIL, "trusts nobody"),
    Case(B2, "role missing", no_role, FAIL, "does not exist"),
]

ROLE_CASES = [
    Case(
        B3,
        "AmazonBedrockFullAccess attached",
        attach_managed(BEDROCK_FULL_ACCESS, allow(["bedrock:*", "kms:DescribeKey"], "*")),
        FAIL,
        "grants bedrock:*",
    ),
    Case(
        B3,
        "AmazonS3ReadOnlyAccess attached",
        attach_managed(S3_READ_ONLY, allow(["s3:Get*", "s3:List*", "s3:Describe*"], "*")),
        FAIL,
        "AmazonS3ReadOnlyAccess: grants unexpected permission s3:describe*",
    ),
    Case(B3, "Action *", add_statements(allow("*", "*")), FAIL, "grants *"),
    Case(B3, "aoss:*", add_statements(allow("aoss:*", "{collection_arn}")), FAIL, "grants aoss:*"),
    Case(
        B3,
        "NotAction",
        add_statements({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}),
        FAIL,
        "grants everything but its NotAction",
    ),
    Case(
        B3,
        "NotResource",
        add_statements({"Effect": "Allow", "Action": "s3:GetObject", "NotResource": "arn:aws:s3:::secrets/*"}),
        FAIL,
        "with NotResource",
    ),
    Case(
        B3,
        "InvokeModel on every model",
        add_statements(allow("bedrock:InvokeModel", "arn:aws:bedrock:{region}::foundation-model/*")),
        FAIL,
        "grants bedrock:invokemodel on arn:aws:bedrock:eu-central-1::foundation-model/*",
    ),
    Case(B3, "InvokeModel on *", add_statements(allow("bedrock:InvokeModel", "*")), FAIL, "on *"),
    Case(
        B3,
        "bedrock:Invoke* on the embedding model",
        role_statements(allow("bedrock:Invoke*", "{model}")),
        PASS,
        "reaches only",
    ),
    Case(
        B3,
        "InvokeModel and ListFoundationModels on *",
        add_statements(allow(["bedrock:InvokeModel", "bedrock:ListFoundationModels"], "*")),
        FAIL,
        "on *",
    ),
    Case(
        B3,
        "ListFoundationModels on *",
        add_statements(allow("bedrock:ListFoundationModels", "*")),
        PASS,
        "reaches only",
    ),
    Case(
        B3,
        "GetObject on every bucket",
        add_statements(allow("s3:GetObject", "arn:aws:s3:::*")),
        FAIL,
        "on arn:aws:s3:::*",
    ),
    Case(
        B3,
        "GetObject on another bucket",
        add_statements(allow("s3:GetObject", "arn:aws:s3:::other-bucket/*")),
        FAIL,
        "on arn:aws:s3:::other-bucket/*",
    ),
    Case(B3, "GetObject on the whole bucket", add_statements(allow("s3:GetObject", "{bucket_arn}/*")), PASS, "reaches"),
    Case(B3, "ListBucket on *", add_statements(allow("s3:ListBucket", "*")), FAIL, "grants s3:listbucket on *"),
    Case(
        B3,
        "ListBucket and GetObject in one statement",
        role_statements(allow(["s3:ListBucket", "s3:GetObject"], ["{bucket_arn}", "{bucket_arn}/docs/*"])),
        PASS,
        "reaches only",
    ),
    Case(
        B3,
        "APIAccessAll on every collection",
        add_statements(allow("aoss:APIAccessAll", "arn:aws:aoss:{region}:{account}:collection/*")),
        FAIL,
        "on arn:aws:aoss:eu-central-1:111122223333:collection/*",
    ),
    Case(B3, "kms:Decrypt on *", add_statements(allow("kms:Decrypt", "*")), FAIL, "grants kms:decrypt on *"),
    Case(B3, "kms:Decrypt on another key", add_statements(allow("kms:Decrypt", OTHER_KEY)), FAIL, "key/0b7f2a3e"),
    Case(
        B3,
        "GenerateDataKey* on the CMK",
        add_statements(allow("kms:GenerateDataKey*", "{key}")),
        PASS,
        "reaches only",
    ),
    Case(
        B3,
        "CMK of a bucket encrypted by alias",
        bucket_encryption("aws:kms", "alias/labcheck-rag"),
        PASS,
        "reaches only",
    ),
    Case(
        B3,
        "unexpected iam:PassRole",
        add_statements(allow("iam:PassRole", "{role}")),
        FAIL,
        "grants unexpected permission iam:passrole",
    ),
    Case(
        B3,
        "logs statement scoped to a log group",
        add_statements(
            allow(["logs:CreateLogStream", "logs:PutLogEvents"], "arn:aws:logs:{region}:{account}:log-group:/kb:*")
        ),
        PASS,
        "reaches only",
    ),
    Case(B3, "logs on *", add_statements(allow("logs:*", "*")), FAIL, "grants logs:* beyond log groups"),
    Case(B3, "no permissions at all", no_permissions, FAIL, "grants nothing"),
    Case(
        B3,
        "InvokeModel on a data source's parsing model",
        chain(edit_source(parsing_model_arn=PARSER), add_statements(allow("bedrock:InvokeModel", PARSER))),
        PASS,
        "reaches only",
    ),
    Case(
        B3,
        "InvokeModel on a parsing model no data source uses",
        add_statements(allow("bedrock:InvokeModel", PARSER)),
        FAIL,
        "anthropic.claude-3-haiku",
    ),
    Case(
        B3,
        "GetObject on the prefix while the source names no prefix",
        edit_source(inclusion_prefixes=()),
        FAIL,
        "on arn:aws:s3:::labcheck-rag-docs-111122223333/docs/*",
    ),
    Case(
        B3, "s3vectors:*", add_statements(allow("s3vectors:*", "{index_arn}")), FAIL, "grants s3vectors:*", track="s3v"
    ),
    Case(
        B3,
        "QueryVectors on every index",
        add_statements(allow("s3vectors:QueryVectors", "arn:aws:s3vectors:{region}:{account}:bucket/*")),
        FAIL,
        "on arn:aws:s3vectors:eu-central-1:111122223333:bucket/*",
        track="s3v",
    ),
    Case(
        B3,
        "GetIndex on the vector bucket",
        add_statements(allow("s3vectors:GetIndex", "arn:aws:s3vectors:{region}:{account}:bucket/labcheck-rag-vectors")),
        PASS,
        "reaches only",
        track="s3v",
    ),
    Case(
        B3,
        "aoss permissions on the S3 Vectors track",
        add_statements(allow("aoss:APIAccessAll", "arn:aws:aoss:{region}:{account}:collection/abc")),
        FAIL,
        "grants aoss:apiaccessall on",
        track="s3v",
    ),
]

SOURCE_CASES = [
    Case(B4, "no data source", no_sources, FAIL, "labcheck-rag has no data source"),
    Case(B4, "failed", edit_source(status="FAILED"), FAIL, "data source docs is FAILED, not AVAILABLE"),
    Case(B4, "web crawler", edit_source(source_type="WEB", bucket_arn=None), FAIL, "is of type WEB, not S3"),
    Case(
        B4,
        "managed connector",
        edit_source(source_type="MANAGED_KNOWLEDGE_BASE_CONNECTOR", bucket_arn=None),
        FAIL,
        "is of type MANAGED_KNOWLEDGE_BASE_CONNECTOR, not S3",
    ),
    Case(B4, "no bucket", edit_source(bucket_arn=None), FAIL, "names no bucket"),
    Case(
        B4,
        "bucket of another account",
        edit_source(bucket_owner=OTHER_ACCOUNT),
        FAIL,
        f"reads a bucket of account {OTHER_ACCOUNT}",
    ),
    Case(B4, "bucket owner is this account", edit_source(bucket_owner="{account}"), PASS, "read labcheck-rag-docs"),
    Case(B4, "no inclusion prefixes", edit_source(inclusion_prefixes=()), FAIL, "ingests the whole bucket"),
    Case(
        B4,
        "no inclusion prefixes, not required",
        edit_source(inclusion_prefixes=()),
        PASS,
        "labcheck-rag-docs-111122223333/*",
        ("require_inclusion_prefixes=false",),
    ),
    Case(B4, "RETAIN", edit_source(deletion_policy="RETAIN"), FAIL, "has dataDeletionPolicy RETAIN, not DELETE"),
    Case(B4, "no deletion policy", edit_source(deletion_policy=None), FAIL, "RETAIN, not DELETE"),
    Case(
        B4,
        "RETAIN accepted by input",
        edit_source(deletion_policy="RETAIN"),
        PASS,
        "delete their vectors",
        ("data_deletion_policy=RETAIN",),
    ),
    Case(
        B4,
        "a second, unscoped data source",
        add_source("more", inclusion_prefixes=()),
        FAIL,
        "data source more has no inclusion prefixes",
    ),
    Case(
        B5,
        "no key",
        edit_source(kms_key_arn=None),
        FAIL,
        "data source docs uses an AWS-owned key, not a customer-managed",
    ),
    Case(B5, "AWS-managed key", edit_key(manager="AWS"), FAIL, "is an AWS-managed key"),
    Case(B5, "rotation off", edit_key(rotation_enabled=False), FAIL, "automatic rotation off"),
    Case(B5, "disabled key", edit_key(state="Disabled"), FAIL, "is Disabled, not Enabled"),
    Case(B5, "key missing", no_key, FAIL, "does not exist"),
    Case(B5, "another data source without a key", add_source("more", kms_key_arn=None), FAIL, "data source more"),
    Case(
        B5, "two data sources sharing the CMK", add_source("more"), PASS, "encrypt transient data with a rotating CMK"
    ),
    Case(B6, "no chunking configuration", edit_source(chunking=None), FAIL, "has no explicit chunking strategy"),
    Case(B6, "NONE", chunking("NONE"), FAIL, "has no explicit chunking strategy"),
    Case(B6, "fixed, too small", chunking("FIXED_SIZE", max_tokens=50, overlap_percentage=20), FAIL, "not 100-1000"),
    Case(B6, "fixed, too large", chunking("FIXED_SIZE", max_tokens=2000, overlap_percentage=20), FAIL, "2000 tokens"),
    Case(
        B6, "fixed, no overlap", chunking("FIXED_SIZE", max_tokens=300, overlap_percentage=0), FAIL, "0 %, not 1-30 %"
    ),
    Case(
        B6, "fixed, overlap 50", chunking("FIXED_SIZE", max_tokens=300, overlap_percentage=50), FAIL, "overlap of 50 %"
    ),
    Case(B6, "fixed, bounds", chunking("FIXED_SIZE", max_tokens=100, overlap_percentage=30), PASS, "FIXED_SIZE"),
    Case(B6, "fixed, narrower range by input", unchanged, FAIL, "not 100-200", ("fixed_chunk_tokens=100,200",)),
    Case(B6, "malformed range input", unchanged, ERROR, "takes two whole numbers", ("fixed_chunk_tokens=300",)),
    Case(
        B6,
        "hierarchical",
        chunking("HIERARCHICAL", level_max_tokens=(1500, 300), overlap_tokens=60),
        PASS,
        "HIERARCHICAL",
    ),
    Case(
        B6,
        "hierarchical, three levels",
        chunking("HIERARCHICAL", level_max_tokens=(1500, 300, 100), overlap_tokens=60),
        FAIL,
        "has 3 HIERARCHICAL levels, not 2",
    ),
    Case(
        B6,
        "hierarchical, parent not larger",
        chunking("HIERARCHICAL", level_max_tokens=(300, 300), overlap_tokens=60),
        FAIL,
        "no larger than child chunks",
    ),
    Case(
        B6,
        "hierarchical, over the maximum",
        chunking("HIERARCHICAL", level_max_tokens=(1500, 300), overlap_tokens=60),
        FAIL,
        "chunks of 1500 tokens, over 1000",
        ("max_chunk_tokens=1000",),
    ),
    Case(
        B6, "semantic", chunking("SEMANTIC", max_tokens=300, buffer_size=0, breakpoint_threshold=95), PASS, "SEMANTIC"
    ),
    Case(
        B6,
        "semantic, over the maximum",
        chunking("SEMANTIC", max_tokens=9000, buffer_size=0, breakpoint_threshold=95),
        FAIL,
        "SEMANTIC chunks of 9000 tokens, over 8192",
    ),
    Case(B6, "unknown strategy", chunking("PARAGRAPHS"), FAIL, "unknown chunking strategy PARAGRAPHS"),
]

BUCKET_CASES = [
    Case(B7, "AES256", bucket_encryption("AES256", None), FAIL, "uses AES256 encryption, not SSE-KMS"),
    Case(B7, "no explicit encryption", bucket_encryption(None, None), FAIL, "uses no explicit encryption"),
    Case(
        B7, "aws/s3 key", bucket_encryption("aws:kms", None), FAIL, "uses an AWS-owned key, not a customer-managed key"
    ),
    Case(B7, "rotation off", edit_key(rotation_enabled=False), FAIL, "automatic rotation off"),
    Case(B7, "DSSE-KMS with the CMK", bucket_encryption("aws:kms:dsse", "{key}"), PASS, "SSE-KMS with a rotating CMK"),
    Case(B7, "CMK by alias", bucket_encryption("aws:kms", "alias/labcheck-rag"), PASS, "rotating CMK"),
    Case(B7, "key missing", bucket_encryption("aws:kms", OTHER_KEY), FAIL, "does not exist"),
    Case(B8, "no block anywhere", bucket_block(), FAIL, "BlockPublicAcls, BlockPublicPolicy, IgnorePublicAcls"),
    Case(B8, "account-level block only", chain(bucket_block(), account_block(True, True, True, True)), PASS, "blocked"),
    Case(
        B8,
        "bucket and account each block half",
        chain(bucket_block(True, True, False, False), account_block(False, False, True, True)),
        PASS,
        "public access blocked",
    ),
    Case(
        B8,
        "bucket blocks half, no account block",
        bucket_block(True, True, False, False),
        FAIL,
        "has BlockPublicPolicy, RestrictPublicBuckets off at bucket and account level",
    ),
    Case(B8, "no bucket policy", bucket_policy(), FAIL, "no policy denying requests when aws:SecureTransport is false"),
    Case(
        B8,
        "deny without the TLS condition",
        bucket_policy(tls_deny(Condition=None)),
        FAIL,
        "no policy denying requests",
    ),
    Case(
        B8,
        "TLS condition true",
        bucket_policy(tls_deny(Condition={"Bool": {"aws:SecureTransport": "true"}})),
        FAIL,
        "no policy denying",
    ),
    Case(
        B8,
        "boolean false and an AWS * principal",
        bucket_policy(tls_deny(Principal={"AWS": "*"}, Condition={"Bool": {"aws:SecureTransport": False}})),
        PASS,
        "TLS required",
    ),
    Case(
        B8, "deny on the bucket ARN only", bucket_policy(tls_deny(Resource="{bucket_arn}")), FAIL, "no policy denying"
    ),
    Case(B8, "deny PutObject only", bucket_policy(tls_deny(Action="s3:PutObject")), FAIL, "no policy denying"),
    Case(
        B8,
        "deny for one role only",
        bucket_policy(tls_deny(Principal={"AWS": "arn:aws:iam::{account}:role/app"})),
        FAIL,
        "no policy denying",
    ),
    Case(
        B8,
        "an allow on TLS instead of a deny",
        bucket_policy(tls_deny(Effect="Allow", Condition={"Bool": {"aws:SecureTransport": "true"}})),
        FAIL,
        "no policy denying",
    ),
    Case(
        B8,
        "deny GetObject on bucket/*",
        bucket_policy(tls_deny(Action="s3:GetObject", Resource="{bucket_arn}/*")),
        PASS,
        "TLS",
    ),
]

OSS_CASES = [
    Case(B9, "collection missing", no_collection, FAIL, "does not exist"),
    Case(B9, "collection error", edit_collection(error="ACCESS_DENIED: not yours"), FAIL, "ACCESS_DENIED: not yours"),
    Case(B9, "creating", edit_collection(status="CREATING"), FAIL, "is CREATING, not ACTIVE"),
    Case(
        B9, "TIMESERIES", edit_collection(collection_type="TIMESERIES"), FAIL, "is of type TIMESERIES, not VECTORSEARCH"
    ),
    Case(
        B9,
        "AWS-owned key",
        chain(
            edit_collection(kms_key_arn="auto"),
            security_policies(
                "encryption",
                {
                    "Rules": [{"ResourceType": "collection", "Resource": ["collection/labcheck-rag"]}],
                    "AWSOwnedKey": True,
                },
            ),
        ),
        FAIL,
        "is encrypted with an AWS-owned key (auto) (encryption policy encryption-0 sets AWSOwnedKey = true)",
    ),
    Case(B9, "no key at all", edit_collection(kms_key_arn=None), FAIL, "AWS-owned key (none)"),
    Case(
        B9,
        "rotation off",
        edit_key(rotation_enabled=False),
        FAIL,
        "collection labcheck-rag: its encryption: arn:aws:kms",
    ),
    Case(B9, "AWS-managed key", edit_key(manager="AWS"), FAIL, "is an AWS-managed key"),
    Case(B9, "standby replicas on", edit_collection(standby_replicas="ENABLED"), PASS, "double the OCUs"),
    Case(B9, "no collection ARN", edit_kb(collection_arn=None), FAIL, BLOCKED_BY_KB),
    Case(B9, "another store type", edit_kb(storage_type="PINECONE"), SKIP, "uses PINECONE"),
    Case(B10, "no network policy", security_policies("network"), FAIL, "no network policy applies"),
    Case(B10, "public", net(net_rules(public=True)), FAIL, "network policy network-0 allows public access"),
    Case(B10, "public as text", net(net_rules(public="true")), FAIL, "allows public access"),
    Case(
        B10,
        "public dashboard only",
        net(
            {
                "Rules": [{"ResourceType": "dashboard", "Resource": ["collection/labcheck-rag"]}],
                "AllowFromPublic": True,
            },
            net_rules(),
        ),
        FAIL,
        "allows public access",
    ),
    Case(B10, "no SourceServices", net(net_rules(services=None)), FAIL, "no network policy lets bedrock.amazonaws.com"),
    Case(
        B10,
        "VPC endpoint only",
        net(net_rules(services=None, SourceVPCEs=["vpce-0a1b2c3d4e5f60001"])),
        FAIL,
        "(SourceServices)",
    ),
    Case(
        B10,
        "VPC endpoint and Bedrock",
        net(net_rules(SourceVPCEs=["vpce-0a1b2c3d4e5f60001"])),
        PASS,
        "private and reachable",
    ),
    Case(B10, "wildcard pattern", net(net_rules(pattern="collection/labcheck-*")), PASS, "private and reachable"),
    Case(B10, "AllowFromPublic absent", net(net_rules(public=None)), PASS, "private and reachable"),
    Case(B10, "a policy for another collection", net(net_rules(pattern="collection/other")), FAIL, "no network policy"),
    Case(
        B10,
        "Bedrock only in a dashboard rule",
        net(
            {
                "Rules": [{"ResourceType": "dashboard", "Resource": ["collection/labcheck-rag"]}],
                "SourceServices": ["bedrock.amazonaws.com"],
            }
        ),
        FAIL,
        "no network policy lets bedrock.amazonaws.com",
    ),
    Case(B10, "collection missing", no_collection, FAIL, BLOCKED_BY_COLLECTION),
    Case(B11, "no data-access policy", data_policies(), FAIL, "no data-access policy grants"),
    Case(B11, "anyone", data_policies(data_rules(principals=("{role}", "*"))), FAIL, "also grants *"),
    Case(
        B11,
        "the account root",
        data_policies(data_rules(principals=("{role}", "arn:aws:iam::{account}:root"))),
        FAIL,
        "also grants arn:aws:iam::111122223333:root",
    ),
    Case(
        B11,
        "a SAML principal",
        data_policies(data_rules(principals=("{role}", "saml/111122223333/idp/user/alice"))),
        FAIL,
        "also grants saml/",
    ),
    Case(
        B11,
        "undeclared admin",
        data_policies(data_rules(), ADMIN_RULES),
        FAIL,
        "also grants arn:aws:iam::111122223333:role/terraform-admin",
    ),
    Case(
        B11,
        "declared admin",
        data_policies(data_rules(), ADMIN_RULES),
        PASS,
        "only arn:aws:iam::111122223333:role/labcheck-rag-kb",
        ("extra_data_access_principals=arn:aws:iam::111122223333:role/terraform-admin",),
    ),
    Case(
        B11,
        "every index of every collection",
        data_policies(data_rules(resource=("index/*/*",))),
        FAIL,
        "pattern index/*/* reaches beyond",
    ),
    Case(
        B11,
        "every collection",
        data_policies(
            data_rules(),
            {
                "Rules": [{"ResourceType": "collection", "Resource": ["collection/*"], "Permission": ["aoss:*"]}],
                "Principal": ["{role}"],
            },
        ),
        FAIL,
        "pattern collection/* reaches beyond collection labcheck-rag",
    ),
    Case(
        B11,
        "no WriteDocument",
        data_policies(data_rules(permissions=INDEX_USE[:2])),
        FAIL,
        "no data-access policy grants",
    ),
    Case(B11, "aoss:*", data_policies(data_rules(permissions=["aoss:*"])), PASS, "only arn:aws:iam"),
    Case(
        B11,
        "exactly the vector index",
        data_policies(data_rules(resource=("index/labcheck-rag/bedrock-knowledge-base-index",))),
        PASS,
        "only arn:aws:iam",
    ),
    Case(
        B11,
        "another index only",
        data_policies(data_rules(resource=("index/labcheck-rag/other-index",))),
        FAIL,
        "no data-access policy grants",
    ),
    Case(
        B11,
        "another role",
        data_policies(data_rules(principals=("arn:aws:iam::{account}:role/app",))),
        FAIL,
        "no data-access policy grants arn:aws:iam::111122223333:role/labcheck-rag-kb",
    ),
    Case(
        B11,
        "a policy of another collection is ignored",
        data_policies(data_rules(), data_rules(principals=("*",), resource=("index/other/*",))),
        PASS,
        "only arn:aws:iam",
    ),
    Case(
        B11,
        "a role with a path, named without it",
        edit_kb(role_arn="arn:aws:iam::{account}:role/service-role/labcheck-rag-kb"),
        PASS,
        "service-role/labcheck-rag-kb",
    ),
    Case(B11, "collection missing", no_collection, FAIL, BLOCKED_BY_COLLECTION),
    *(
        Case(c, "S3 Vectors track", unchanged, SKIP, "uses S3_VECTORS, not OpenSearch Serverless", track="s3v")
        for c in OSS_ONLY
    ),
]

S3V_CASES = [
    Case(
        B12,
        "AES256",
        edit_vector_bucket(sse_type="AES256", kms_key_arn=None),
        FAIL,
        "uses AES256 encryption, not aws:kms",
        track="s3v",
    ),
    Case(
        B12,
        "no encryption configuration",
        edit_vector_bucket(sse_type=None, kms_key_arn=None),
        FAIL,
        "uses AES256",
        track="s3v",
    ),
    Case(B12, "rotation off", edit_key(rotation_enabled=False), FAIL, "automatic rotation off", track="s3v"),
    Case(
        B12,
        "aws:kms without a key",
        edit_vector_bucket(kms_key_arn=None),
        FAIL,
        "uses an AWS-owned key, not a customer-managed",
        track="s3v",
    ),
    Case(
        B12, "bucket missing", no_vector_bucket, FAIL, "vector bucket labcheck-rag-vectors does not exist", track="s3v"
    ),
    Case(
        B12,
        "index missing",
        no_vector_index,
        FAIL,
        "index bedrock-knowledge-base-index of labcheck-rag-vectors",
        track="s3v",
    ),
    Case(
        B12, "index with its own AES256", edit_vector_index(sse_type="AES256"), FAIL, "uses its own AES256", track="s3v"
    ),
    Case(
        B12,
        "index with the CMK",
        edit_vector_index(sse_type="aws:kms", kms_key_arn="{key}"),
        PASS,
        "rotating CMK",
        track="s3v",
    ),
    Case(
        B12,
        "index with a missing key",
        edit_vector_index(sse_type="aws:kms", kms_key_arn=OTHER_KEY),
        FAIL,
        "index bedrock-knowledge-base-index: key",
        track="s3v",
    ),
    Case(
        B12,
        "dimension 1536",
        edit_vector_index(dimension=1536),
        FAIL,
        "has dimension 1536, the embeddings have 1024",
        track="s3v",
    ),
    Case(
        B12,
        "model default dimension",
        chain(edit_kb(embedding_dimensions=None), edit_vector_index(dimension=512)),
        FAIL,
        "the embeddings have 1024",
        track="s3v",
    ),
    Case(
        B12,
        "explicit 512 dimensions",
        chain(edit_kb(embedding_dimensions=512), edit_vector_index(dimension=512)),
        PASS,
        "512 float32",
        track="s3v",
    ),
    Case(B12, "no data type", edit_vector_index(data_type=None), FAIL, "stores None, not float32", track="s3v"),
    Case(B12, "no index in the knowledge base", edit_kb(index_arn=None), FAIL, BLOCKED_BY_KB, track="s3v"),
    Case(B12, "OpenSearch Serverless track", unchanged, SKIP, "uses OPENSEARCH_SERVERLESS, not S3 Vectors"),
]

EVIDENCE_CASES = [
    Case(B13, "never synced", no_job, FAIL, "data source docs has never been synced"),
    Case(B13, "failed", job("FAILED"), FAIL, "ingestion job JOBREF1234 is FAILED"),
    Case(B13, "stopped", job("STOPPED"), FAIL, "is STOPPED"),
    Case(
        B13,
        "in progress",
        job("IN_PROGRESS"),
        PENDING,
        "ingestion job JOBREF1234 of docs is IN_PROGRESS; run again in a few minutes, or use --wait",
    ),
    Case(B13, "starting", job("STARTING"), PENDING, "is STARTING"),
    Case(B13, "stopping", job("STOPPING"), PENDING, "is STOPPING"),
    Case(B13, "failed documents", job("COMPLETE", failed=2), FAIL, "failed on 2 document(s)"),
    Case(B13, "nothing scanned", job("COMPLETE", scanned=0, new_indexed=0), FAIL, "scanned no documents"),
    Case(B13, "re-sync without changes", job("COMPLETE", new_indexed=0), PASS, "completed"),
    Case(
        B13,
        "one source failed, another running",
        chain(add_source("more"), job("IN_PROGRESS", "JOB2", "more"), job("FAILED")),
        FAIL,
        "is FAILED",
    ),
    Case(B13, "a second source never synced", add_source("more"), FAIL, "data source more has never been synced"),
]

BLOCKED_CASES = [
    *(Case(c, "no data source", no_sources, FAIL, BLOCKED_BY_SOURCE) for c in (B5, B6, B7, B8, B13)),
    *(Case(c, "no bucket", edit_source(bucket_arn=None), FAIL, BLOCKED_BY_SOURCE) for c in (B7, B8)),
]

LEARNER_TAGS = {"labcheck-lab": "aws-bedrock-rag-kb", "labcheck-learner": "bob"}

DISCOVERY_CASES = [
    *(
        Case(
            c,
            "no tagged knowledge base",
            edit_kb(tags={}),
            FAIL,
            "no knowledge base tagged labcheck-lab=aws-bedrock-rag-kb",
        )
        for c in CHECK_IDS
    ),
    Case(B1, "tagged for another lab", edit_kb(tags={"labcheck-lab": "aws-bedrock-privatelink"}), FAIL, "labcheck-lab"),
    Case(
        B1,
        "two tagged knowledge bases",
        add_kb("KBOTHER123", {"labcheck-lab": "aws-bedrock-rag-kb"}),
        ERROR,
        "ambiguous",
    ),
    Case(
        B1,
        "two tagged, the learner tag picks one",
        chain(
            edit_kb(tags={"labcheck-lab": "aws-bedrock-rag-kb", "labcheck-learner": "alice"}),
            add_kb("KBOTHER123", LEARNER_TAGS),
        ),
        PASS,
        "knowledge base labcheck-rag is ACTIVE",
        ("learner_id=alice",),
    ),
    Case(
        B4,
        "two tagged, none with the learner tag",
        add_kb("KBOTHER123", LEARNER_TAGS),
        ERROR,
        "ambiguous",
        ("learner_id=alice",),
    ),
]

CASES = [
    *KB_CASES,
    *ROLE_CASES,
    *SOURCE_CASES,
    *BUCKET_CASES,
    *OSS_CASES,
    *S3V_CASES,
    *EVIDENCE_CASES,
    *BLOCKED_CASES,
    *DISCOVERY_CASES,
]


def _expected_on(track: str, check_id: str) -> Status:
    other = S3V_ONLY if track == "oss" else OSS_ONLY
    return SKIP if check_id in other else PASS


CONTRACT = contract.LabContract(LAB, CASES, tracks=TRACKS, reference_status=_expected_on)

# --- tests ------------------------------------------------------------------------------------------

test_reference_passes = CONTRACT.reference_passes()
test_case = CONTRACT.case_test()


def test_cases_cover_every_check_both_ways() -> None:
    assert len(CHECK_IDS) == 13
    contract.assert_cases_cover_every_check(CASES, CHECK_IDS)
    assert {c.check_id for c in CASES if c.status is PASS} == set(CHECK_IDS)
    assert {c.check_id for c in CASES if c.status is SKIP} == {*OSS_ONLY, *S3V_ONLY, B9}
    assert {c.check_id for c in CASES if c.status is PENDING} == {B13}


def test_skipped_track_leaves_the_maximum_score(references: References, run: Runner, lab: Lab) -> None:
    for track, skipped in (("oss", S3V_ONLY), ("s3v", OSS_ONLY)):
        results = [run(c, references[track]()) for c in CHECK_IDS]
        assert {r.id for r in results if r.status is SKIP} == set(skipped)
        applicable = sum(r.check.points for r in results if r.status is not SKIP)
        assert (
            applicable
            == sum(r.earned for r in results)
            == sum(c.points for c in lab.checks) - sum(lab.check(c).points for c in skipped)
        )


def test_reference_is_fresh_each_call(references: References) -> None:
    first, second = references["oss"](), references["oss"]()
    no_sources(first)
    no_permissions(first)
    assert second.kb_data_sources["KBREF12345"]
    assert second.policies["labcheck-rag-kb"]


# --- permissions ------------------------------------------------------------------------------------

test_denied_action_is_error_or_not_reached = CONTRACT.denied_action_is_error_or_not_reached()
test_some_declared_action_is_needed = CONTRACT.some_declared_action_is_needed()


def test_every_declared_action_is_needed_somewhere(references: References, run: Runner, lab: Lab) -> None:
    """Across both tracks and the cases, each declared action is reached by its check at least once."""
    unreached = set()
    for each in lab.checks:
        for action in each.spec.permissions:
            reached = False
            for case in [Case(each.id, "ref", unchanged, PASS, "", track=t) for t in TRACKS] + [
                c for c in CASES if c.check_id == each.id
            ]:
                fake = references[case.track]()
                case.mutate(fake)
                run(each.id, fake, case.inputs)
                if action in fake.calls:
                    reached = True
                    break
            if not reached:
                unreached.add((each.id, action))
    assert not unreached


test_declared_permissions_suffice = CONTRACT.declared_permissions_suffice()
