"""`labcheck verify aws-bedrock-rag-kb` as a subprocess against a moto server, for what moto can hold.

moto 5.2.5 holds the OpenSearch Serverless track's knowledge base (with its tags), role, KMS key, source
bucket, security policies and collection, but answers HTTP 500 to data sources, ingestion jobs and
data-access policies. So the checks that read only what moto holds must PASS on the reference and FAIL on
a one-change breakage, and every check that needs a missing API must come out ERROR, never PASS: the run
exits 2. Each design is deployed into its own fresh account of the session's server (tests/e2e/conftest.py).
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from labcheck.testing.moto_server import account_env, account_session, client_factory

LAB = "aws-bedrock-rag-kb"
REGION = "eu-central-1"
COLLECTION = "labcheck-rag"
BUCKET = "labcheck-rag-docs-{account}"  # bucket names are global, on the server too
ROLE = "labcheck-rag-kb"
TITAN_V2 = "amazon.titan-embed-text-v2:0"
CLI_TIMEOUT_S = 120
_ACCOUNTS = iter(range(430_000_000_001, 430_000_000_100))  # apart from the privatelink and finops accounts

# Readable in moto: graded for real.
MOTO_GRADED = (
    "kb-active-vector",
    "kb-role-trust-confused-deputy",
    "oss-collection-encrypted-cmk",
    "oss-network-private",
)
# They need ListDataSources, ListIngestionJobs or ListAccessPolicies, which moto does not implement.
UNREADABLE = (
    "kb-role-least-privilege",
    "data-source-s3-scoped",
    "data-source-transient-cmk",
    "chunking-explicit",
    "source-bucket-encrypted-cmk",
    "source-bucket-private-tls",
    "oss-data-access-least-privilege",
    "ingestion-complete",
)
OTHER_TRACK = ("s3vectors-encrypted-cmk",)


@dataclass(frozen=True)
class Design:
    """The graded decisions moto can hold; the defaults are the reference solution's OpenSearch track."""

    embedding_model: str = TITAN_V2
    trust_source_arn: bool = True
    key_rotation: bool = True
    allow_from_public: bool = False
    collection_type: str = "VECTORSEARCH"


REFERENCE = Design()
BREAKAGES = {
    "unapproved-embedding-model": (
        dataclasses.replace(REFERENCE, embedding_model="amazon.titan-embed-text-v1"),
        "kb-active-vector",
    ),
    "trust-without-source-arn": (
        dataclasses.replace(REFERENCE, trust_source_arn=False),
        "kb-role-trust-confused-deputy",
    ),
    "key-rotation-off": (dataclasses.replace(REFERENCE, key_rotation=False), "oss-collection-encrypted-cmk"),
    "timeseries-collection": (
        dataclasses.replace(REFERENCE, collection_type="TIMESERIES"),
        "oss-collection-encrypted-cmk",
    ),
    "public-collection": (dataclasses.replace(REFERENCE, allow_from_public=True), "oss-network-private"),
}


def _trust(account: str, with_source_arn: bool) -> dict[str, Any]:
    condition: dict[str, Any] = {"StringEquals": {"aws:SourceAccount": account}}
    if with_source_arn:
        condition["ArnLike"] = {"aws:SourceArn": f"arn:aws:bedrock:{REGION}:{account}:knowledge-base/*"}
    statement = {
        "Effect": "Allow",
        "Principal": {"Service": "bedrock.amazonaws.com"},
        "Action": "sts:AssumeRole",
        "Condition": condition,
    }
    return {"Version": "2012-10-17", "Statement": [statement]}


