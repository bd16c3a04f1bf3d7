"""IAM actions: the one that authorises each API operation, and the reads labcheck's AWS views may make.

The read-only guard (clients.py) lets an operation through only when it is a read by name and its IAM
action is one the views declare. A name rule alone would let through reads with side effects or that
return secrets (sts GetSessionToken, ec2 GetPasswordData, s3 GetObject); those are in no view's table.
"""

from __future__ import annotations

import functools

from labcheck.providers.aws import view, view_finops, view_rag

# Operations whose IAM action is not "<signing name>:<operation name>".
_ACTION_EXCEPTIONS = {
    ("s3", "GetBucketEncryption"): "s3:GetEncryptionConfiguration",
    ("s3", "GetPublicAccessBlock"): "s3:GetBucketPublicAccessBlock",
    ("budgets", "DescribeBudgets"): "budgets:ViewBudget",
    ("budgets", "DescribeNotificationsForBudget"): "budgets:ViewBudget",
    ("budgets", "DescribeSubscribersForNotification"): "budgets:ViewBudget",
}
# Keyed by service name where two services share a signing name (s3control signs as s3).
_SERVICE_ACTION_EXCEPTIONS = {("s3control", "GetPublicAccessBlock"): "s3:GetAccountPublicAccessBlock"}
# Signing names that differ from the service's IAM prefix (bedrock-agent signs as bedrock, aoss as aoss: both match).
_IAM_PREFIXES = {"monitoring": "cloudwatch", "tagging": "tag"}

READ_PREFIXES = ("Describe", "Get", "List", "Lookup", "BatchGet")
"""How every operation labcheck sends is named."""


def iam_action(signing_name: str, operation: str, service_name: str = "") -> str:
    """The IAM action that authorises an API operation."""
    if found := _SERVICE_ACTION_EXCEPTIONS.get((service_name, operation)):
        return found
    prefix = _IAM_PREFIXES.get(signing_name, signing_name)
    return _ACTION_EXCEPTIONS.get((signing_name, operation), f"{prefix}:{operation}")


@functools.cache
def declared_reads() -> frozenset[str]:
    """Every IAM action an AWS view's read may need, and GetCallerIdentity, which opens an account."""
    tables = (view.READ_ACTIONS, view_rag.READ_ACTIONS, view_finops.READ_ACTIONS)
    return frozenset({"sts:GetCallerIdentity"}.union(*(a for table in tables for a in table.values())))


def is_declared_read(signing_name: str, operation: str, service_name: str) -> bool:
    """Whether the guard lets an operation through: a read by name, whose action a view declares."""
    return operation.startswith(READ_PREFIXES) and iam_action(signing_name, operation, service_name) in declared_reads()
