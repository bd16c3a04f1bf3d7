"""The requirements of aws-bedrock-rag-kb, as code.

The anchor (the knowledge base) is found by the labcheck-lab tag; its role, data sources, source bucket and
vector store are reached from it by reference. OpenSearch Serverless policies cannot be tagged, so they are
matched by the collection they name. The checks of the vector-store track the knowledge base does not use
are not applicable (SKIP) and leave the maximum score.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from labcheck.errors import BlockedError
from labcheck.model import REQUIRED, LabInputs, Verdict, check, failed, not_applicable, passed, pending
from labcheck.providers.aws import rules
from labcheck.providers.aws.discovery import ROLE_POLICY_READS
from labcheck.providers.aws.discovery_rag import KB_DISCOVERY, lab_knowledge_base
from labcheck.providers.aws.view import Document
from labcheck.providers.aws.view_rag import (
    OSS,
    S3_VECTORS,
    Chunking,
    DataSource,
    IngestionJob,
    KnowledgeBase,
    OssCollection,
    RagView,
    VectorBucket,
    VectorIndex,
)

SOURCE_READS = (*KB_DISCOVERY, "bedrock:ListDataSources", "bedrock:GetDataSource")
KEY_READS = ("kms:DescribeKey", "kms:GetKeyRotationStatus")
COLLECTION_READS = (*KB_DISCOVERY, "aoss:BatchGetCollection")
SECURITY_POLICY_READS = ("aoss:ListSecurityPolicies", "aoss:GetSecurityPolicy")
VECTOR_READS = ("s3vectors:GetVectorBucket", "s3vectors:GetIndex")
BEDROCK = "bedrock.amazonaws.com"
RUNNING = ("STARTING", "IN_PROGRESS", "STOPPING")
INDEX_PERMISSIONS = ("aoss:DescribeIndex", "aoss:ReadDocument", "aoss:WriteDocument")
DEFAULT_DIMENSIONS = {
    "amazon.titan-embed-text-v2:0": 1024,
    "amazon.titan-embed-text-v1": 1536,
    "cohere.embed-english-v3": 1024,
    "cohere.embed-multilingual-v3": 1024,
}


# --- shared lookups ---------------------------------------------------------------------------------


def _sources(aws: RagView, kb: KnowledgeBase) -> list[DataSource]:
    """The knowledge base's data sources; without one, the checks that grade them are blocked."""
    sources = aws.data_sources(kb.id)
    if not sources:
        raise BlockedError("data-source-s3-scoped", f"knowledge base {kb.name} has no data source")
    return sources


def _buckets(aws: RagView, kb: KnowledgeBase) -> list[str]:
    """The source buckets its data sources read."""
    names = sorted({s.bucket_name for s in _sources(aws, kb) if s.bucket_name})
    if not names:
        raise BlockedError("data-source-s3-scoped", f"no data source of {kb.name} names an S3 bucket")
    return names


def _other_track(kb: KnowledgeBase, track: str) -> Verdict:
    used = kb.storage_type or "no vector store of its own"
    return not_applicable(f"knowledge base {kb.name} uses {used}, not {track}", kb.arn)


def _collection(aws: RagView, kb: KnowledgeBase) -> OssCollection:
    """The knowledge base's collection, which oss-collection-encrypted-cmk grades first."""
    if not kb.collection_id:
        raise BlockedError("kb-active-vector", f"knowledge base {kb.name} names no collection")
    collection = aws.oss_collection(kb.collection_id)
    if collection is None or collection.error:
        raise BlockedError("oss-collection-encrypted-cmk", f"collection {kb.collection_arn} cannot be read")
    return collection


def _role_name(role_arn: str) -> str:
    return role_arn.rsplit("/", 1)[-1]


# --- the knowledge base -----------------------------------------------------------------------------


def _embedding_problems(kb: KnowledgeBase, region: str, approved: Sequence[str]) -> list[str]:
    arn = kb.embedding_model_arn
    if not arn:
        return ["has no embedding model"]
    model = arn.split("foundation-model/", 1)[-1]
    problems = []
    if rules.arn_region(arn) != region:
        problems.append(f"embedding model {arn} is in {rules.arn_region(arn) or 'no Region'}, not {region}")
    if model not in approved:
        problems.append(f"embedding model {model} is not approved ({', '.join(approved)})")
    return problems


def _storage_problems(kb: KnowledgeBase) -> list[str]:
    if kb.storage_type is None:
        return ["has no storageConfiguration: the lab asks for a vector store you own"]
    if kb.storage_type == OSS:
        fields = {
            "collectionArn": kb.collection_arn,
            "vectorIndexName": kb.vector_index_name,
            "fieldMapping.vectorField": kb.vector_field,
            "fieldMapping.textField": kb.text_field,
            "fieldMapping.metadataField": kb.metadata_field,
        }
        missing = [name for name, value in fields.items() if not value]
    elif kb.storage_type == S3_VECTORS:
        missing = [] if kb.vector_index else ["indexArn (or vectorBucketArn and indexName)"]
    else:
        return [f"stores vectors in {kb.storage_type}, not {OSS} or {S3_VECTORS}"]
    return [f"its {kb.storage_type} storage lacks {', '.join(missing)}"] if missing else []


