"""Least-privilege, read-only grader policies generated from the permissions the checks declare.

The declarations are the single source: the same tuples the checks carry (and the tests prove both
sufficient and honest) become an IAM policy, its Terraform form, or a cross-account grader role.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from labcheck.catalog import Lab

POLICY_SID = "LabcheckReadOnly"
GRADER_ROLE = "labcheck-grader"


AZURE_ROLE_NAME = "labcheck reader"


def actions(labs: Iterable[Lab]) -> list[str]:
    """Every action the labs' checks declare, sorted and unique."""
    return sorted({action for lab in labs for each in lab.checks for action in each.spec.permissions})


def iam_policy(labs: Iterable[Lab]) -> dict[str, object]:
    """The read-only IAM policy document that lets labcheck evaluate every check of the labs."""
    return {
        "Version": "2012-10-17",
        "Statement": [{"Sid": POLICY_SID, "Effect": "Allow", "Action": actions(labs), "Resource": "*"}],
    }


def iam_policy_json(labs: Iterable[Lab]) -> str:
    """The policy as JSON text."""
    return json.dumps(iam_policy(labs), indent=2) + "\n"


def _hcl_list(items: list[str], indent: str) -> str:
    inner = "".join(f'{indent}  "{item}",\n' for item in items)
    return f"[\n{inner}{indent}]"


def terraform_policy(labs: list[Lab]) -> str:
    """The policy as a Terraform data source and an aws_iam_policy a learner or instructor can apply."""
    names = ", ".join(lab.id for lab in labs)
    return (
        f"# Read-only permissions labcheck needs to grade: {names}\n"
        'data "aws_iam_policy_document" "labcheck_read_only" {\n'
        "  statement {\n"
        f'    sid       = "{POLICY_SID}"\n'
        f"    actions   = {_hcl_list(actions(labs), '    ')}\n"
        '    resources = ["*"]\n'
        "  }\n"
        "}\n\n"
        'resource "aws_iam_policy" "labcheck_read_only" {\n'
        '  name        = "labcheck-read-only"\n'
        '  description = "Read-only access for labcheck graders"\n'
        "  policy      = data.aws_iam_policy_document.labcheck_read_only.json\n"
        "}\n"
    )


def terraform_grader_role(labs: list[Lab]) -> str:
    """A cross-account grader role for learner accounts: trusts the instructor account with an ExternalId."""
    return (
        terraform_policy(labs) + "\n" + 'variable "instructor_account_id" {\n'
        '  description = "The AWS account the instructor grades from"\n'
        "  type        = string\n"
        "}\n\n"
        'variable "external_id" {\n'
        '  description = "The ExternalId the instructor gave you; it goes in the roster as external_id"\n'
        "  type        = string\n"
        "}\n\n"
        'data "aws_iam_policy_document" "labcheck_grader_trust" {\n'
        "  statement {\n"
        '    actions = ["sts:AssumeRole"]\n'
        "    principals {\n"
        '      type        = "AWS"\n'
        '      identifiers = ["arn:aws:iam::${var.instructor_account_id}:root"]\n'
        "    }\n"
        "    condition {\n"
        '      test     = "StringEquals"\n'
        '      variable = "sts:ExternalId"\n'
        "      values   = [var.external_id]\n"
        "    }\n"
        "  }\n"
        "}\n\n"
        'resource "aws_iam_role" "labcheck_grader" {\n'
        f'  name                 = "{GRADER_ROLE}"\n'
        "  assume_role_policy   = data.aws_iam_policy_document.labcheck_grader_trust.json\n"
        "  max_session_duration = 3600\n"
        "}\n\n"
        'resource "aws_iam_role_policy_attachment" "labcheck_grader" {\n'
        "  role       = aws_iam_role.labcheck_grader.name\n"
        "  policy_arn = aws_iam_policy.labcheck_read_only.arn\n"
        "}\n\n"
        'output "grader_role_arn" {\n'
        "  value = aws_iam_role.labcheck_grader.arn\n"
        "}\n"
    )


def azure_role_definition(labs: list[Lab]) -> dict[str, object]:
    """An Azure custom role with exactly the read actions the labs' checks declare."""
    return {
        "Name": AZURE_ROLE_NAME,
        "IsCustom": True,
        "Description": f"Read-only access for labcheck to grade: {', '.join(lab.id for lab in labs)}",
        "Actions": actions(labs),
        "NotActions": [],
        "DataActions": [],
        "NotDataActions": [],
        "AssignableScopes": ["/subscriptions/<subscription-id>"],
    }


def azure_role_json(labs: list[Lab]) -> str:
    """The role definition as JSON text (for `az role definition create --role-definition @file`)."""
    return json.dumps(azure_role_definition(labs), indent=2) + "\n"


def terraform_azure_role(labs: list[Lab]) -> str:
    """The custom role as Terraform, assignable to a learner's resource group."""
    return (
        f"# Read-only permissions labcheck needs to grade: {', '.join(lab.id for lab in labs)}\n"
        'variable "resource_group_id" {\n'
        '  description = "The resource group labcheck grades (assign the role there)"\n'
        "  type        = string\n"
        "}\n\n"
        'resource "azurerm_role_definition" "labcheck_reader" {\n'
        f'  name        = "{AZURE_ROLE_NAME}"\n'
        "  scope       = var.resource_group_id\n"
        '  description = "Read-only access for labcheck graders"\n'
        "  permissions {\n"
        f"    actions = {_hcl_list(actions(labs), '    ')}\n"
        "  }\n"
        "  assignable_scopes = [var.resource_group_id]\n"
        "}\n"
    )
