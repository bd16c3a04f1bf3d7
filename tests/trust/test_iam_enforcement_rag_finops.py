"""The generated grader policies of aws-bedrock-rag-kb and aws-bedrock-guardrails-finops, under moto's IAM.

The same proof as test_iam_enforcement.py gives aws-bedrock-privatelink: with exactly
`labcheck.permissions.iam_policy([lab])` (Resource "*") no check is denied and every status equals an
unenforced run; with any one action removed, exactly the checks that read it report ERROR "access denied:
<action>" and every other status is unchanged. Each lab has several deployments in fresh accounts of one
enforcing moto server (iam_proof.start_server: moto_auth's server and fixes, plus AWS's action names for
CloudWatch and Budgets), and every action is removed on every deployment of its lab.

What each check reads on each deployment is written out below (RAG_READS, FINOPS_READS): moto 5.2.5 lacks
several of these labs' APIs (HTTP 500), and a check stops at the first of them. moto evaluates IAM before it
dispatches, so a missing API is still "reached": without its action the check says "access denied" instead
of "failed: 500". The actions no check reaches on any deployment are in NEVER_REACHED, each with the missing
APIs that stop every check declaring it (a test checks those checks really stop there).

The deployments are written here, smaller than tests/e2e's (those modules are not importable from
tests/trust: tests/e2e is on sys.path only when pytest collects it); each holds what its lab's checks can
reach in moto.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from botocore.exceptions import ClientError
from iam_proof import aws_action, declaring, denied, start_server, without
from trust_support import REGION, Run, new_account, run_in_process

from labcheck import permissions
from labcheck.catalog import Lab, get_lab
from labcheck.testing.moto_auth import create_grader, set_enforcement, start_enforcing_server
from labcheck.testing.moto_server import account_env, account_session, client_factory

RAG = get_lab("aws-bedrock-rag-kb")
FINOPS = get_lab("aws-bedrock-guardrails-finops")
LABS = {lab.id: lab for lab in (RAG, FINOPS)}
Client = Callable[[str], Any]


def verify_args(lab: Lab) -> list[str]:
    """`labcheck verify` of a lab: one attempt per request, so moto's 500s cost one round trip."""
    return ["verify", lab.id, "--region", REGION, "--format", "json", "--max-attempts", "1"]


def document(*statements: dict[str, Any]) -> str:
    """An IAM policy document, as JSON text."""
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


# --- aws-bedrock-rag-kb: deployments ----------------------------------------------------------------

TITAN_V2 = f"arn:aws:bedrock:{REGION}::foundation-model/amazon.titan-embed-text-v2:0"
KB_ROLE = "labcheck-rag-kb"


@dataclass(frozen=True)
class RagDesign:
    """The reference's OpenSearch Serverless track, or a variant that makes checks read further."""

    store: str = "oss"  # oss | s3-vectors
    aws_owned_key: bool = False  # the collection's encryption policy uses an AWS-owned key
    managed_policy: bool = False  # part of the KB role's permissions sit in an attached managed policy


RAG_DESIGNS = {
    "reference": RagDesign(),
    "managed-policy": RagDesign(managed_policy=True),
    "aws-owned-key": RagDesign(aws_owned_key=True),
    "s3-vectors": RagDesign(store="s3-vectors"),
}


def _rotating_key(client: Client, purpose: str) -> str:
    kms = client("kms")
    arn = str(kms.create_key(Description=purpose)["KeyMetadata"]["Arn"])
    kms.enable_key_rotation(KeyId=arn)
    return arn


def _collection(client: Client, design: RagDesign, key_arn: str) -> dict[str, Any]:
    aoss, name = client("opensearchserverless"), "labcheck-rag"
    rules = [{"ResourceType": "collection", "Resource": [f"collection/{name}"]}]
    network = [{"Rules": rules, "AllowFromPublic": False, "SourceServices": ["bedrock.amazonaws.com"]}]
    aoss.create_security_policy(name=f"{name}-net", type="network", policy=json.dumps(network))
    # moto copies KmsARN to the collection verbatim (and needs it); AWS answers "auto" for its own key
    encryption = {"Rules": rules, "AWSOwnedKey": design.aws_owned_key}
    encryption["KmsARN"] = "auto" if design.aws_owned_key else key_arn
    aoss.create_security_policy(name=f"{name}-enc", type="encryption", policy=json.dumps(encryption))
    arn = aoss.create_collection(name=name, type="VECTORSEARCH", standbyReplicas="DISABLED")["createCollectionDetail"]
    fields = {"vectorField": "vector", "textField": "AMAZON_BEDROCK_TEXT_CHUNK", "metadataField": "METADATA"}
    config = {"collectionArn": arn["arn"], "vectorIndexName": "kb-index", "fieldMapping": fields}
    return {"type": "OPENSEARCH_SERVERLESS", "opensearchServerlessConfiguration": config}