@check(
    id="kb-active-vector",
    title="The knowledge base is an ACTIVE vector knowledge base with an approved in-Region embedding model",
    severity=REQUIRED,
    permissions=KB_DISCOVERY,
    hint='Create an aws_bedrockagent_knowledge_base with knowledge_base_configuration { type = "VECTOR" }, the '
    "embedding_model_arn of an approved model in your Region, and a storage_configuration of type "
    "OPENSEARCH_SERVERLESS or S3_VECTORS with every field of that store set.",
)
def kb_active_vector(aws: RagView, lab: LabInputs) -> Verdict:
    """Grounded answers need a working vector index built with an embedding model you approved, in your Region."""
    kb = lab_knowledge_base(aws, lab)
    problems = []
    if kb.status != "ACTIVE":
        reasons = f" ({'; '.join(kb.failure_reasons)})" if kb.failure_reasons else ""
        problems.append(f"is {kb.status or 'in no status'}{reasons}")
    if kb.kb_type != "VECTOR":
        problems.append(f"is of type {kb.kb_type or 'unknown'}, not VECTOR")
    problems += _embedding_problems(kb, aws.region, lab.items("embedding_model_ids"))
    problems += _storage_problems(kb)
    if problems:
        return failed(f"knowledge base {kb.name} " + "; ".join(problems), kb.arn)
    return passed(f"knowledge base {kb.name} is ACTIVE, VECTOR, on {kb.storage_type}", kb.arn)


def _trust_problems(statement: rules.Statement, account: str, source_arn: str) -> list[str]:
    problems = []
    if dict(statement.principals) != {"service": (BEDROCK,)} or statement.has_negation:
        problems.append(f"trusts more than {BEDROCK}")
    accounts = statement.values(("StringEquals",), "aws:SourceAccount")
    if not accounts or set(accounts) != {account}:
        problems.append(f"lacks StringEquals aws:SourceAccount = {account}")
    arns = statement.values(rules.POSITIVE_OPERATORS, "aws:SourceArn")
    if not arns or not all(fnmatch.fnmatchcase(arn, source_arn) for arn in arns):
        problems.append(f"lacks ArnLike aws:SourceArn = {source_arn}")
    return problems


@check(
    id="kb-role-trust-confused-deputy",
    title="Only Bedrock, for this account's knowledge bases, can assume the knowledge-base role",
    severity=REQUIRED,
    permissions=(*KB_DISCOVERY, "iam:GetRole"),
    hint="In the KB role's assume_role_policy trust only bedrock.amazonaws.com, with StringEquals "
    "aws:SourceAccount = <account> and ArnLike aws:SourceArn = arn:aws:bedrock:<region>:<account>:knowledge-base/*.",
)
def kb_role_trust_confused_deputy(aws: RagView, lab: LabInputs) -> Verdict:
    """Without SourceAccount and SourceArn, another account's Bedrock could be tricked into using your role."""
    kb = lab_knowledge_base(aws, lab)
    role = aws.role(_role_name(kb.role_arn))
    if role is None:
        return failed(f"knowledge-base role {kb.role_arn} does not exist", kb.role_arn)
    source_arn = f"arn:aws:bedrock:{aws.region}:{aws.account_id}:knowledge-base/*"
    allows = [s for s in rules.statements(role.trust_policy) if s.is_allow]
    problems = [
        f"statement {n} {p}" for n, s in enumerate(allows, 1) for p in _trust_problems(s, aws.account_id, source_arn)
    ]
    if not allows or problems:
        return failed(f"{role.name}: " + ("; ".join(problems) or "trusts nobody"), role.arn)
    return passed(f"{role.name} trusts only {BEDROCK} for knowledge bases of {aws.account_id}", role.arn)


# --- the knowledge-base role's permissions ----------------------------------------------------------

KMS_USE = (
    "kms:decrypt",
    "kms:describekey",
    "kms:generatedatakey",
    "kms:generatedatakeywithoutplaintext",
    "kms:generatedatakeypair",
    "kms:generatedatakeypairwithoutplaintext",
)
S3_VECTORS_USE = tuple(
    f"s3vectors:{a}" for a in ("putvectors", "getvectors", "deletevectors", "queryvectors", "listvectors", "getindex")
)


def _key_arn(aws: RagView, key_ref: str | None) -> str | None:
    """A key reference as a key ARN: ARNs as they are, ids and aliases through KMS."""
    if rules.is_aws_owned_key_ref(key_ref):
        return None
    if str(key_ref).startswith("arn:") and ":key/" in str(key_ref):
        return str(key_ref)
    key = aws.kms_key(str(key_ref))
    return key.arn if key else None


