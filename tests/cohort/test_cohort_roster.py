"""Roster validation: every bad row named at once, in one line, before anything is graded (exit 2)."""

from __future__ import annotations

import pytest
from cohort_helpers import LAB, run_cli

from labcheck.catalog import get_lab
from labcheck.cohort.roster import load_roster
from labcheck.errors import UsageError

ARN = "arn:aws:iam::111111111111:role/labcheck-grader"
HEADER = "id,name,email,role_arn,external_id,region"


def row(learner_id, arn=ARN):
    return f"{learner_id},Name {learner_id},{learner_id or 'someone'}@example.edu,{arn},cohort-7,eu-central-1"


def write(tmp_path, text, name="roster.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding) if isinstance(text, str) else text)
    return path


def problem(tmp_path, text, name="roster.csv"):
    with pytest.raises(UsageError) as caught:
        load_roster(write(tmp_path, text, name), get_lab(LAB))
    return str(caught.value)


def test_a_csv_roster_with_lab_inputs(tmp_path):
    text = (
        "\ufeffid,name,email,role_arn,external_id,region,min_endpoint_azs,input.approved_model_ids\n"
        f'ana,Ana,ana@example.edu,{ARN},cohort-7,eu-central-1,3,"m1, m2"\n'
        "\n"
        f"ben,Ben,,{ARN},,us-east-1,,\n"
    )
    ana, ben = load_roster(write(tmp_path, text), get_lab(LAB))
    assert (ana.id, ana.row, ana.index, ana.external_id) == ("ana", 2, 0, "cohort-7")
    assert ana.inputs == {"min_endpoint_azs": 3, "approved_model_ids": ["m1", "m2"]}
    assert (ben.row, ben.index, ben.region, ben.inputs) == (4, 1, "us-east-1", {})


def test_a_yaml_roster_with_nested_inputs_and_a_profile(tmp_path):
    text = f"""
learners:
  - id: ana
    role_arn: {ARN}
    external_id: cohort-7
    region: eu-central-1
    inputs:
      min_endpoint_azs: 3
      approved_model_ids: [m1, m2]
  - id: 42
    profile: learner-42
"""
    ana, other = load_roster(write(tmp_path, text, "roster.yaml"), get_lab(LAB))
    assert ana.inputs == {"min_endpoint_azs": 3, "approved_model_ids": ["m1", "m2"]}
    assert (other.id, other.profile, other.row) == ("42", "learner-42", 2)


def test_a_long_role_name_is_not_mistaken_for_a_secret(tmp_path):
    arn = "arn:aws:iam::111111111111:role/GraderRoleForTheSpringCohortOf2025L"
    [learner] = load_roster(write(tmp_path, f"{HEADER}\n{row('ana', arn)}\n"), get_lab(LAB))
    assert learner.role_arn == arn


def test_azure_fields_are_checked_for_shape_only(tmp_path):
    header = HEADER + ",subscription_id,tenant_id,resource_group"
    good = row("ana") + ",0b1f6471-1bf0-4dda-aec3-cb9272f09590,contoso.onmicrosoft.com,rg-lab_1"
    bad = row("ben") + ",not-a-guid,x,bad/group"
    message = problem(tmp_path, f"{header}\n{good}\n{bad}\n")
    assert "row 2" not in message
    assert "row 3: subscription_id is not an Azure subscription id" in message
    assert "tenant_id is not an Azure tenant id" in message
    assert "resource_group is not an Azure resource group name" in message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "roster.csv: the roster is empty"),
        ("  \n\n", "roster.csv: the roster is empty"),
        (HEADER + "\n", "roster.csv: the roster has no learners"),
        ("name,email\nAna,ana@example.edu\n", "roster.csv: no id column (the header has: name, email)"),
        (f"{HEADER}\n{row('')}\n{row('ben')}\n{row('')}\n", "roster.csv: row 2: id is empty; row 4: id is empty"),
        (
            f"{HEADER}\n{row('ana')}\n{row('ben')}\n{row('Ana')}\n{row('ben')}\n",
            "roster.csv: row 4: duplicate id 'Ana' (also row 2); row 5: duplicate id 'ben' (also row 3)",
        ),
        (
            f"{HEADER}\n{row('ana', 'arn:aws:iam::1111:role/x')}\n{row('ben', 'arn:aws:iam::111111111111:user/x')}\n",
            "roster.csv: row 2: role_arn is not an IAM role ARN (arn:aws:iam::<12-digit account>:role/<name>); "
            "row 3: role_arn is not an IAM role ARN",
        ),
        (
            f"{HEADER},team\n{row('ana')},blue\n",
            "roster.csv: unknown column 'team' (known: id, name, email, role_arn, external_id, region, profile",
        ),
        (f"{HEADER}\n{row('ana')},extra\n", "roster.csv: row 2: 7 cells but the header has 6 columns"),
        (f"{HEADER}\nana/../x,A,a@b.co,{ARN},e1,eu-central-1\n", "row 2: id 'ana/../x' must be 1-128 letters"),
        ("id,name\nana,Ana\n", "row 2: no role_arn or profile to reach the learner's AWS account"),
        (f"{HEADER}\nana,A,not-an-email,{ARN},e1,mars-1\n", "row 2: email is not an email address, region is not"),
        (f"{HEADER},min_endpoint_azs\n{row('ana')},two\n", "row 2: input min_endpoint_azs takes a whole number"),
    ],
)
def test_bad_csv_rosters(tmp_path, text, expected):
    assert expected in problem(tmp_path, text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            f"id,role_arn,aws_secret_access_key\nana,{ARN},x\n",
            "column 'aws_secret_access_key' would hold a secret: rosters carry references only",
        ),
        (f"id,role_arn,password\nana,{ARN},x\n", "column 'password' would hold a secret"),
        (
            f"{HEADER}\nana,A,a@b.co,{ARN},AKIAIOSFODNN7EXAMPLE,eu-central-1\n",
            "row 2: external_id holds what looks like an AWS access key id (AKIA…/ASIA…)",
        ),
        (
            f"{HEADER}\nana,ASIAIOSFODNN7EXAMPLE,a@b.co,{ARN},e1,eu-central-1\n",
            "row 2: name holds what looks like an AWS access key id",
        ),
        (
            f"{HEADER}\nana,A,a@b.co,{ARN},wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY,eu-central-1\n",
            "row 2: external_id holds a 40-character string shaped like an AWS secret access key",
        ),
    ],
)
def test_inline_secrets_are_refused(tmp_path, text, expected):
    message = problem(tmp_path, text)
    assert expected in message
    assert "EXAMPLE" not in message  # the refused value is never echoed


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("learners: {id: ana}\n", "expected a list of learners"),
        ("- id: ana\n  role_arn: [unclosed\n", "roster.yaml: not valid YAML (line 3, column 1: expected ',' or ']'"),
        ("- plain text\n", "row 1: a learner is a mapping of fields, not str"),
        (f"- id: ana\n  role_arn: {ARN}\n  team: blue\n", "row 1: unknown column 'team'"),
        (f"- id: ana\n  role_arn: {ARN}\n  token: abc\n", "row 1: column 'token' would hold a secret"),
        (f"- id: ana\n  role_arn: {ARN}\n  inputs: [1]\n", "row 1: inputs must be a mapping"),
        (f"- id: ana\n  role_arn: {ARN}\n  email: {{a: 1}}\n", "row 1: email must be a single value"),
    ],
)
def test_bad_yaml_rosters(tmp_path, text, expected):
    assert expected in problem(tmp_path, text, "roster.yaml")


