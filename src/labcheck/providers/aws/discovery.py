"""Finding a lab's anchor resources by the `labcheck-lab` tag; everything else is reached by reference."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TypeVar

from labcheck.errors import AmbiguousAnchorError, AnchorNotFoundError
from labcheck.model import LabInputs
from labcheck.providers.aws.view import AwsView, Function, Vpc

LAB_TAG = "labcheck-lab"
LEARNER_TAG = "labcheck-learner"

T = TypeVar("T")


def single_anchor(
    candidates: list[T],
    kind: str,
    lab: LabInputs,
    tags: Callable[[T], Mapping[str, str]],
    name: Callable[[T], str],
) -> T:
    """The one candidate; several are narrowed by the learner tag when a learner_id input is set."""
    learner = lab.values.get("learner_id") or ""
    if len(candidates) > 1 and learner:
        # When none carries the learner tag, the choice stays ambiguous rather than becoming "none found".
        candidates = [c for c in candidates if tags(c).get(LEARNER_TAG) == learner] or candidates
    if not candidates:
        raise AnchorNotFoundError(kind, lab.lab_id)
    if len(candidates) > 1:
        raise AmbiguousAnchorError(kind, lab.lab_id, [name(c) for c in candidates])
    return candidates[0]


def lab_vpc(aws: AwsView, lab: LabInputs) -> Vpc:
    """The VPC tagged for the lab."""
    return single_anchor(aws.tagged_vpcs(LAB_TAG, lab.lab_id), "VPC", lab, lambda v: v.tags, lambda v: v.id)


def lab_function(aws: AwsView, lab: LabInputs) -> Function:
    """The Lambda function tagged for the lab."""
    found = aws.tagged_functions(LAB_TAG, lab.lab_id)
    return single_anchor(found, "Lambda function", lab, lambda f: f.tags, lambda f: f.name)


VPC_DISCOVERY = ("ec2:DescribeVpcs",)
"""What finding the lab VPC needs."""

FUNCTION_DISCOVERY = ("lambda:ListFunctions", "lambda:ListTags", "lambda:GetFunctionConfiguration")
"""What finding the lab's Lambda function needs."""

ROLE_POLICY_READS = (
    "iam:ListRolePolicies",
    "iam:GetRolePolicy",
    "iam:ListAttachedRolePolicies",
    "iam:GetPolicy",
    "iam:GetPolicyVersion",
)
"""What reading a role's effective identity policies needs."""