def _store_key_refs(aws: RagView, kb: KnowledgeBase) -> list[str | None]:
    if kb.storage_type == OSS and kb.collection_id:
        collection = aws.oss_collection(kb.collection_id)
        return [collection.kms_key_arn if collection else None]
    if kb.storage_type == S3_VECTORS and kb.vector_index:
        bucket_name, index_name = kb.vector_index
        bucket, index = aws.vector_bucket(bucket_name), aws.vector_index(bucket_name, index_name)
        return [bucket.kms_key_arn if bucket else None, index.kms_key_arn if index else None]
    return []


def _lab_keys(aws: RagView, kb: KnowledgeBase, sources: Sequence[DataSource]) -> set[str]:
    """The CMKs the other checks grade: transient data, source bucket and vector store."""
    refs = [s.kms_key_arn for s in sources]
    refs += [aws.bucket_encryption(b).kms_key_id for b in sorted({s.bucket_name for s in sources if s.bucket_name})]
    refs += _store_key_refs(aws, kb)
    return {arn for arn in (_key_arn(aws, ref) for ref in refs) if arn}


def _allowed_resources(aws: RagView, kb: KnowledgeBase, sources: Sequence[DataSource]) -> dict[str, set[str]]:
    """Each action the role may need (lower-case) and the only resources it may have it on."""
    buckets = {s.bucket_name for s in sources if s.bucket_name}
    objects = {f"arn:aws:s3:::{b}/*" for b in buckets}
    objects |= {f"arn:aws:s3:::{s.bucket_name}/{p}*" for s in sources if s.bucket_name for p in s.inclusion_prefixes}
    models = {arn for arn in (kb.embedding_model_arn, *(s.parsing_model_arn for s in sources)) if arn}
    index, bucket_arn = kb.full_index_arn, kb.vector_bucket_arn or (kb.full_index_arn or "").split("/index/")[0]
    keys = _lab_keys(aws, kb, sources)
    allowed = {
        "bedrock:invokemodel": models,
        "bedrock:listfoundationmodels": {"*"},
        "bedrock:listcustommodels": {"*"},
        "s3:listbucket": {f"arn:aws:s3:::{b}" for b in buckets},
        "s3:getobject": objects,
        "aoss:apiaccessall": {kb.collection_arn} if kb.collection_arn else set(),
    }
    allowed |= {action: {a for a in (index, bucket_arn) if a} for action in S3_VECTORS_USE}
    return allowed | dict.fromkeys(KMS_USE, keys)


def _is_log_group(resource: str) -> bool:
    return resource.startswith("arn:aws:logs:") and ":log-group:" in resource


def _resource_allowed(resource: str, covered: Sequence[str], allowed: Mapping[str, set[str]]) -> bool:
    """A resource is allowed for one of the actions it is granted with; "*" only if every one of them lists it."""
    if resource == "*":
        return all("*" in allowed[a] for a in covered)
    return any(resource in allowed[a] for a in covered)


def _resource_problems(statement: rules.Statement, allowed: Mapping[str, set[str]]) -> list[str]:
    covered = [a for a in allowed if any(fnmatch.fnmatchcase(a, p) for p in statement.actions)]
    if not covered:
        return []
    if statement.not_resource:
        return [f"grants {', '.join(statement.actions)} with NotResource"]
    extra = [r for r in statement.resources if not _resource_allowed(r, covered, allowed)]
    return [f"grants {', '.join(statement.actions)} on {', '.join(extra)}"] if extra else []


def _permission_problems(statement: rules.Statement, allowed: Mapping[str, set[str]]) -> list[str]:
    if statement.not_action:
        return ["grants everything but its NotAction"]
    broad = [a for a in statement.actions if a == "*" or (a.endswith(":*") and not a.startswith("logs:"))]
    if broad:
        return [f"grants {', '.join(broad)}"]
    logs = [a for a in statement.actions if a.startswith("logs:")]
    unexpected = [a for a in statement.actions if a not in logs and not any(fnmatch.fnmatchcase(k, a) for k in allowed)]
    problems = [f"grants unexpected permission {', '.join(unexpected)}"] if unexpected else []
    if logs and (statement.not_resource or not all(_is_log_group(r) for r in statement.resources)):
        problems.append(f"grants {', '.join(logs)} beyond log groups")
    return problems + _resource_problems(statement, allowed)