def test_wrong_encodings_are_named(tmp_path):
    latin = f"{HEADER}\nana,Jos\u00e9,a@b.co,{ARN},e1,eu-central-1\n".encode("latin-1")
    assert "roster.csv: not UTF-8 text (byte 0xe9 on line 2); save it as UTF-8" in problem(tmp_path, latin)
    utf16 = f"{HEADER}\n{row('ana')}\n".encode("utf-16")
    assert "the roster is UTF-16 text; save it as UTF-8" in problem(tmp_path, utf16)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "name\nAna\n",
        f"{HEADER}\n{row('')}\n{row('ana')}\n{row('ana')}\n{row('ben', 'arn:x')}\n",
        f"id,role_arn,aws_secret_access_key\nana,{ARN},x\n",
        f"{HEADER},team\n{row('ana')},x\n",
        "Jos\u00e9".encode("latin-1"),
    ],
    ids=["empty", "missing-id", "several-bad-rows", "secret", "unknown-column", "encoding"],
)
def test_the_command_prints_one_line_and_exits_2_before_grading(tmp_path, text):
    roster = write(tmp_path, text)
    run = run_cli("grade", LAB, "--roster", str(roster), "--out", str(tmp_path / "out"))
    assert run.code == 2
    assert run.stdout == ""
    assert run.stderr.startswith("labcheck: error: roster.csv: ")
    assert run.stderr.count("\n") == 1
    assert "Traceback" not in run.stderr
    assert not (tmp_path / "out").exists()


def test_every_bad_row_is_named_in_the_one_line(tmp_path):
    text = f"{HEADER}\n{row('ana')}\n{row('')}\n{row('ana')}\n{row('cy', 'arn:x')}\n{row('dee')}\n"
    run = run_cli("grade", LAB, "--roster", str(write(tmp_path, text)), "--out", str(tmp_path / "out"))
    line = run.stderr.strip()
    assert line == (
        "labcheck: error: roster.csv: row 3: id is empty; row 4: duplicate id 'ana' (also row 2); "
        "row 5: role_arn is not an IAM role ARN (arn:aws:iam::<12-digit account>:role/<name>)"
    )


def test_a_missing_roster_file(tmp_path):
    run = run_cli("grade", LAB, "--roster", str(tmp_path / "nope.csv"), "--out", str(tmp_path / "out"))
    assert run.code == 2
    assert "cannot read roster" in run.stderr
