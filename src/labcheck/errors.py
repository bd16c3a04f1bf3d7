"""Exceptions raised inside labcheck.

LabcheckError
├── UsageError                  bad input from the user: unknown lab or check, malformed --input, ... (exit 2)
│   ├── MissingExtraError       the cloud SDK a lab needs is not installed
│   └── CredentialsError        no usable credentials or region for a cloud
├── DiscoveryError              the lab's anchor resources could not be pinned down
│   ├── AnchorNotFoundError     nothing carries the lab tag (the checks that need it FAIL)
│   └── AmbiguousAnchorError    several resources carry it (ERROR: labcheck will not guess)
├── BlockedError                a prerequisite resource is missing (FAIL "blocked by <check-id>")
├── ReadOnlyViolationError      code tried to send a mutating request (a labcheck bug, never sent)
└── ProviderError               a cloud API could not be read (ERROR)
    ├── PermissionDeniedError   the caller lacks an action; names it
    └── ThrottledError          still throttled after the bounded retries

A check never catches these: the runner maps each to a status, so "could not read" can never
turn into PASS or FAIL by accident.
"""

from __future__ import annotations


class LabcheckError(Exception):
    """Base of every error labcheck raises on purpose."""


class UsageError(LabcheckError):
    """The user asked for something that cannot be done as asked."""


class MissingExtraError(UsageError):
    """A cloud SDK is not installed."""

    def __init__(self, extra: str, module: str) -> None:
        super().__init__(f"the {extra} checks need {module}: pip install 'labcheck[{extra}]'")
        self.extra = extra


class CredentialsError(UsageError):
    """No usable credentials (or region) for a cloud."""


class DiscoveryError(LabcheckError):
    """The lab's anchor resources could not be pinned down."""


class AnchorNotFoundError(DiscoveryError):
    """No resource of a kind carries the lab tag."""

    def __init__(self, kind: str, lab_id: str, hint: str = "") -> None:
        super().__init__(f"no {kind} tagged labcheck-lab={lab_id}")
        self.kind = kind
        self.lab_id = lab_id
        self.hint = hint or (
            f"No resource tagged labcheck-lab={lab_id}: add it to the provider's default_tags "
            f'(default_tags {{ tags = {{ "labcheck-lab" = "{lab_id}" }} }}) and apply again.'
        )


class AmbiguousAnchorError(DiscoveryError):
    """Several resources of a kind could be the lab's."""

    def __init__(self, kind: str, lab_id: str, candidates: list[str], remedy: str = "", qualifier: str = "") -> None:
        names = ", ".join(sorted(candidates))
        qualifier = qualifier or f"tagged labcheck-lab={lab_id}"
        remedy = remedy or "tag one with labcheck-learner and pass --input learner_id=..., or remove the others"
        super().__init__(f"ambiguous: {len(candidates)} {kind}s {qualifier} ({names}); {remedy}")
        self.candidates = candidates


class BlockedError(LabcheckError):
    """A resource another check grades is missing, so this check cannot pass."""

    def __init__(self, prerequisite: str, reason: str) -> None:
        super().__init__(f"blocked by {prerequisite}: {reason}")
        self.prerequisite = prerequisite
        self.reason = reason


class ReadOnlyViolationError(LabcheckError):
    """A mutating operation was attempted; it was refused before leaving the process."""


class ProviderError(LabcheckError):
    """A cloud API could not be read; `code` keeps the cloud's own error code, when there is one."""

    def __init__(self, message: str, code: str = "") -> None:
        super().__init__(message)
        self.code = code


class PermissionDeniedError(ProviderError):
    """The caller is not allowed an action labcheck needs."""

    def __init__(self, action: str, code: str = "") -> None:
        message = f"access denied: {action} is not allowed for the caller"
        super().__init__(f"{message} ({code})" if code else message, code)
        self.action = action


class ThrottledError(ProviderError):
    """The API kept throttling after the bounded retries."""