@check(
    id="kb-role-least-privilege",
    title="The knowledge-base role reaches only the embedding model, the source prefix, the vector store and the CMKs",
    severity=REQUIRED,
    permissions=(
        *SOURCE_READS,
        *ROLE_POLICY_READS,
        "s3:GetEncryptionConfiguration",
        "aoss:BatchGetCollection",
        *VECTOR_READS,
        *KEY_READS,
    ),
    hint="Scope the KB role's aws_iam_role_policy to bedrock:InvokeModel on the embedding model ARN, "
    "s3:ListBucket on the bucket and s3:GetObject on the docs/ prefix, aoss:APIAccessAll on the collection "
    "(or the s3vectors actions on the index), and kms:Decrypt/GenerateDataKey on your CMK; attach no "
    "*FullAccess policy.",
)
def kb_role_least_privilege(aws: RagView, lab: LabInputs) -> Verdict:
    """A knowledge-base role that can read every bucket or call every model turns one sync job into a data leak."""
    kb = lab_knowledge_base(aws, lab)
    policies = aws.role_policies(_role_name(kb.role_arn))
    allowed = _allowed_resources(aws, kb, aws.data_sources(kb.id))
    allows = [(p.name, s) for p in policies for s in rules.statements(p.document) if s.is_allow]
    if not allows:
        return failed(f"{kb.role_arn} grants nothing: the knowledge base cannot read its sources", kb.role_arn)
    problems = [f"{name}: {problem}" for name, s in allows for problem in _permission_problems(s, allowed)]
    if problems:
        return failed(f"{kb.role_arn}: " + "; ".join(problems), kb.role_arn)
    return passed(f"{kb.role_arn} reaches only the lab's model, prefix, vector store and keys", kb.role_arn)


# --- the data source --------------------------------------------------------------------------------


def _scope_problems(source: DataSource, account: str, lab: LabInputs) -> list[str]:
    problems = []
    if source.status != "AVAILABLE":
        problems.append(f"is {source.status or 'in no status'}, not AVAILABLE")
    if source.source_type != "S3":
        problems.append(f"is of type {source.source_type or 'unknown'}, not S3")
    if not source.bucket_arn:
        problems.append("names no bucket")
    if source.bucket_owner not in (None, account):
        problems.append(f"reads a bucket of account {source.bucket_owner}")
    if lab.flag("require_inclusion_prefixes") and not source.inclusion_prefixes:
        problems.append("has no inclusion prefixes, so it ingests the whole bucket")
    wanted = lab.text("data_deletion_policy")
    if (source.deletion_policy or "RETAIN") != wanted:
        problems.append(f"has dataDeletionPolicy {source.deletion_policy or 'RETAIN'}, not {wanted}")
    return problems


@check(
    id="data-source-s3-scoped",
    title="Every data source reads one prefix of your own S3 bucket and deletes its vectors with it",
    severity=REQUIRED,
    permissions=SOURCE_READS,
    hint='Use an aws_bedrockagent_data_source with data_source_configuration { type = "S3", s3_configuration '
    '{ bucket_arn, inclusion_prefixes = ["docs/"] } } and data_deletion_policy = "DELETE".',
)
def data_source_s3_scoped(aws: RagView, lab: LabInputs) -> Verdict:
    """Scoping ingestion to a prefix keeps unrelated objects out of answers; DELETE removes vectors with the source."""
    kb = lab_knowledge_base(aws, lab)
    sources = aws.data_sources(kb.id)
    if not sources:
        return failed(f"knowledge base {kb.name} has no data source", kb.arn)
    problems = [f"data source {s.name} {p}" for s in sources for p in _scope_problems(s, aws.account_id, lab)]
    if problems:
        return failed("; ".join(problems), kb.arn)
    scopes = [f"{s.bucket_name}/{','.join(s.inclusion_prefixes) or '*'}" for s in sources]
    return passed(f"data sources of {kb.name} read {'; '.join(scopes)} and delete their vectors", kb.arn)


@check(
    id="data-source-transient-cmk",
    title="Every data source encrypts its transient ingestion data with a rotating customer-managed key",
    severity=REQUIRED,
    permissions=(*SOURCE_READS, *KEY_READS),
    hint="Set server_side_encryption_configuration { kms_key_arn = aws_kms_key.kb.arn } on the "
    "aws_bedrockagent_data_source (the key needs enable_key_rotation = true).",
)
def data_source_transient_cmk(aws: RagView, lab: LabInputs) -> Verdict:
    """Documents pass through Bedrock during ingestion; your key keeps even that copy under your control."""
    kb = lab_knowledge_base(aws, lab)
    sources = _sources(aws, kb)
    problems = [p for s in sources if (p := rules.customer_key_problem(aws, s.kms_key_arn, f"data source {s.name}"))]
    if problems:
        return failed("; ".join(problems), kb.arn)
    return passed(f"data sources of {kb.name} encrypt transient data with a rotating CMK", kb.arn)


def _int_range(lab: LabInputs, name: str) -> tuple[int, int]:
    values = [int(v) for v in lab.items(name)]
    if len(values) != 2 or values[0] > values[1]:
        raise ValueError(f"input {name} takes two whole numbers low,high; got {','.join(lab.items(name))}")
    return values[0], values[1]


def _fixed_problem(chunking: Chunking, lab: LabInputs) -> str | None:
    low, high = _int_range(lab, "fixed_chunk_tokens")
    least, most = _int_range(lab, "fixed_overlap_pct")
    if chunking.max_tokens is None or not low <= chunking.max_tokens <= high:
        return f"has FIXED_SIZE chunks of {chunking.max_tokens} tokens, not {low}-{high}"
    if chunking.overlap_percentage is None or not least <= chunking.overlap_percentage <= most:
        return f"has a FIXED_SIZE overlap of {chunking.overlap_percentage} %, not {least}-{most} %"
    return None


