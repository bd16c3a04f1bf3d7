"""Cohort grading of an Azure lab: one instructor credential, each learner's own subscription and group.

The learners' subscriptions are served by one FakeArm (through `responses`) to the real azure-mgmt clients.
"""

import csv
import json
from pathlib import Path

import pytest

from labcheck.catalog import get_lab
from labcheck.cohort.azure_accounts import AzureAccounts
from labcheck.cohort.gradebook import write_gradebook
from labcheck.cohort.grading import GradeOptions, grade_cohort
from labcheck.cohort.roster import load_roster
from labcheck.errors import UsageError
from labcheck.providers.azure.reader import ReadOnlyPolicy
from labcheck.testing.arm import FAKE_SUBSCRIPTION, FakeArm, FakeCredential, arm_responses

LAB = get_lab("azure-openai-private-endpoint")
ROOT = Path(__file__).resolve().parents[1]
REFERENCE = json.loads((ROOT / "labs" / "azure_openai_private_endpoint" / "reference_arm.json").read_text())
GROUP = "rg-labcheck-aoai"
SUBSCRIPTIONS = {
    "ana": "11111111-1111-1111-1111-111111111111",
    "ben": "22222222-2222-2222-2222-222222222222",
    "cleo": "33333333-3333-3333-3333-333333333333",
    "dev": "44444444-4444-4444-4444-444444444444",
}


def in_subscription(subscription: str) -> dict:
    """The reference deployment, as it would be in another subscription."""
    return json.loads(json.dumps(REFERENCE).replace(FAKE_SUBSCRIPTION, subscription))


def cohort_arm() -> FakeArm:
    arm = FakeArm()
    for learner in ("ana", "ben", "dev"):
        for path, body in in_subscription(SUBSCRIPTIONS[learner]).items():
            arm.set(path, body)
    accounts = (
        f"/subscriptions/{SUBSCRIPTIONS['ben']}/resourceGroups/{GROUP}/providers/Microsoft.CognitiveServices/accounts"
    )
    for body in (arm.routes[accounts.lower()]["value"][0], arm.routes[f"{accounts}/aoai-labcheck-7f3a".lower()]):
        body["properties"]["publicNetworkAccess"] = "Enabled"  # ben left the account public
    arm.deny(f"/subscriptions/{SUBSCRIPTIONS['dev']}/", "Microsoft.CognitiveServices/accounts/read")
    return arm  # cleo's subscription holds nothing at all


def roster(tmp_path: Path) -> Path:
    path = tmp_path / "roster.csv"
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "name", "subscription_id", "resource_group"])
        for learner, subscription in SUBSCRIPTIONS.items():
            writer.writerow([learner, learner.title(), subscription, GROUP])
    return path


def test_each_learner_is_graded_in_their_own_subscription(tmp_path):
    learners = load_roster(roster(tmp_path), LAB)
    accounts = AzureAccounts(FakeCredential(), {"retry_total": 0, "per_call_policies": [ReadOnlyPolicy()]})
    accounts.preflight(learners)
    with arm_responses(cohort_arm()) as arm:
        records = grade_cohort(LAB, learners, accounts, tmp_path / "out", GradeOptions(concurrency=2))
    by_id = {r["learner"]: r for r in records}
    assert by_id["ana"]["status"] == "pass"
    assert by_id["ben"]["status"] == "fail"
    ben = {r["id"]: r["status"] for r in by_id["ben"]["result"]["results"]}
    assert [check for check, status in ben.items() if status != "pass"] == ["aoai-public-network-disabled"]
    assert by_id["cleo"]["status"] == "fail"  # nothing tagged in the group: the tagging hint, not an error
    assert by_id["dev"]["status"] == "error"
    assert "Microsoft.CognitiveServices/accounts/read" in by_id["dev"]["reason"]
    assert {c[0] for c in arm.calls} == {"GET"}
    write_gradebook(tmp_path / "out", records)
    rows = list(csv.DictReader((tmp_path / "out" / "gradebook.csv").open()))
    assert {row["learner"]: row["passed"] for row in rows} == {
        "ana": "true",
        "ben": "false",
        "cleo": "false",
        "dev": "false",
    }


def test_a_row_without_a_subscription_is_refused_before_grading(tmp_path):
    path = tmp_path / "roster.csv"
    path.write_text(f"id,resource_group\nana,{GROUP}\n")
    learners = load_roster(path, LAB)
    with pytest.raises(UsageError, match=r"subscription_id in every roster row; missing in row 2 \(ana\)"):
        AzureAccounts(FakeCredential(), {}).preflight(learners)
