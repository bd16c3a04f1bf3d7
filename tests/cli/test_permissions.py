"""`labcheck permissions`: the generated policy is exactly the union of the declared read-only actions."""

import json

import hcl2
import pytest

from labcheck.catalog import all_labs, get_lab
from labcheck.cli import main

LAB = "aws-bedrock-privatelink"


def run(capsys, *argv):
    with pytest.raises(SystemExit) as exit_info:
        main(list(argv))
    out, err = capsys.readouterr()
    return exit_info.value.code, out, err


def declared():
    return {action for each in get_lab(LAB).checks for action in each.spec.permissions}


def test_json_policy_is_the_union_of_declared_actions(capsys):
    code, out, _ = run(capsys, "permissions", LAB)
    assert code == 0
    (statement,) = json.loads(out)["Statement"]
    assert statement["Effect"] == "Allow"
    assert statement["Resource"] == "*"
    assert set(statement["Action"]) == declared()
    assert "s3:GetEncryptionConfiguration" in statement["Action"]  # the IAM name, not the API name


def test_terraform_forms_parse_and_carry_the_same_actions(capsys, tmp_path):
    for extra in ([], ["--grader-role"]):
        code, out, _ = run(capsys, "permissions", LAB, "--format", "terraform", *extra)
        assert code == 0
        (tmp_path / "main.tf").write_text(out)
        with (tmp_path / "main.tf").open() as handle:
            parsed = hcl2.load(handle)
        # python-hcl2 8 keeps the quotes around block labels and strings; 7 does not.
        (document,) = [body for name, body in parsed["data"][0].items() if name.strip('"') == "aws_iam_policy_document"]
        statement = next(iter(document.values()))["statement"][0]
        assert {a.strip('"') for a in statement["actions"]} == declared()
    assert "sts:ExternalId" in out
    assert "aws_iam_role" in out


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["permissions", "nope"], "unknown lab"),
        (["permissions", LAB, "--cloud", "azure"], "not azure labs: aws-bedrock-privatelink"),
        (["permissions", LAB, "--cloud", "gcp"], "--cloud takes aws or azure"),
        (["permissions", LAB, "--format", "yaml"], "--format takes json or terraform"),
    ],
)
def test_bad_input_is_exit_2(capsys, argv, fragment):
    code, _, err = run(capsys, *argv)
    assert code == 2
    assert fragment in err


AZURE_LABS = [lab.id for lab in all_labs().values() if lab.cloud == "azure"]


@pytest.mark.skipif(not AZURE_LABS, reason="no Azure lab in this checkout")
def test_azure_role_definition_holds_exactly_the_declared_read_actions(capsys, tmp_path):
    expected = {action for lab_id in AZURE_LABS for each in get_lab(lab_id).checks for action in each.spec.permissions}
    code, out, _ = run(capsys, "permissions", *AZURE_LABS)
    assert code == 0
    role = json.loads(out)
    assert set(role["Actions"]) == expected
    assert all(action.endswith("/read") for action in role["Actions"])
    assert role["DataActions"] == []
    assert role["NotActions"] == []
    code, out, _ = run(capsys, "permissions", *AZURE_LABS, "--format", "terraform")
    assert code == 0
    (tmp_path / "main.tf").write_text(out)
    with (tmp_path / "main.tf").open() as handle:
        parsed = hcl2.load(handle)
    assert parsed["resource"]