def _hierarchical_problem(chunking: Chunking, most: int) -> str | None:
    levels = chunking.level_max_tokens
    if len(levels) != 2:
        return f"has {len(levels)} HIERARCHICAL levels, not 2 (parent and child)"
    if not levels[0] > levels[1]:
        return f"has HIERARCHICAL parent chunks ({levels[0]}) no larger than child chunks ({levels[1]})"
    if max(levels) > most:
        return f"has HIERARCHICAL chunks of {max(levels)} tokens, over {most}"
    return None


def _chunking_problem(chunking: Chunking | None, lab: LabInputs) -> str | None:
    strategy = chunking.strategy if chunking else "NONE"
    most = lab.number("max_chunk_tokens")
    if chunking is None or strategy == "NONE":
        return "has no explicit chunking strategy"
    if strategy == "FIXED_SIZE":
        return _fixed_problem(chunking, lab)
    if strategy == "HIERARCHICAL":
        return _hierarchical_problem(chunking, most)
    if strategy == "SEMANTIC":
        ok = chunking.max_tokens is not None and chunking.max_tokens <= most
        return None if ok else f"has SEMANTIC chunks of {chunking.max_tokens} tokens, over {most}"
    return f"has unknown chunking strategy {strategy}"


@check(
    id="chunking-explicit",
    title="Every data source chunks documents with an explicit, bounded strategy",
    severity=REQUIRED,
    permissions=SOURCE_READS,
    hint='Add vector_ingestion_configuration { chunking_configuration { chunking_strategy = "FIXED_SIZE", '
    "fixed_size_chunking_configuration { max_tokens = 300, overlap_percentage = 20 } } } to the data source "
    "(it forces a new data source).",
)
def chunking_explicit(aws: RagView, lab: LabInputs) -> Verdict:
    """Chunk size and overlap decide what a retrieval can find; leaving them implicit leaves quality to chance."""
    kb = lab_knowledge_base(aws, lab)
    sources = _sources(aws, kb)
    problems = [f"data source {s.name} {p}" for s in sources if (p := _chunking_problem(s.chunking, lab))]
    if problems:
        return failed("; ".join(problems), kb.arn)
    strategies = sorted({s.chunking.strategy for s in sources if s.chunking})
    return passed(f"data sources of {kb.name} chunk with {', '.join(strategies)} within bounds", kb.arn)


# --- the source bucket ------------------------------------------------------------------------------


@check(
    id="source-bucket-encrypted-cmk",
    title="The source bucket is encrypted by default with a rotating customer-managed key",
    severity=REQUIRED,
    permissions=(*SOURCE_READS, "s3:GetEncryptionConfiguration", *KEY_READS),
    hint='Add aws_s3_bucket_server_side_encryption_configuration with sse_algorithm = "aws:kms" and '
    "kms_master_key_id = your CMK (enable_key_rotation = true).",
)
def source_bucket_encrypted_cmk(aws: RagView, lab: LabInputs) -> Verdict:
    """The source documents are the knowledge; your key decides who can read them at rest."""
    kb = lab_knowledge_base(aws, lab)
    buckets = _buckets(aws, kb)
    problems = []
    for bucket in buckets:
        encryption = aws.bucket_encryption(bucket)
        if encryption.algorithm not in ("aws:kms", "aws:kms:dsse"):
            problems.append(f"bucket {bucket} uses {encryption.algorithm or 'no explicit'} encryption, not SSE-KMS")
        elif problem := rules.customer_key_problem(aws, encryption.kms_key_id, f"bucket {bucket}"):
            problems.append(problem)
    if problems:
        return failed("; ".join(problems), *buckets)
    return passed(f"{', '.join(buckets)}: SSE-KMS with a rotating CMK", *buckets)


ALL_BLOCKS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")


def _public_access_problem(aws: RagView, bucket: str) -> str | None:
    """S3 applies a setting when the bucket or the account turns it on."""
    block = aws.bucket_public_access_block(bucket)
    off = set(block.off if block else ALL_BLOCKS)
    if off:
        account = aws.account_public_access_block()
        off &= set(account.off if account else ALL_BLOCKS)
    if off:
        return f"bucket {bucket} has {', '.join(sorted(off))} off at bucket and account level"
    return None


def _denies_plain_http(policy: Document | None, bucket: str) -> bool:
    objects = f"arn:aws:s3:::{bucket}/*"
    for statement in rules.statements(policy):
        if not statement.is_deny or not statement.principal_is_anyone or not statement.covers("s3:GetObject"):
            continue
        covers_objects = not statement.not_resource and any(
            fnmatch.fnmatchcase(objects, r) for r in statement.resources
        )
        insecure = {v.lower() for v in statement.values(("Bool", "BoolIfExists"), "aws:SecureTransport")}
        if covers_objects and "false" in insecure:
            return True
    return False