def _vector_index(client: Client, key_arn: str) -> dict[str, Any]:
    s3vectors = client("s3vectors")
    encryption = {"sseType": "aws:kms", "kmsKeyArn": key_arn}
    s3vectors.create_vector_bucket(vectorBucketName="labcheck-rag-vectors", encryptionConfiguration=encryption)
    s3vectors.create_index(
        vectorBucketName="labcheck-rag-vectors",
        indexName="kb-index",
        dataType="float32",
        dimension=1024,
        distanceMetric="cosine",
    )
    index = s3vectors.get_index(vectorBucketName="labcheck-rag-vectors", indexName="kb-index")["index"]
    return {"type": "S3_VECTORS", "s3VectorsConfiguration": {"indexArn": index["indexArn"]}}


def _kb_role(client: Client, account: str, design: RagDesign, key_arn: str) -> str:
    trust = {
        "Effect": "Allow",
        "Principal": {"Service": "bedrock.amazonaws.com"},
        "Action": "sts:AssumeRole",
        "Condition": {
            "StringEquals": {"aws:SourceAccount": account},
            "ArnLike": {"aws:SourceArn": f"arn:aws:bedrock:{REGION}:{account}:knowledge-base/*"},
        },
    }
    iam = client("iam")
    role = iam.create_role(RoleName=KB_ROLE, AssumeRolePolicyDocument=document(trust))["Role"]
    embed = {"Effect": "Allow", "Action": "bedrock:InvokeModel", "Resource": TITAN_V2}
    keys = {"Effect": "Allow", "Action": ["kms:Decrypt", "kms:GenerateDataKey"], "Resource": key_arn}
    iam.put_role_policy(RoleName=KB_ROLE, PolicyName="embed", PolicyDocument=document(embed))
    if design.managed_policy:
        policy = iam.create_policy(PolicyName="labcheck-rag-keys", PolicyDocument=document(keys))["Policy"]
        iam.attach_role_policy(RoleName=KB_ROLE, PolicyArn=policy["Arn"])
    else:
        iam.put_role_policy(RoleName=KB_ROLE, PolicyName="keys", PolicyDocument=document(keys))
    return str(role["Arn"])


def deploy_rag(client: Client, account: str, design: RagDesign) -> None:
    """The tagged knowledge base, its role and vector store; moto holds no data source, so no source bucket."""
    key_arn = _rotating_key(client, "labcheck-rag")
    storage = _collection(client, design, key_arn) if design.store == "oss" else _vector_index(client, key_arn)
    client("bedrock-agent").create_knowledge_base(
        name="labcheck-rag",
        roleArn=_kb_role(client, account, design, key_arn),
        knowledgeBaseConfiguration={
            "type": "VECTOR",
            "vectorKnowledgeBaseConfiguration": {"embeddingModelArn": TITAN_V2},
        },
        storageConfiguration=storage,
        tags={"labcheck-lab": RAG.id},
    )


# --- aws-bedrock-rag-kb: what each check reads on each deployment -----------------------------------

