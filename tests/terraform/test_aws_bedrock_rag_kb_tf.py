"""Static tests for the Terraform of lab aws-bedrock-rag-kb (no terraform binary, no network).

The solution must set everything the lab's checks grade, on both vector-store tracks; the starter must
leave exactly those parts to the learner, with a TODO naming the check id at each place.
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path
from typing import Any

import hcl2
import pytest

REPO_ROOT = Path(__file__).resolve().parents[1].parent
LAB_DIR = REPO_ROOT / "terraform" / "aws-bedrock-rag-kb"
SOLUTION = LAB_DIR / "solution"
STARTER = LAB_DIR / "starter"
BOTH = pytest.mark.parametrize("variant", [STARTER, SOLUTION], ids=["starter", "solution"])

# Keys python-hcl2 adds to block bodies (8.x: __is_block__/__comments__, 4.x-7.x: line numbers).
_META_KEYS = frozenset({"__is_block__", "__comments__", "__inline_comments__", "__start_line__", "__end_line__"})

CHECK_IDS = (
    "kb-active-vector",
    "kb-role-trust-confused-deputy",
    "kb-role-least-privilege",
    "data-source-s3-scoped",
    "data-source-transient-cmk",
    "chunking-explicit",
    "source-bucket-encrypted-cmk",
    "source-bucket-private-tls",
    "oss-collection-encrypted-cmk",
    "oss-network-private",
    "oss-data-access-least-privilege",
    "s3vectors-encrypted-cmk",
    "ingestion-complete",
)


def normalize(value: Any) -> Any:
    """Strip the quotes python-hcl2 8.x keeps around labels and strings, and drop its metadata keys."""
    if isinstance(value, str):
        return value[1:-1] if len(value) >= 2 and value[0] == value[-1] == '"' else value
    if isinstance(value, dict):
        return {normalize(k): normalize(v) for k, v in value.items() if k not in _META_KEYS}
    if isinstance(value, list):
        return [normalize(v) for v in value]
    return value


def load_dir(directory: Path) -> dict[str, list[Any]]:
    """Merge the top-level blocks of every .tf file in a directory, like Terraform does."""
    merged: dict[str, list[Any]] = defaultdict(list)
    for path in sorted(directory.glob("*.tf")):
        with path.open(encoding="utf-8") as handle:
            for key, value in normalize(hcl2.load(handle)).items():
                merged[key].extend(value)
    return dict(merged)


def typed_blocks(doc: dict[str, list[Any]], kind: str, type_name: str) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for entry in doc.get(kind, []):
        found.update(entry.get(type_name, {}))
    return found


def resources(doc: dict[str, list[Any]], type_name: str) -> dict[str, dict[str, Any]]:
    return typed_blocks(doc, "resource", type_name)


def only(mapping: dict[str, dict[str, Any]]) -> dict[str, Any]:
    assert len(mapping) == 1, f"expected exactly one block, found {sorted(mapping)}"
    return next(iter(mapping.values()))


def blocks(body: dict[str, Any], name: str) -> list[dict[str, Any]]:
    value = body.get(name, [])
    return value if isinstance(value, list) else [value]


def one_block(body: dict[str, Any], *path: str) -> dict[str, Any]:
    for name in path:
        (body,) = blocks(body, name)
    return body


def dynamic_content(body: dict[str, Any], name: str) -> list[dict[str, Any]]:
    """The `content` bodies of `dynamic "<name>"` blocks."""
    return [c for entry in body.get("dynamic", []) if name in entry for c in blocks(entry[name], "content")]


def statements(policy: dict[str, Any]) -> list[dict[str, Any]]:
    """Plain and dynamic statements of an aws_iam_policy_document."""
    return blocks(policy, "statement") + dynamic_content(policy, "statement")


def conditions(statement: dict[str, Any]) -> dict[tuple[str, str], list[Any]]:
    return {(c["test"], c["variable"]): c["values"] for c in blocks(statement, "condition")}


def policy_document(doc: dict[str, list[Any]], name: str) -> dict[str, Any]:
    return typed_blocks(doc, "data", "aws_iam_policy_document")[name]


def tf_text(directory: Path) -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in sorted(directory.glob("*.tf")))


@pytest.fixture(scope="module")
def solution() -> dict[str, list[Any]]:
    return load_dir(SOLUTION)


@pytest.fixture(scope="module")
def starter() -> dict[str, list[Any]]:
    return load_dir(STARTER)


@pytest.fixture(scope="module")
def solution_locals(solution: dict[str, list[Any]]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for entry in solution["locals"]:
        found.update(entry)
    return found


# --------------------------------------------------------------------------------------------------
# shared by starter and solution
# --------------------------------------------------------------------------------------------------


@BOTH
def test_providers_pinned(variant: Path) -> None:
    providers: dict[str, Any] = {}
    for terraform in load_dir(variant)["terraform"]:
        for required in blocks(terraform, "required_providers"):
            providers.update(required)
    assert providers["aws"] == {"source": "hashicorp/aws", "version": "~> 6.28"}
    assert providers["opensearch"]["source"] == "opensearch-project/opensearch"


@BOTH
def test_provider_default_tags_name_the_lab(variant: Path) -> None:
    doc = load_dir(variant)
    aws = next(p["aws"] for p in doc["provider"] if "aws" in p)
    assert aws["region"] == "${var.region}"
    tags = blocks(aws, "default_tags")[0]["tags"]
    assert tags["labcheck-lab"] == "aws-bedrock-rag-kb"
    assert tags["labcheck-learner"] == "${var.learner_id}"
    opensearch = next(p["opensearch"] for p in doc["provider"] if "opensearch" in p)
    assert opensearch["url"] == "${local.collection_endpoint}"


@BOTH
def test_variables(variant: Path) -> None:
    variables: dict[str, dict[str, Any]] = {}
    for entry in load_dir(variant)["variable"]:
        variables.update(entry)
    assert variables["vector_store"]["default"] == "opensearch"
    assert "s3vectors" in blocks(variables["vector_store"], "validation")[0]["condition"]
    assert variables["embedding_model_id"]["default"] == "amazon.titan-embed-text-v2:0"
    assert variables["embedding_dimensions"]["default"] == 1024
    assert variables["bootstrap_index_access"]["default"] is False


@BOTH
def test_sample_documents_under_the_docs_prefix(variant: Path) -> None:
    doc = load_dir(variant)
    objects = only(resources(doc, "aws_s3_object"))
    assert objects["bucket"] == "${aws_s3_bucket.docs.id}"
    assert objects["key"] == "${local.docs_prefix}${each.key}"
    assert 'docs_prefix         = "docs/"' in tf_text(variant)


# --------------------------------------------------------------------------------------------------
# solution: sets everything the checks grade
# --------------------------------------------------------------------------------------------------


def test_solution_key_rotates_and_serves_the_store(solution: dict[str, list[Any]]) -> None:
    key = only(resources(solution, "aws_kms_key"))
    assert key["enable_key_rotation"] is True
    assert key["policy"] == "${data.aws_iam_policy_document.key.json}"
    found = {s.get("sid"): s for s in statements(policy_document(solution, "key"))}
    assert found["KnowledgeBaseRole"]["principals"][0]["identifiers"] == ["${aws_iam_role.kb.arn}"]
    assert conditions(found["OpenSearchServerless"])[("StringEquals", "kms:ViaService")] == [
        "aoss.${var.region}.amazonaws.com"
    ]
    assert found["S3VectorsIndexing"]["principals"][0]["identifiers"] == ["indexing.s3vectors.amazonaws.com"]


def test_solution_source_bucket_encrypted_cmk(solution: dict[str, list[Any]]) -> None:
    config = only(resources(solution, "aws_s3_bucket_server_side_encryption_configuration"))
    rule = one_block(config, "rule")
    default = one_block(rule, "apply_server_side_encryption_by_default")
    assert default == {"sse_algorithm": "aws:kms", "kms_master_key_id": "${aws_kms_key.kb.arn}"}
    assert rule["bucket_key_enabled"] is True


def test_solution_source_bucket_private_tls(solution: dict[str, list[Any]]) -> None:
    block = only(resources(solution, "aws_s3_bucket_public_access_block"))
    flags = ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets")
    assert all(block[f] is True for f in flags)
    policy = only(resources(solution, "aws_s3_bucket_policy"))
    assert policy["policy"] == "${data.aws_iam_policy_document.docs_bucket.json}"
    (deny,) = statements(policy_document(solution, "docs_bucket"))
    assert deny["effect"] == "Deny"
    assert deny["actions"] == ["s3:*"]
    assert "${aws_s3_bucket.docs.arn}/*" in deny["resources"]
    assert deny["principals"] == [{"type": "*", "identifiers": ["*"]}]
    assert conditions(deny) == {("Bool", "aws:SecureTransport"): ["false"]}
    assert not [
        c for s in statements(policy_document(solution, "docs_bucket")) for c in conditions(s) if "SourceVpce" in c[1]
    ]


def test_solution_kb_role_trust_confused_deputy(solution: dict[str, list[Any]]) -> None:
    role = resources(solution, "aws_iam_role")["kb"]
    assert role["assume_role_policy"] == "${data.aws_iam_policy_document.kb_trust.json}"
    (trust,) = statements(policy_document(solution, "kb_trust"))
    assert trust["principals"] == [{"type": "Service", "identifiers": ["bedrock.amazonaws.com"]}]
    assert conditions(trust) == {
        ("StringEquals", "aws:SourceAccount"): ["${local.account_id}"],
        ("ArnLike", "aws:SourceArn"): ["arn:aws:bedrock:${var.region}:${local.account_id}:knowledge-base/*"],
    }


def test_solution_kb_role_least_privilege(solution: dict[str, list[Any]]) -> None:
    policy = only(resources(solution, "aws_iam_role_policy"))
    assert policy["role"] == "${aws_iam_role.kb.id}"
    found = {s["sid"]: (s["actions"], s["resources"]) for s in statements(policy_document(solution, "kb"))}
    assert found == {
        "EmbeddingModel": (["bedrock:InvokeModel"], ["${local.embedding_model_arn}"]),
        "ListDocsBucket": (["s3:ListBucket"], ["${aws_s3_bucket.docs.arn}"]),
        "ReadDocsPrefix": (["s3:GetObject"], ["${aws_s3_bucket.docs.arn}/${local.docs_prefix}*"]),
        "UseLabKey": (["kms:Decrypt", "kms:GenerateDataKey"], ["${aws_kms_key.kb.arn}"]),
        "Collection": (["aoss:APIAccessAll"], ["${aws_opensearchserverless_collection.kb[0].arn}"]),
        "VectorIndex": (
            [
                "s3vectors:PutVectors",
                "s3vectors:GetVectors",
                "s3vectors:DeleteVectors",
                "s3vectors:QueryVectors",
                "s3vectors:GetIndex",
            ],
            ["${aws_s3vectors_index.kb[0].index_arn}"],
        ),
    }
    assert not resources(solution, "aws_iam_role_policy_attachment")


def test_solution_oss_collection_encrypted_cmk(solution: dict[str, list[Any]], solution_locals: dict[str, Any]) -> None:
    collection = only(resources(solution, "aws_opensearchserverless_collection"))
    assert collection["type"] == "VECTORSEARCH"
    assert collection["standby_replicas"] == "DISABLED"
    assert "${aws_opensearchserverless_security_policy.encryption}" in collection["depends_on"]
    encryption = resources(solution, "aws_opensearchserverless_security_policy")["encryption"]
    assert encryption["type"] == "encryption"
    assert encryption["policy"] == "${jsonencode(local.encryption_policy)}"
    assert solution_locals["encryption_policy"] == {
        "Rules": [{"ResourceType": "collection", "Resource": ["collection/${local.collection}"]}],
        "AWSOwnedKey": False,
        "KmsARN": "${aws_kms_key.kb.arn}",
    }


def test_solution_oss_network_private(solution: dict[str, list[Any]], solution_locals: dict[str, Any]) -> None:
    network = resources(solution, "aws_opensearchserverless_security_policy")["network"]
    assert network["type"] == "network"
    assert "[local.private_network]" in network["policy"]
    assert "var.bootstrap_index_access ? [local.bootstrap_network] : []" in network["policy"]
    private = solution_locals["private_network"]
    assert private["AllowFromPublic"] is False
    assert private["SourceServices"] == ["bedrock.amazonaws.com"]
    assert private["Rules"] == "${local.collection_rules}"
    kinds = {r["ResourceType"] for r in solution_locals["collection_rules"]}
    assert kinds == {"collection", "dashboard"}


def test_solution_oss_data_access_least_privilege(
    solution: dict[str, list[Any]], solution_locals: dict[str, Any]
) -> None:
    data = only(resources(solution, "aws_opensearchserverless_access_policy"))
    assert data["type"] == "data"
    assert data["policy"] == "${jsonencode([local.kb_data_access, local.admin_data_access])}"
    kb = solution_locals["kb_data_access"]
    assert kb["Principal"] == ["${aws_iam_role.kb.arn}"]
    assert kb["Rules"] == [
        {
            "ResourceType": "index",
            "Resource": ["index/${local.collection}/*"],
            "Permission": ["aoss:DescribeIndex", "aoss:ReadDocument", "aoss:WriteDocument"],
        }
    ]
    admin = solution_locals["admin_data_access"]
    assert admin["Principal"] == ["${local.index_admin}"]
    patterns = [p for rule in admin["Rules"] for p in rule["Resource"]]
    assert patterns == ["collection/${local.collection}", "index/${local.collection}/*"]


def test_solution_vector_index_matches_the_model(solution: dict[str, list[Any]]) -> None:
    index = only(resources(solution, "opensearch_index"))
    assert index["index_knn"] is True
    assert "knn_vector" in index["mappings"]
    assert "dimension = var.embedding_dimensions" in tf_text(SOLUTION)
    assert "${aws_opensearchserverless_access_policy.data}" in index["depends_on"]


def test_solution_s3vectors_encrypted_cmk(solution: dict[str, list[Any]]) -> None:
    bucket = only(resources(solution, "aws_s3vectors_vector_bucket"))
    assert one_block(bucket, "encryption_configuration") == {
        "sse_type": "aws:kms",
        "kms_key_arn": "${aws_kms_key.kb.arn}",
    }
    index = only(resources(solution, "aws_s3vectors_index"))
    assert (index["data_type"], index["dimension"], index["distance_metric"]) == (
        "float32",
        "${var.embedding_dimensions}",
        "cosine",
    )


def test_solution_tracks_are_switched_by_vector_store(solution: dict[str, list[Any]]) -> None:
    for type_name in (
        "aws_opensearchserverless_security_policy",
        "aws_opensearchserverless_access_policy",
        "aws_opensearchserverless_collection",
        "opensearch_index",
    ):
        assert {b["count"] for b in resources(solution, type_name).values()} == {"${local.use_oss ? 1 : 0}"}
    for type_name in ("aws_s3vectors_vector_bucket", "aws_s3vectors_index"):
        assert {b["count"] for b in resources(solution, type_name).values()} == {"${local.use_s3v ? 1 : 0}"}


def test_solution_kb_active_vector(solution: dict[str, list[Any]]) -> None:
    kb = only(resources(solution, "aws_bedrockagent_knowledge_base"))
    assert kb["role_arn"] == "${aws_iam_role.kb.arn}"
    config = one_block(kb, "knowledge_base_configuration")
    assert config["type"] == "VECTOR"
    vector = one_block(config, "vector_knowledge_base_configuration")
    assert vector["embedding_model_arn"] == "${local.embedding_model_arn}"
    storage = one_block(kb, "storage_configuration")
    assert storage["type"] == '${local.use_oss ? "OPENSEARCH_SERVERLESS" : "S3_VECTORS"}'
    (oss,) = dynamic_content(storage, "opensearch_serverless_configuration")
    assert oss["collection_arn"] == "${aws_opensearchserverless_collection.kb[0].arn}"
    assert oss["vector_index_name"] == "${local.vector_index}"
    assert set(one_block(oss, "field_mapping")) == {"vector_field", "text_field", "metadata_field"}
    (s3v,) = dynamic_content(storage, "s3_vectors_configuration")
    assert s3v["index_arn"] == "${aws_s3vectors_index.kb[0].index_arn}"


def test_solution_data_source(solution: dict[str, list[Any]]) -> None:
    source = only(resources(solution, "aws_bedrockagent_data_source"))
    # data-source-s3-scoped
    assert source["data_deletion_policy"] == "DELETE"
    config = one_block(source, "data_source_configuration")
    assert config["type"] == "S3"
    s3 = one_block(config, "s3_configuration")
    assert s3 == {"bucket_arn": "${aws_s3_bucket.docs.arn}", "inclusion_prefixes": ["${local.docs_prefix}"]}
    # data-source-transient-cmk
    assert one_block(source, "server_side_encryption_configuration") == {"kms_key_arn": "${aws_kms_key.kb.arn}"}
    # chunking-explicit
    chunking = one_block(source, "vector_ingestion_configuration", "chunking_configuration")
    assert chunking["chunking_strategy"] == "FIXED_SIZE"
    assert one_block(chunking, "fixed_size_chunking_configuration") == {"max_tokens": 300, "overlap_percentage": 20}


def test_solution_outputs(solution: dict[str, list[Any]]) -> None:
    outputs = {name: body for entry in solution["output"] for name, body in entry.items()}
    assert set(outputs) == {
        "knowledge_base_id",
        "data_source_id",
        "docs_bucket",
        "index_admin_principal",
        "start_ingestion",
    }
    assert "start-ingestion-job" in outputs["start_ingestion"]["value"]


def test_solution_has_no_todos() -> None:
    assert "TODO" not in tf_text(SOLUTION)


# --------------------------------------------------------------------------------------------------
# starter: leaves the graded parts to the learner
# --------------------------------------------------------------------------------------------------


def test_starter_has_only_the_given_resources(starter: dict[str, list[Any]]) -> None:
    declared = {type_name for entry in starter.get("resource", []) for type_name in entry}
    assert declared == {"aws_s3_bucket", "aws_s3_object"}


@pytest.mark.parametrize(
    "token",
    [
        "VECTORSEARCH",
        "standby_replicas",
        "AWSOwnedKey",
        "KmsARN",
        "AllowFromPublic",
        "SourceServices",
        "data_deletion_policy",
        "inclusion_prefixes",
        "chunking_strategy",
        "server_side_encryption_configuration",
        "sse_algorithm",
        "block_public_acls",
        "aws:SecureTransport",
        "aws:SourceArn",
        "enable_key_rotation",
        "aws_kms_key",
        "aws_bedrockagent_knowledge_base",
        "aws_bedrockagent_data_source",
        "aws_opensearchserverless",
        "aws_s3vectors",
        "kms_key_arn",
    ],
)
def test_starter_text_has_no_graded_settings(token: str) -> None:
    assert token not in tf_text(STARTER)


def test_starter_todos_name_every_check() -> None:
    found = set(re.findall(r"#\s*TODO \(([a-z0-9-]+)\)", tf_text(STARTER)))
    assert found == set(CHECK_IDS)