@check(
    id="source-bucket-private-tls",
    title="The source bucket blocks public access and refuses requests without TLS",
    severity=REQUIRED,
    permissions=(
        *SOURCE_READS,
        "s3:GetBucketPublicAccessBlock",
        "s3:GetAccountPublicAccessBlock",
        "s3:GetBucketPolicy",
    ),
    hint="Add aws_s3_bucket_public_access_block with all four settings true, and an aws_s3_bucket_policy that "
    'denies s3:* to Principal "*" when Bool aws:SecureTransport = false (do not pin the bucket to aws:SourceVpce: '
    "Bedrock reads it from the service side).",
)
def source_bucket_private_tls(aws: RagView, lab: LabInputs) -> Verdict:
    """A public or plain-HTTP source bucket leaks the documents the knowledge base answers from."""
    kb = lab_knowledge_base(aws, lab)
    buckets = _buckets(aws, kb)
    problems = [p for b in buckets if (p := _public_access_problem(aws, b))]
    problems += [
        f"bucket {b} has no policy denying requests when aws:SecureTransport is false"
        for b in buckets
        if not _denies_plain_http(aws.bucket_policy(b), b)
    ]
    if problems:
        return failed("; ".join(problems), *buckets)
    return passed(f"{', '.join(buckets)}: public access blocked, TLS required", *buckets)


# --- OpenSearch Serverless track ----------------------------------------------------------------------


def _rule_sets(document: Any) -> list[Mapping[str, Any]]:
    """Network and data policies are lists of rule-sets; an encryption policy is one rule-set."""
    items = document if isinstance(document, list) else [document]
    return [item for item in items if isinstance(item, Mapping)]


def _patterns(rule_set: Mapping[str, Any], kinds: Iterable[str]) -> list[str]:
    wanted = {k.lower() for k in kinds}
    found = []
    for rule in rule_set.get("Rules") or []:
        if isinstance(rule, Mapping) and str(rule.get("ResourceType", "")).lower() in wanted:
            resource = rule.get("Resource") or []
            found += [str(p) for p in (resource if isinstance(resource, list) else [resource])]
    return found


def _applies(rule_set: Mapping[str, Any], kinds: Iterable[str], targets: Iterable[str]) -> bool:
    return any(fnmatch.fnmatchcase(t, p) for p in _patterns(rule_set, kinds) for t in targets)


def _listed(value: Any) -> list[str]:
    return [str(v) for v in (value if isinstance(value, list) else [value] if value else [])]


def _encryption_note(aws: RagView, name: str) -> str:
    """Informational: which encryption policy gave the collection its key."""
    target = [f"collection/{name}"]
    for policy in aws.oss_security_policies("encryption"):
        for rule_set in _rule_sets(policy.document):
            if _applies(rule_set, ("collection",), target) and str(rule_set.get("AWSOwnedKey")).lower() == "true":
                return f" (encryption policy {policy.name} sets AWSOwnedKey = true)"
    return ""


def _collection_problems(aws: RagView, collection: OssCollection) -> list[str]:
    problems = []
    if collection.status != "ACTIVE":
        problems.append(f"is {collection.status}, not ACTIVE")
    if collection.collection_type != "VECTORSEARCH":
        problems.append(f"is of type {collection.collection_type}, not VECTORSEARCH")
    if not (collection.kms_key_arn or "").startswith("arn:aws:kms:"):
        note = _encryption_note(aws, collection.name)
        problems.append(f"is encrypted with an AWS-owned key ({collection.kms_key_arn or 'none'}){note}")
    elif problem := rules.customer_key_problem(aws, collection.kms_key_arn, "its encryption"):
        problems.append(problem)
    return problems


@check(
    id="oss-collection-encrypted-cmk",
    title="The OpenSearch Serverless collection is an ACTIVE VECTORSEARCH collection encrypted with a rotating CMK",
    severity=REQUIRED,
    permissions=(*COLLECTION_READS, *SECURITY_POLICY_READS, *KEY_READS),
    hint="Create the encryption aws_opensearchserverless_security_policy with AWSOwnedKey = false and KmsARN = "
    'your CMK before the collection, and the collection with type = "VECTORSEARCH" and standby_replicas = '
    '"DISABLED" (encryption is fixed at creation: recreate the collection to change it).',
)
def oss_collection_encrypted_cmk(aws: RagView, lab: LabInputs) -> Verdict:
    """The collection holds an embedding of every chunk; your key keeps the vectors under your control."""
    kb = lab_knowledge_base(aws, lab)
    if kb.storage_type != OSS:
        return _other_track(kb, "OpenSearch Serverless")
    if not kb.collection_id:
        raise BlockedError("kb-active-vector", f"knowledge base {kb.name} names no collection")
    collection = aws.oss_collection(kb.collection_id)
    if collection is None or collection.error:
        reason = collection.error if collection else "does not exist"
        return failed(f"collection {kb.collection_arn} {reason}", kb.collection_arn or kb.arn)
    cost = " (standby replicas are ENABLED: they double the OCUs)" if collection.standby_replicas == "ENABLED" else ""
    problems = _collection_problems(aws, collection)
    if problems:
        return failed(f"collection {collection.name}: " + "; ".join(problems) + cost, collection.arn)
    return passed(f"collection {collection.name} is ACTIVE, VECTORSEARCH, with a rotating CMK{cost}", collection.arn)