KB = frozenset({"bedrock:ListKnowledgeBases", "bedrock:GetKnowledgeBase", "bedrock:ListTagsForResource"})
KEY = frozenset({"kms:DescribeKey", "kms:GetKeyRotationStatus"})
SECURITY = frozenset({"aoss:ListSecurityPolicies", "aoss:GetSecurityPolicy"})
INLINE = frozenset({"iam:ListRolePolicies", "iam:GetRolePolicy", "iam:ListAttachedRolePolicies"})
MANAGED = frozenset({"iam:GetPolicy", "iam:GetPolicyVersion"})
COLLECTION = frozenset({"aoss:BatchGetCollection"})
LIST_SOURCES = frozenset({"bedrock:ListDataSources"})  # moto: HTTP 500, so every source check stops there
DATA_SOURCE_CHECKS = (
    "data-source-s3-scoped",
    "data-source-transient-cmk",
    "chunking-explicit",
    "source-bucket-encrypted-cmk",
    "source-bucket-private-tls",
    "ingestion-complete",
)
OSS_CHECKS = ("oss-collection-encrypted-cmk", "oss-network-private", "oss-data-access-least-privilege")

_RAG_REFERENCE = {
    "kb-active-vector": KB,
    "kb-role-trust-confused-deputy": KB | {"iam:GetRole"},
    "kb-role-least-privilege": KB | INLINE | LIST_SOURCES,  # the role's policies, then the data sources
    **dict.fromkeys(DATA_SOURCE_CHECKS, KB | LIST_SOURCES),
    "oss-collection-encrypted-cmk": KB | COLLECTION | KEY,
    "oss-network-private": KB | COLLECTION | SECURITY,
    "oss-data-access-least-privilege": KB | COLLECTION | {"aoss:ListAccessPolicies"},  # moto: HTTP 500
    "s3vectors-encrypted-cmk": KB,  # not applicable on the OpenSearch track
}
RAG_READS: dict[str, dict[str, frozenset[str]]] = {
    "reference": _RAG_REFERENCE,
    "managed-policy": _RAG_REFERENCE | {"kb-role-least-privilege": KB | INLINE | MANAGED | LIST_SOURCES},
    # without a CMK there is no key to describe; the security policies explain where the key came from
    "aws-owned-key": _RAG_REFERENCE | {"oss-collection-encrypted-cmk": KB | COLLECTION | SECURITY},
    "s3-vectors": _RAG_REFERENCE
    | dict.fromkeys(OSS_CHECKS, KB)
    | {"s3vectors-encrypted-cmk": KB | {"s3vectors:GetVectorBucket", "s3vectors:GetIndex"} | KEY},
}


# --- aws-bedrock-guardrails-finops: deployments -----------------------------------------------------


@dataclass(frozen=True)
class FinopsDesign:
    """What moto can hold of the reference (app, role, topic, budget, alarms), or a variant of it."""

    token_alarm_per_model: bool = False  # a ModelId dimension: the token check then reads the profile
    budget_alerts: bool = True  # without notifications nothing reads budget subscribers (moto lacks that API)


FINOPS_DESIGNS = {
    "reference": FinopsDesign(),
    "alarm-per-model": FinopsDesign(token_alarm_per_model=True),
    "budget-without-alerts": FinopsDesign(budget_alerts=False),
}
PROFILE = "application-inference-profile/labcheck-finops"
ALERTS = "learner@example.com"


def _zip() -> bytes:
    import io
    import zipfile

    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as files:
        files.writestr("app.py", "def handler(event, context):\n    return None\n")
    return archive.getvalue()