def _permissions(account: str, collection_arn: str, key_arn: str) -> dict[str, Any]:
    bucket = BUCKET.format(account=account)
    statements = [
        {
            "Effect": "Allow",
            "Action": "bedrock:InvokeModel",
            "Resource": f"arn:aws:bedrock:{REGION}::foundation-model/{TITAN_V2}",
        },
        {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": f"arn:aws:s3:::{bucket}"},
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/docs/*"},
        {"Effect": "Allow", "Action": "aoss:APIAccessAll", "Resource": collection_arn},
        {"Effect": "Allow", "Action": ["kms:Decrypt", "kms:GenerateDataKey"], "Resource": key_arn},
    ]
    return {"Version": "2012-10-17", "Statement": statements}


def _bucket(client: Callable[[str], Any], account: str, key_arn: str) -> None:
    bucket = BUCKET.format(account=account)
    s3 = client("s3")
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_bucket_encryption(
        Bucket=bucket,
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key_arn}}]
        },
    )
    flags = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=dict.fromkeys(flags, True))
    deny = {
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [deny]}))


def _collection(client: Callable[[str], Any], design: Design, key_arn: str) -> str:
    aoss = client("opensearchserverless")
    rules = [
        {"ResourceType": "collection", "Resource": [f"collection/{COLLECTION}"]},
        {"ResourceType": "dashboard", "Resource": [f"collection/{COLLECTION}"]},
    ]
    network = [
        {"Rules": rules, "AllowFromPublic": design.allow_from_public, "SourceServices": ["bedrock.amazonaws.com"]}
    ]
    # moto reads the last matching policy of any type at create_collection: network first, then encryption.
    aoss.create_security_policy(name=f"{COLLECTION}-net", type="network", policy=json.dumps(network))
    encryption = {"Rules": rules[:1], "AWSOwnedKey": False, "KmsARN": key_arn}
    aoss.create_security_policy(name=f"{COLLECTION}-enc", type="encryption", policy=json.dumps(encryption))
    created = aoss.create_collection(name=COLLECTION, type=design.collection_type, standbyReplicas="DISABLED")
    return str(created["createCollectionDetail"]["arn"])


def deploy(client: Callable[[str], Any], account: str, design: Design) -> None:
    """The reference solution's OpenSearch Serverless track, as far as moto holds it, with one design's choices."""
    kms = client("kms")
    key_arn = kms.create_key(Description="labcheck-rag")["KeyMetadata"]["Arn"]
    if design.key_rotation:
        kms.enable_key_rotation(KeyId=key_arn)
    _bucket(client, account, key_arn)
    collection_arn = _collection(client, design, key_arn)
    iam = client("iam")
    role_arn = iam.create_role(
        RoleName=ROLE, AssumeRolePolicyDocument=json.dumps(_trust(account, design.trust_source_arn))
    )
    iam.put_role_policy(
        RoleName=ROLE,
        PolicyName="knowledge-base",
        PolicyDocument=json.dumps(_permissions(account, collection_arn, key_arn)),
    )
    client("bedrock-agent").create_knowledge_base(
        name="labcheck-rag",
        roleArn=role_arn["Role"]["Arn"],
        knowledgeBaseConfiguration={
            "type": "VECTOR",
            "vectorKnowledgeBaseConfiguration": {
                "embeddingModelArn": f"arn:aws:bedrock:{REGION}::foundation-model/{design.embedding_model}"
            },
        },
        storageConfiguration={
            "type": "OPENSEARCH_SERVERLESS",
            "opensearchServerlessConfiguration": {
                "collectionArn": collection_arn,
                "vectorIndexName": "bedrock-knowledge-base-index",
                "fieldMapping": {
                    "vectorField": "bedrock-knowledge-base-default-vector",
                    "textField": "AMAZON_BEDROCK_TEXT_CHUNK",
                    "metadataField": "AMAZON_BEDROCK_METADATA",
                },
            },
        },
        tags={"labcheck-lab": LAB},
    )


@dataclass(frozen=True)
class Run:
    code: int
    stdout: str
    stderr: str

    def document(self) -> dict[str, Any]:
        return dict(json.loads(self.stdout))

    def statuses(self) -> dict[str, str]:
        return {r["id"]: r["status"] for r in self.document()["results"]}


def _env(moto_url: str, design: Design) -> tuple[str, dict[str, str]]:
    account = f"{next(_ACCOUNTS):012d}"
    session = account_session(moto_url, account, REGION)
    deploy(client_factory(moto_url, session), account, design)
    base = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "SYSTEMROOT")}
    return account, base | account_env(moto_url, session)


def _start(env: dict[str, str], workdir: Path, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "labcheck", "verify", LAB, "--region", REGION, "--format", "json", *extra],
        env=env,
        cwd=workdir,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _finish(process: subprocess.Popen[str]) -> Run:
    try:
        stdout, stderr = process.communicate(timeout=CLI_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        stdout, stderr = process.communicate()
    return Run(process.returncode, stdout, stderr)


@pytest.fixture(scope="module")
def runs(moto_url: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[str, Run]]:
    """The reference and every breakage, each in a fresh account, graded by concurrent `labcheck` children."""
    workdir = tmp_path_factory.mktemp("rag-e2e")
    designs = {"reference": REFERENCE, **{name: design for name, (design, _) in BREAKAGES.items()}}
    started = {}
    for name, design in designs.items():
        account, env = _env(moto_url, design)
        started[name] = (account, _start(env, workdir))
    return {name: (account, _finish(process)) for name, (account, process) in started.items()}


def test_reference_passes_what_moto_holds_and_errors_on_what_it_lacks(runs: dict[str, tuple[str, Run]]) -> None:
    account, run = runs["reference"]
    assert run.code == 2, run.stderr
    assert "Traceback" not in run.stderr
    document = run.document()
    assert document["identity"] == {"cloud": "aws", "account": account, "region": REGION}
    statuses = run.statuses()
    assert {statuses[c] for c in MOTO_GRADED} == {"pass"}, statuses
    assert {statuses[c] for c in UNREADABLE} == {"error"}, statuses
    assert {statuses[c] for c in OTHER_TRACK} == {"skip"}, statuses
    assert set(statuses) == {*MOTO_GRADED, *UNREADABLE, *OTHER_TRACK}
    messages = {r["id"]: r["message"] for r in document["results"]}
    assert "bedrock:ListDataSources" in messages["data-source-s3-scoped"]
    assert "aoss:ListAccessPolicies" in messages["oss-data-access-least-privilege"]
    assert document["passed"] is False
    assert document["exit_code"] == 2


@pytest.mark.parametrize("name", sorted(BREAKAGES))
def test_breakage_fails_its_check(runs: dict[str, tuple[str, Run]], name: str) -> None:
    broken = BREAKAGES[name][1]
    _, run = runs[name]
    assert run.code == 2, run.stderr  # the unreadable checks still make it "could not evaluate"
    statuses = run.statuses()
    assert statuses[broken] == "fail", run.document()
    assert {statuses[c] for c in MOTO_GRADED if c != broken} == {"pass"}, statuses
    assert {statuses[c] for c in UNREADABLE} == {"error"}, statuses


def test_one_moto_graded_check_alone_exits_zero(moto_url: str, tmp_path: Path) -> None:
    _, env = _env(moto_url, REFERENCE)
    run = _finish(_start(env, tmp_path, "--check", "oss-network-private", "--check", "kb-active-vector"))
    assert run.code == 0, run.stderr
    assert run.statuses() == {"kb-active-vector": "pass", "oss-network-private": "pass"}