@check(
    id="oss-network-private",
    title="The collection's network policy allows no public access and lets Bedrock in",
    severity=REQUIRED,
    permissions=(*COLLECTION_READS, *SECURITY_POLICY_READS),
    hint="In the network aws_opensearchserverless_security_policy set AllowFromPublic = false and SourceServices "
    '= ["bedrock.amazonaws.com"] for both the collection and the dashboard rules.',
)
def oss_network_private(aws: RagView, lab: LabInputs) -> Verdict:
    """A public collection endpoint exposes the vectors to the internet; Bedrock still needs a way in."""
    kb = lab_knowledge_base(aws, lab)
    if kb.storage_type != OSS:
        return _other_track(kb, "OpenSearch Serverless")
    collection = _collection(aws, kb)
    target = [f"collection/{collection.name}"]
    applying = [
        (p.name, rs)
        for p in aws.oss_security_policies("network")
        for rs in _rule_sets(p.document)
        if _applies(rs, ("collection", "dashboard"), target)
    ]
    if not applying:
        return failed(f"no network policy applies to collection {collection.name}", collection.arn)
    public = sorted({name for name, rs in applying if str(rs.get("AllowFromPublic")).lower() == "true"})
    services = {
        s for _, rs in applying if _applies(rs, ("collection",), target) for s in _listed(rs.get("SourceServices"))
    }
    problems = [f"network policy {name} allows public access" for name in public]
    if BEDROCK not in services:
        problems.append(f"no network policy lets {BEDROCK} reach it (SourceServices), so the KB cannot")
    if problems:
        return failed(f"collection {collection.name}: " + "; ".join(problems), collection.arn)
    return passed(f"collection {collection.name} is private and reachable by {BEDROCK}", collection.arn)


def _plain_role(arn: str) -> str:
    """A role ARN without its path: data-access policies name roles that way."""
    return re.sub(r":role/.+/", ":role/", arn)


def _grants_index_use(rule_set: Mapping[str, Any], role_arn: str, index: str) -> bool:
    if _plain_role(role_arn) not in {_plain_role(p) for p in _listed(rule_set.get("Principal"))}:
        return False
    for rule in rule_set.get("Rules") or []:
        if not isinstance(rule, Mapping) or str(rule.get("ResourceType", "")).lower() != "index":
            continue
        granted = [g.lower() for g in _listed(rule.get("Permission"))]
        names_index = any(fnmatch.fnmatchcase(index, p) for p in _listed(rule.get("Resource")))
        if names_index and all(any(fnmatch.fnmatchcase(n.lower(), g) for g in granted) for n in INDEX_PERMISSIONS):
            return True
    return False


def _names_collection(pattern: str, name: str) -> bool:
    return pattern == f"collection/{name}" or pattern.startswith((f"index/{name}/", f"model/{name}/"))


@check(
    id="oss-data-access-least-privilege",
    title="Only the knowledge-base role (and declared admins) can use the collection's index",
    severity=REQUIRED,
    permissions=(*COLLECTION_READS, "aoss:ListAccessPolicies", "aoss:GetAccessPolicy"),
    hint="Grant the data-access aws_opensearchserverless_access_policy only to the KB role (plus the admin "
    "role you list in extra_data_access_principals), only on index/<collection>/*, with aoss:DescribeIndex, "
    "aoss:ReadDocument and aoss:WriteDocument.",
)
def oss_data_access_least_privilege(aws: RagView, lab: LabInputs) -> Verdict:
    """Data-access policies are the collection's own IAM: a wildcard principal or pattern opens every vector."""
    kb = lab_knowledge_base(aws, lab)
    if kb.storage_type != OSS:
        return _other_track(kb, "OpenSearch Serverless")
    collection = _collection(aws, kb)
    index = f"index/{collection.name}/{kb.vector_index_name}"
    targets = (f"collection/{collection.name}", index)
    kinds = ("collection", "index", "model")
    applying = [
        (p.name, rs) for p in aws.oss_access_policies() for rs in _rule_sets(p.document) if _applies(rs, kinds, targets)
    ]
    problems = []
    if not any(_grants_index_use(rs, kb.role_arn, index) for _, rs in applying):
        problems.append(f"no data-access policy grants {kb.role_arn} {', '.join(INDEX_PERMISSIONS)} on {index}")
    allowed = {_plain_role(p) for p in (kb.role_arn, *lab.items("extra_data_access_principals"))}
    extra = sorted({p for _, rs in applying for p in _listed(rs.get("Principal")) if _plain_role(p) not in allowed})
    problems += [f"also grants {p}" for p in extra]
    wide = sorted({p for _, rs in applying for p in _patterns(rs, kinds) if not _names_collection(p, collection.name)})
    problems += [f"pattern {p} reaches beyond collection {collection.name}" for p in wide]
    if problems:
        return failed(f"collection {collection.name}: " + "; ".join(problems), collection.arn)
    return passed(f"only {kb.role_arn} (and declared admins) can use {index}", collection.arn)