def _finops_app(client: Client, account: str) -> None:
    trust = {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
    iam = client("iam")
    role = iam.create_role(RoleName="labcheck-finops-app", AssumeRolePolicyDocument=document(trust))
    guardrail = f"arn:aws:bedrock:{REGION}:{account}:guardrail/labcheckgr01:1"
    invoke = {
        "Effect": "Allow",
        "Action": "bedrock:InvokeModel",
        "Resource": f"arn:aws:bedrock:{REGION}:{account}:{PROFILE}",
        "Condition": {"StringEquals": {"bedrock:GuardrailIdentifier": guardrail}},
    }
    iam.put_role_policy(RoleName="labcheck-finops-app", PolicyName="invoke", PolicyDocument=document(invoke))
    client("lambda").create_function(
        FunctionName="labcheck-finops-app",
        Runtime="python3.12",
        Role=role["Role"]["Arn"],
        Handler="app.handler",
        Code={"ZipFile": _zip()},
        Tags={"labcheck-lab": FINOPS.id},
    )


def _finops_budget(client: Client, account: str, design: FinopsDesign, topic: str) -> None:
    subscribers = [{"SubscriptionType": "SNS", "Address": topic}]
    alerts = [
        {
            "Notification": {"NotificationType": kind, "ComparisonOperator": "GREATER_THAN", "Threshold": threshold},
            "Subscribers": subscribers,
        }
        for kind, threshold in (("ACTUAL", 80.0), ("FORECASTED", 100.0))
    ]
    client("budgets").create_budget(
        AccountId=account,
        Budget={
            "BudgetName": "labcheck-finops",
            "BudgetLimit": {"Amount": "20", "Unit": "USD"},
            "CostFilters": {"Service": ["Amazon Bedrock"]},
            "TimeUnit": "MONTHLY",
            "BudgetType": "COST",
        },
        NotificationsWithSubscribers=alerts if design.budget_alerts else [],
    )


def _finops_alarms(client: Client, account: str, design: FinopsDesign, topic: str) -> None:
    cloudwatch = client("cloudwatch")
    per_model = [{"Name": "ModelId", "Value": f"arn:aws:bedrock:{REGION}:{account}:{PROFILE}"}]
    common = {"EvaluationPeriods": 1, "ComparisonOperator": "GreaterThanThreshold", "AlarmActions": [topic]}
    cloudwatch.put_metric_alarm(
        AlarmName="labcheck-finops-tokens",
        Namespace="AWS/Bedrock",
        MetricName="InputTokenCount",
        Dimensions=per_model if design.token_alarm_per_model else [],
        Statistic="Sum",
        Period=3600,
        Threshold=200000,
        **common,
    )
    cloudwatch.put_metric_alarm(
        AlarmName="labcheck-finops-interventions",
        Namespace="AWS/Bedrock/Guardrails",
        MetricName="InvocationsIntervened",
        Statistic="Sum",
        Period=300,
        Threshold=5,
        **common,
    )


def deploy_finops(client: Client, account: str, design: FinopsDesign) -> None:
    """The tagged app and its role, the alert topic, the Bedrock budget and the two alarms."""
    _finops_app(client, account)
    sns = client("sns")
    topic = sns.create_topic(Name="labcheck-finops-alerts")["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="email", Endpoint=ALERTS)
    _finops_budget(client, account, design, topic)
    _finops_alarms(client, account, design, topic)


# --- aws-bedrock-guardrails-finops: what each check reads on each deployment ------------------------

LIST_GUARDRAILS = frozenset({"bedrock:ListGuardrails"})  # moto: HTTP 500, the guardrail checks stop there
LIST_PROFILES = frozenset({"bedrock:ListInferenceProfiles"})  # moto: HTTP 500
ALARMS = frozenset({"cloudwatch:DescribeAlarms"})
BUDGETS = frozenset({"budgets:ViewBudget"})  # moto lacks DescribeSubscribersForNotification (HTTP 500)
GUARDRAIL_CHECKS = (
    "guardrail-published",
    "guardrail-content-filters",
    "guardrail-prompt-attack",
    "guardrail-pii",
    "guardrail-enforced",
    "guardrail-encrypted-cmk",
)

_FINOPS_REFERENCE = {
    **dict.fromkeys(GUARDRAIL_CHECKS, LIST_GUARDRAILS),
    "app-uses-tagged-inference-profile": LIST_PROFILES,
    "model-choice-cost-efficient": LIST_PROFILES,
    "cost-allocation-tag-active": frozenset({"ce:ListCostAllocationTags"}),  # moto: HTTP 500
    "bedrock-budget-alerts": BUDGETS,
    "token-usage-alarm": ALARMS | {"cloudwatch:ListMetrics"},  # it passes, then reads the evidence
    "guardrail-intervention-alarm": ALARMS,
    "alerts-deliverable": ALARMS | BUDGETS,  # stopped by the budget's subscribers, before SNS
    "no-provisioned-throughput": frozenset({"bedrock:ListProvisionedModelThroughputs"}),  # moto: HTTP 500
}
FINOPS_READS: dict[str, dict[str, frozenset[str]]] = {
    "reference": _FINOPS_REFERENCE,
    "alarm-per-model": _FINOPS_REFERENCE | {"token-usage-alarm": ALARMS | LIST_PROFILES},
    "budget-without-alerts": _FINOPS_REFERENCE
    | {"alerts-deliverable": ALARMS | BUDGETS | {"sns:ListSubscriptionsByTopic"}},
}

# --- the actions no check reaches in moto, and the missing APIs that stop every check declaring them --

_AFTER_SOURCES = "the source bucket is named by the data source, and moto 5.2.5 holds none (ListDataSources: 500)"
_AFTER_ANCHORS = "read after the guardrail or inference-profile anchor, and moto 5.2.5 lacks both lists (HTTP 500)"
NEVER_REACHED: dict[str, dict[str, tuple[frozenset[str], str]]] = {
    RAG.id: {
        "bedrock:GetDataSource": (LIST_SOURCES, "read per listed data source; moto 5.2.5 lists none (HTTP 500)"),
        "bedrock:ListIngestionJobs": (LIST_SOURCES, "read per data source; moto 5.2.5 lists none (HTTP 500)"),
        "aoss:GetAccessPolicy": (
            frozenset({"aoss:ListAccessPolicies"}),
            "read per listed data-access policy; moto 5.2.5 lacks ListAccessPolicies (HTTP 500)",
        ),
        "s3:GetEncryptionConfiguration": (LIST_SOURCES, _AFTER_SOURCES),
        "s3:GetBucketPublicAccessBlock": (LIST_SOURCES, _AFTER_SOURCES),
        "s3:GetAccountPublicAccessBlock": (LIST_SOURCES, _AFTER_SOURCES),
        "s3:GetBucketPolicy": (LIST_SOURCES, _AFTER_SOURCES),
    },
    FINOPS.id: {
        **dict.fromkeys(
            ("bedrock:GetGuardrail", "bedrock:ListEnforcedGuardrailsConfiguration", *sorted(KEY)),
            (LIST_GUARDRAILS, "read for the lab guardrail, whose discovery moto 5.2.5 lacks (ListGuardrails: 500)"),
        ),
        **dict.fromkeys(
            (
                "bedrock:ListTagsForResource",
                "bedrock:GetInferenceProfile",
                *sorted(INLINE | MANAGED),
                "lambda:ListFunctions",
                "lambda:ListTags",
                "lambda:GetFunctionConfiguration",
            ),
            (LIST_GUARDRAILS | LIST_PROFILES, _AFTER_ANCHORS),
        ),
    },
}
READS = {RAG.id: RAG_READS, FINOPS.id: FINOPS_READS}


# --- the proof's setup ------------------------------------------------------------------------------


@dataclass
class LabProof:
    """One lab on the enforcing server: its deployments, graders and the runs every test compares with."""

    lab: Lab
    policy: dict[str, Any]
    accounts: dict[str, str] = field(default_factory=dict)
    unenforced: dict[str, Run] = field(default_factory=dict)  # assumed-role keys, enforcement off
    graders: dict[str, dict[str, str]] = field(default_factory=dict)  # deployment -> env of the full policy
    full: dict[str, Run] = field(default_factory=dict)  # the generated policy, enforcement on
    minus: dict[tuple[str, str], dict[str, str]] = field(default_factory=dict)  # (deployment, action) -> env


def _deploy(url: str, lab: Lab, designs: dict[str, Any], deploy: Callable[[Client, str, Any], None]) -> LabProof:
    """Every design in a fresh account, graded once unenforced, with a grader per policy (enforcement off)."""
    proof = LabProof(lab, dict(permissions.iam_policy([lab])))
    for name, design in designs.items():
        account = new_account()
        admin = account_session(url, account, REGION)
        deploy(client_factory(url, admin), account, design)
        proof.accounts[name] = account
        proof.unenforced[name] = run_in_process(verify_args(lab), account_env(url, admin))
        grader = create_grader(url, account, REGION, proof.policy, "grader-full", admin=admin)
        proof.graders[name] = account_env(url, grader)
        for number, action in enumerate(permissions.actions([lab])):
            grader = create_grader(url, account, REGION, without(proof.policy, action), f"grader-{number}", admin=admin)
            proof.minus[name, action] = account_env(url, grader)
    return proof


@pytest.fixture(scope="module")
def proofs() -> Iterator[dict[str, LabProof]]:
    with start_server() as server:
        rag = _deploy(server.url, RAG, RAG_DESIGNS, deploy_rag)
        finops = _deploy(server.url, FINOPS, FINOPS_DESIGNS, deploy_finops)
        set_enforcement(server.url, True)
        for proof in (rag, finops):
            proof.full = {name: run_in_process(verify_args(proof.lab), env) for name, env in proof.graders.items()}
        yield {RAG.id: rag, FINOPS.id: finops}


DEPLOYMENTS = [(lab_id, name) for lab_id, reads in READS.items() for name in reads]
REMOVALS = [(lab_id, name, a) for lab_id, name in DEPLOYMENTS for a in permissions.actions([LABS[lab_id]])]


# --- the tables are about these labs ----------------------------------------------------------------


@pytest.mark.parametrize("lab_id", LABS)
def test_the_reads_tables_stay_within_the_declarations(lab_id):
    lab, reads = LABS[lab_id], READS[lab_id]
    declared = {c.id: set(c.spec.permissions) for c in lab.checks}
    for table in reads.values():
        assert set(table) == set(declared)
        assert {c: set(a) - declared[c] for c, a in table.items() if set(a) - declared[c]} == {}
    reached = {a for table in reads.values() for actions in table.values() for a in actions}
    assert sorted(reached | set(NEVER_REACHED[lab_id])) == permissions.actions([lab])
    assert reached.isdisjoint(NEVER_REACHED[lab_id])


@pytest.mark.parametrize("lab_id", LABS)
def test_the_policy_is_one_read_only_statement_on_every_resource(lab_id):
    lab = LABS[lab_id]
    (statement,) = permissions.iam_policy([lab])["Statement"]  # type: ignore[misc]
    assert statement["Effect"] == "Allow"
    assert statement["Resource"] == "*"
    assert statement["Action"] == permissions.actions([lab])
    assert all(
        a.split(":", 1)[1].startswith(("Get", "List", "Describe", "BatchGet", "View")) for a in statement["Action"]
    )


# --- sufficient ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("lab_id", "deployment"), DEPLOYMENTS)
def test_the_generated_policy_is_sufficient(proofs, lab_id, deployment):
    proof = proofs[lab_id]
    run = proof.full[deployment]
    assert "Traceback" not in run.stderr, run.stderr
    assert denied(run.results()) == {}
    assert run.document()["identity"]["account"] == proof.accounts[deployment]
    assert run.statuses() == proof.unenforced[deployment].statuses()
    assert run.code == proof.unenforced[deployment].code


def test_the_rag_deployments_are_what_they_claim(proofs):
    full = {name: run.results() for name, run in proofs[RAG.id].full.items()}
    graded = (
        "kb-active-vector",
        "kb-role-trust-confused-deputy",
        "oss-collection-encrypted-cmk",
        "oss-network-private",
    )
    assert {c: full["reference"][c]["status"] for c in graded} == dict.fromkeys(graded, "pass")
    owned = full["aws-owned-key"]["oss-collection-encrypted-cmk"]
    assert owned["status"] == "fail"
    assert "encryption policy labcheck-rag-enc sets AWSOwnedKey = true" in owned["message"]
    vectors = full["s3-vectors"]
    assert vectors["s3vectors-encrypted-cmk"]["status"] == "pass", vectors["s3vectors-encrypted-cmk"]
    assert {vectors[c]["status"] for c in OSS_CHECKS} == {"skip"}
    for results in full.values():
        for check_id in (*DATA_SOURCE_CHECKS, "kb-role-least-privilege"):
            assert results[check_id]["message"] == "bedrock:ListDataSources failed: 500"


def test_the_finops_deployments_are_what_they_claim(proofs):
    full = {name: run.results() for name, run in proofs[FINOPS.id].full.items()}
    for check_id in ("token-usage-alarm", "guardrail-intervention-alarm"):
        assert full["reference"][check_id]["status"] == "pass", full["reference"][check_id]
    assert full["reference"]["bedrock-budget-alerts"]["message"] == "budgets:ViewBudget failed: 500"
    assert full["alarm-per-model"]["token-usage-alarm"]["message"] == "bedrock:ListInferenceProfiles failed: 500"
    quiet = full["budget-without-alerts"]
    assert quiet["bedrock-budget-alerts"]["status"] == "fail"
    assert quiet["alerts-deliverable"]["status"] in ("pass", "fail")  # graded: SNS was read
    assert "labcheck-finops-alerts" in quiet["alerts-deliverable"]["message"]


# --- honest -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("lab_id", "deployment", "action"), REMOVALS)
def test_removing_an_action_errors_exactly_the_checks_that_read_it(proofs, lab_id, deployment, action):
    proof = proofs[lab_id]
    expected = {c for c, reads in READS[lab_id][deployment].items() if action in reads}
    run = run_in_process(verify_args(proof.lab), proof.minus[deployment, action])
    results, full = run.results(), proof.full[deployment]
    erred = {i for i, r in results.items() if r["status"] == "error" and i in denied(results, action)}
    assert erred == expected, {i: results[i]["message"] for i in erred ^ expected}
    assert set(denied(results)) == erred  # no other action is reported denied
    unchanged = {i: s for i, s in full.statuses().items() if i not in erred}
    assert {i: r["status"] for i, r in results.items() if i not in erred} == unchanged
    for check_id in erred:
        assert results[check_id]["hint"] == f"Allow {action} for the identity labcheck runs as."
    assert run.code == (2 if any(results[i]["severity"] == "required" for i in erred) else full.code), run.stderr


@pytest.mark.parametrize("lab_id", LABS)
def test_every_check_declaring_a_never_reached_action_is_stopped_by_a_missing_api(proofs, lab_id):
    """The other side of NEVER_REACHED: each declaring check reads it only after an API moto lacks."""
    proof = proofs[lab_id]
    for action, (missing, reason) in NEVER_REACHED[lab_id].items():
        assert reason
        for check_id in declaring(proof.lab, action):
            stops = {run.results()[check_id]["message"] for run in proof.full.values()}
            assert stops & {f"{api} failed: 500" for api in missing}, (action, check_id, stops)


# --- the moto fixes of iam_proof --------------------------------------------------------------------


def test_aws_action_renames_only_cloudwatch_and_budgets_reads():
    assert aws_action("monitoring:DescribeAlarms") == "cloudwatch:DescribeAlarms"
    assert aws_action("monitoring:ListMetrics") == "cloudwatch:ListMetrics"
    for operation in ("DescribeBudgets", "DescribeNotificationsForBudget", "DescribeSubscribersForNotification"):
        assert aws_action(f"budgets:{operation}") == "budgets:ViewBudget"
    for unchanged in ("budgets:CreateBudget", "sns:ListSubscriptionsByTopic", "bedrock:ListGuardrails"):
        assert aws_action(unchanged) == unchanged


STOCK_DENIALS = {
    "token-usage-alarm": "cloudwatch:DescribeAlarms",  # moto checked monitoring:DescribeAlarms
    "guardrail-intervention-alarm": "cloudwatch:DescribeAlarms",
    "alerts-deliverable": "cloudwatch:DescribeAlarms",
    "bedrock-budget-alerts": "budgets:ViewBudget",  # moto checked budgets:DescribeBudgets
}


def test_stock_moto_denies_the_finops_policy_its_alarms_and_budgets_and_has_no_s3_vectors_knowledge_base():
    """moto_auth's server without iam_proof's patches: what those patches are for."""
    with start_enforcing_server() as server:
        account = new_account()
        admin = account_session(server.url, account, REGION)
        deploy_finops(client_factory(server.url, admin), account, FINOPS_DESIGNS["reference"])
        with pytest.raises(ClientError) as refused:
            deploy_rag(client_factory(server.url, admin), account, RAG_DESIGNS["s3-vectors"])
        assert refused.value.response["Error"]["Code"] == "ValidationException"
        policy = permissions.iam_policy([FINOPS])
        grader = create_grader(server.url, account, REGION, policy, "grader-stock", admin=admin)
        set_enforcement(server.url, True)
        run = run_in_process(verify_args(FINOPS), account_env(server.url, grader))
    results = run.results()
    assert set(denied(results)) == set(STOCK_DENIALS)
    for check_id, action in STOCK_DENIALS.items():
        assert check_id in denied(results, action), results[check_id]
