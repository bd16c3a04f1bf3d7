"""Helpers for proving a lab's generated grader policy under moto's IAM enforcement, for any AWS lab.

The privatelink proof (test_iam_enforcement.py) has its own copies of `declaring`, `without` and `denied`
bound to its lab; these take the lab or policy as an argument.

moto 5.2.5 names the IAM action it authorises "<signing name>:<operation>". For two services the lab
policies need, that is not the action AWS checks (Service Authorization Reference):

* CloudWatch signs as "monitoring", but its actions are cloudwatch:DescribeAlarms, cloudwatch:ListMetrics;
* Budgets authorises DescribeBudget(s), DescribeNotificationsForBudget and DescribeSubscribersForNotification
  with one action, budgets:ViewBudget.

Stock moto therefore denies `labcheck permissions aws-bedrock-guardrails-finops` its own alarms and budgets.
`patch_action_names` renames those actions to AWS's; the table is written from the AWS reference, not
from labcheck's reader, so a wrong mapping in labcheck would still show.

moto 5.2.5 also refuses to create a knowledge base on S3 Vectors (its validation predates that store, which
AWS and botocore accept), though it serves S3 Vectors buckets and indexes. `patch_s3_vectors_knowledge_bases`
lets it store one, so the S3 Vectors track's check can be graded.

`start_server` runs labcheck.testing.moto_auth's server (with its own fixes) plus these two patches, in a
child process of its own: running this file as a script is that child.
"""

from __future__ import annotations

import copy
import inspect
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from labcheck.catalog import Lab
from labcheck.testing import moto_auth
from labcheck.testing.moto_server import LOOPBACK, free_port

# moto's "<signing name>:<operation>" -> the action AWS authorises the operation with
_SERVICE_PREFIXES = {"monitoring": "cloudwatch"}
_ACTIONS = {
    "budgets:DescribeBudget": "budgets:ViewBudget",
    "budgets:DescribeBudgets": "budgets:ViewBudget",
    "budgets:DescribeNotificationsForBudget": "budgets:ViewBudget",
    "budgets:DescribeSubscribersForNotification": "budgets:ViewBudget",
}
_PATCHED = "_labcheck_iam_proof_patch"  # set on each class a patch of this module changed


def aws_action(moto_action: str) -> str:
    """The IAM action AWS checks for the action moto would check."""
    prefix, _, operation = moto_action.partition(":")
    renamed = f"{_SERVICE_PREFIXES.get(prefix, prefix)}:{operation}"
    return _ACTIONS.get(renamed, renamed)


def patch_action_names() -> None:
    """Make moto authorise CloudWatch and Budgets reads by AWS's action names. Idempotent."""
    from moto.iam import access_control

    request_class = access_control.IAMRequestBase
    if getattr(request_class, _PATCHED, False):
        return
    initialise = request_class.__init__

    def initialise_with_aws_action(self: Any, *args: Any, **kwargs: Any) -> None:
        initialise(self, *args, **kwargs)
        self._action = aws_action(self._action)  # the signing service (self._service) stays as it was

    setattr(request_class, "__init__", initialise_with_aws_action)  # noqa: B010 (mypy: a method)
    setattr(request_class, _PATCHED, True)


def patch_s3_vectors_knowledge_bases() -> None:
    """Let moto create a knowledge base whose storageConfiguration type is S3_VECTORS. Idempotent."""
    from moto.bedrockagent import models

    knowledge_base = models.KnowledgeBase
    if getattr(knowledge_base, _PATCHED, False):
        return
    initialise = knowledge_base.__init__

    signature = inspect.signature(initialise)

    def initialise_any_store(self: Any, *args: Any, **kwargs: Any) -> None:
        call = signature.bind(self, *args, **kwargs)
        storage = call.arguments["storage_configuration"]
        if storage.get("type") == "S3_VECTORS":
            call.arguments["storage_configuration"] = {"type": "RDS"}  # a type moto accepts, replaced below
        initialise(*call.args, **call.kwargs)
        self.storage_configuration = storage

    setattr(knowledge_base, "__init__", initialise_any_store)  # noqa: B010 (mypy: a method)
    setattr(knowledge_base, _PATCHED, True)


def start_server(timeout_s: float = 30) -> moto_auth.EnforcingServer:
    """Like moto_auth.start_enforcing_server, with this module's patches applied in the child as well."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve()), "--port", str(port)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    server = moto_auth.EnforcingServer(process, f"http://{LOOPBACK}:{port}")
    if not moto_auth._wait_for_ready(process.stdout, time.monotonic() + timeout_s):
        server.stop()
        raise RuntimeError(f"the enforcing moto server did not start within {timeout_s} s")
    return server


# --- the proof's vocabulary -----------------------------------------------------------------------


def declaring(lab: Lab, action: str) -> set[str]:
    """The checks of a lab that declare an action."""
    return {c.id for c in lab.checks if action in c.spec.permissions}


def without(policy: dict[str, Any], action: str) -> dict[str, Any]:
    """A one-statement policy minus one action."""
    smaller = copy.deepcopy(policy)
    statement = smaller["Statement"][0]
    statement["Action"] = [a for a in statement["Action"] if a != action]
    return smaller


def denied(results: dict[str, dict[str, Any]], action: str | None = None) -> dict[str, str]:
    """Check id -> message, for the results that report an access denial (of `action`, if given)."""
    needle = f"access denied: {action} " if action else "access denied"
    return {i: r["message"] for i, r in results.items() if needle in r["message"]}


if __name__ == "__main__":  # the child of start_server
    patch_action_names()
    patch_s3_vectors_knowledge_bases()
    moto_auth.main(sys.argv[1:])