# --- S3 Vectors track -------------------------------------------------------------------------------


def _vector_problems(aws: RagView, kb: KnowledgeBase, bucket: VectorBucket, index: VectorIndex) -> list[str]:
    problems = []
    if bucket.sse_type != "aws:kms":
        problems.append(f"vector bucket {bucket.name} uses {bucket.sse_type or 'AES256'} encryption, not aws:kms")
    elif problem := rules.customer_key_problem(aws, bucket.kms_key_arn, f"vector bucket {bucket.name}"):
        problems.append(problem)
    if index.sse_type not in (None, "aws:kms"):
        problems.append(f"index {index.name} uses its own {index.sse_type} encryption, not aws:kms")
    elif index.kms_key_arn and (problem := rules.customer_key_problem(aws, index.kms_key_arn, f"index {index.name}")):
        problems.append(problem)
    model = (kb.embedding_model_arn or "").split("foundation-model/", 1)[-1]
    wanted = kb.embedding_dimensions or DEFAULT_DIMENSIONS.get(model)
    if wanted is not None and index.dimension != wanted:
        problems.append(f"index {index.name} has dimension {index.dimension}, the embeddings have {wanted}")
    if index.data_type != "float32":
        problems.append(f"index {index.name} stores {index.data_type}, not float32")
    return problems


@check(
    id="s3vectors-encrypted-cmk",
    title="The S3 Vectors bucket and index use a rotating CMK and match the embedding model",
    severity=REQUIRED,
    permissions=(*KB_DISCOVERY, *VECTOR_READS, *KEY_READS),
    hint='Create the aws_s3vectors_vector_bucket with encryption_configuration { sse_type = "aws:kms", '
    'kms_key_arn = your CMK } and an aws_s3vectors_index with data_type = "float32" and the embedding '
    "model's dimension (1024 for Titan Text Embeddings v2); encryption is fixed at creation.",
)
def s3vectors_encrypted_cmk(aws: RagView, lab: LabInputs) -> Verdict:
    """The vector bucket holds an embedding of every chunk; your key keeps the vectors under your control."""
    kb = lab_knowledge_base(aws, lab)
    if kb.storage_type != S3_VECTORS:
        return _other_track(kb, "S3 Vectors")
    if kb.vector_index is None:
        raise BlockedError("kb-active-vector", f"knowledge base {kb.name} names no S3 Vectors index")
    bucket_name, index_name = kb.vector_index
    bucket = aws.vector_bucket(bucket_name)
    index = aws.vector_index(bucket_name, index_name) if bucket else None
    if bucket is None or index is None:
        missing = f"vector bucket {bucket_name}" if bucket is None else f"index {index_name} of {bucket_name}"
        return failed(f"{missing} does not exist", kb.arn)
    problems = _vector_problems(aws, kb, bucket, index)
    if problems:
        return failed("; ".join(problems), bucket.arn, index.arn)
    return passed(
        f"vector bucket {bucket.name} and index {index.name}: rotating CMK, {index.dimension} float32", bucket.arn
    )


# --- evidence ---------------------------------------------------------------------------------------


def _job_problem(job: IngestionJob) -> str | None:
    if job.status != "COMPLETE":
        return f"ingestion job {job.id} is {job.status}"
    if job.failed:
        return f"ingestion job {job.id} failed on {job.failed} document(s)"
    if job.scanned < 1:
        return f"ingestion job {job.id} scanned no documents (is anything under the inclusion prefixes?)"
    return None


@check(
    id="ingestion-complete",
    title="The latest ingestion job of every data source completed with no failed documents",
    severity=REQUIRED,
    permissions=(*SOURCE_READS, "bedrock:ListIngestionJobs"),
    hint="Run aws bedrock-agent start-ingestion-job --knowledge-base-id <kb> --data-source-id <ds> and wait "
    "for COMPLETE (labcheck verify --wait 600 polls for you).",
)
def ingestion_complete(aws: RagView, lab: LabInputs) -> Verdict:
    """Until a sync completes the knowledge base answers from nothing; its statistics prove the documents made it."""
    kb = lab_knowledge_base(aws, lab)
    failures, running = [], []
    for source in _sources(aws, kb):
        job = aws.latest_ingestion_job(kb.id, source.id)
        if job is None:
            failures.append(f"data source {source.name} has never been synced")
        elif job.status in RUNNING:
            running.append(f"ingestion job {job.id} of {source.name} is {job.status}")
        elif problem := _job_problem(job):
            failures.append(f"data source {source.name}: {problem}")
    if failures:
        return failed("; ".join(failures), kb.arn)
    if running:
        return pending("; ".join(running) + "; run again in a few minutes, or use --wait 600", kb.arn)
    return passed(f"the latest ingestion of every data source of {kb.name} completed", kb.arn)
