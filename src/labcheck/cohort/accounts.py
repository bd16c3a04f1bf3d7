"""Opening learner accounts: the instructor's session assumes each learner's read-only grader role.

Nothing is built per learner but the assumed role's keys and LiveAws's memo: every learner whose role is
assumed reads through one `ClientPool`, whose clients read as the account bound to the calling worker (its
keys, its retry quota: clients.py). So service models are parsed once, and clients and their connections
made once per service and Region for the whole cohort, not once per learner. Learners read through a
profile of the instructor's configuration get one pool per profile.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from labcheck.cohort.grading import checkpoint
from labcheck.cohort.roster import Learner
from labcheck.errors import ProviderError, UsageError
from labcheck.providers.aws.clients import AccountKeys, ClientPool, create_client
from labcheck.providers.aws.live import LiveAws
from labcheck.providers.aws.session import DEFAULT_MAX_ATTEMPTS

if TYPE_CHECKING:
    import boto3

_EXPIRED = {"ExpiredToken", "ExpiredTokenException", "RequestExpired"}
_THROTTLED = {"Throttling", "ThrottlingException", "TooManyRequestsException", "RequestLimitExceeded"}
_REFUSED = {"InvalidClientTokenId", "SignatureDoesNotMatch", "UnrecognizedClientException"}


class AccountAccessError(ProviderError):
    """A learner's account could not be opened: assume-role denied, expired, throttled or unreachable."""


@dataclass(frozen=True)
class AccountOptions:
    """How the instructor reaches learner accounts.

    Attributes:
        region: The Region of rows that name none (else the instructor's configured Region).
        max_attempts: Total attempts per request, as in `verify`.
        session_seconds: Lifetime of each assumed-role session; grading one learner takes seconds.
        concurrency: Learners graded at once, and so the threads sharing each client's connections.
    """

    region: str | None = None
    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    session_seconds: int = 900
    concurrency: int = 16


def _new_session(region: str | None, profile: str | None = None, loader: Any = None) -> tuple[boto3.Session, Any]:
    """A boto3 session and its data loader; pass the loader of another session to share its parsed models."""
    import boto3
    import botocore.session

    core = botocore.session.get_session()
    if loader is not None:
        core.register_component("data_loader", loader)
    session = boto3.Session(botocore_session=core, region_name=region, profile_name=profile)
    return session, core.get_component("data_loader")


def _checkpoint(**_: Any) -> None:
    checkpoint()


class AwsAccounts:
    """Opens each learner's AWS account as a LiveAws view over pooled clients."""

    def __init__(self, options: AccountOptions) -> None:
        """Open the instructor's session from the standard credential chain (AWS_PROFILE, environment, SSO).

        Args:
            options: Region default, retry budget, session lifetime and concurrency.

        Raises:
            UsageError: The instructor's AWS configuration cannot be read.
        """
        from botocore.exceptions import BotoCoreError

        try:
            self.session, self._loader = _new_session(options.region)
        except BotoCoreError as error:  # e.g. AWS_PROFILE names a profile that does not exist
            raise UsageError(f"instructor's AWS configuration: {error}") from None
        self._options = options
        self._own = self._pool(self.session)  # rows with neither role_arn nor profile: the instructor's account
        self._assumed = ClientPool.for_assumed_roles(self._loader, options.max_attempts, options.concurrency)
        self._profiles: dict[str, ClientPool] = {}
        self._sts: dict[tuple[int, str], Any] = {}
        self._hooks: list[Callable[..., None]] = []
        self.instructor_arn = ""
        # Every request of a worker first asks whether its learner ran out of time or the run was stopped.
        self.on_request(_checkpoint)

    def _pool(self, session: boto3.Session) -> ClientPool:
        return ClientPool(session, self._options.max_attempts, self._options.concurrency)

    def on_request(self, handler: Callable[..., None]) -> None:
        """Call `handler` before every HTTP attempt, the instructor's and every learner's (register before grading)."""
        self._hooks.append(handler)
        for pool in (self._own, self._assumed, *self._profiles.values()):
            pool.on_request(handler)

    def _base(self, learner: Learner) -> ClientPool:
        """The pool of the identity that reaches the learner: a profile's, else the instructor's."""
        return self._profiles.get(learner.profile, self._own)

    def region_of(self, learner: Learner) -> str:
        """The Region a learner is graded in: the row's, else --region, else the profile's or instructor's."""
        base = self._base(learner).session
        return learner.region or self._options.region or base.region_name or self.session.region_name or ""

    def preflight(self, learners: list[Learner]) -> None:
        """Check, before grading starts, what would otherwise fail for every learner.

        Args:
            learners: The validated roster rows to be graded.

        Raises:
            UsageError: Unknown profiles, rows without a Region, or instructor credentials that do not work.
        """
        problems = []
        known = set(self.session.available_profiles)
        for profile in sorted({learner.profile for learner in learners if learner.profile}):
            if profile in known:
                self._profiles[profile] = pool = self._pool(_new_session(None, profile, self._loader)[0])
                for hook in self._hooks:
                    pool.on_request(hook)
            else:
                rows = ", ".join(str(x.row) for x in learners if x.profile == profile)
                problems.append(f"row {rows}: profile {profile!r} is not in your AWS configuration")
        no_region = [str(x.row) for x in learners if not self.region_of(x)]
        if no_region:
            problems.append(f"row {', '.join(no_region)}: no region (add a region column or pass --region)")
        if problems:
            raise UsageError("roster: " + "; ".join(problems))
        assuming = [x for x in learners if x.role_arn and not x.profile]
        if assuming:
            self.instructor_arn = self._instructor_arn(self.region_of(assuming[0]))

    def _instructor_arn(self, region: str) -> str:
        from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

        try:
            return str(self._own.client("sts", region).get_caller_identity()["Arn"])
        except NoCredentialsError:
            raise UsageError(
                "no AWS credentials to assume the learners' roles: set AWS_PROFILE or AWS_ACCESS_KEY_ID/..."
            ) from None
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            raise UsageError(f"the instructor's AWS credentials do not work ({code})") from None
        except BotoCoreError as error:
            raise UsageError(f"the instructor's AWS credentials do not work: {error}") from None

    def open_provider(self, learner: Learner, name: str) -> LiveAws:
        """Open one learner's account as the provider a check asks for.

        Args:
            learner: The roster row.
            name: The provider name; cohort grading reaches AWS accounts only.

        Returns:
            The learner's read-only, memoising AWS view.

        Raises:
            AccountAccessError: The grader role could not be assumed.
            UsageError: The lab needs a provider other than AWS.
        """
        if name != "aws":
            raise UsageError(f"cohort grading reaches AWS accounts only, not {name}")
        region = self.region_of(learner)
        if learner.role_arn:
            return LiveAws(self._assumed, region, self._assume(learner, region))
        return LiveAws(self._base(learner), region)

    def _sts_client(self, base: boto3.Session, region: str) -> Any:
        # AssumeRole is not a read, so it cannot go through a read-only pool. One client per calling identity
        # and Region: throttling of AssumeRole is that account's limit, so its retry quota is rightly shared.
        key = (id(base), region)
        if key not in self._sts:
            options = self._options
            self._sts.setdefault(key, create_client(base, "sts", region, options.max_attempts, options.concurrency))
        return self._sts[key]

    def _assume(self, learner: Learner, region: str) -> AccountKeys:
        from botocore.exceptions import BotoCoreError, ClientError

        params: dict[str, Any] = {
            "RoleArn": learner.role_arn,
            "RoleSessionName": ("labcheck-" + re.sub(r"[^\w+=,.@-]", "-", learner.id))[:64],
            "DurationSeconds": self._options.session_seconds,
        }
        if learner.external_id:
            params["ExternalId"] = learner.external_id
        try:
            answer = self._sts_client(self._base(learner).session, region).assume_role(**params)
        except ClientError as error:
            problem = _assume_problem(learner.role_arn, region, dict(error.response), self.instructor_arn)
            raise AccountAccessError(problem) from None
        except BotoCoreError as error:
            raise AccountAccessError(f"cannot assume {learner.role_arn}: {error}") from None
        found = answer["Credentials"]
        arn = str(answer.get("AssumedRoleUser", {}).get("Arn", ""))
        return AccountKeys(str(found["AccessKeyId"]), str(found["SecretAccessKey"]), found.get("SessionToken"), arn)


def _assume_problem(role_arn: str, region: str, response: dict[str, Any], instructor: str) -> str:
    error = response.get("Error", {})
    code = str(error.get("Code", ""))
    status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    prefix = f"cannot assume {role_arn}"
    if code in _EXPIRED:
        return f"{prefix}: the instructor's credentials have expired ({code}); refresh them and run again to resume"
    if code in _THROTTLED or status == 429:
        return f"{prefix}: STS kept throttling ({code or status}) after retries"
    if code in _REFUSED:
        return f"{prefix}: STS refused the instructor's credentials ({code})"
    if code == "RegionDisabledException":
        return f"{prefix}: STS is not enabled in {region}"
    if status == 403 or code == "AccessDenied":
        who = instructor or "the instructor"
        return f"{prefix}: access denied ({code or status}); the role must exist and trust {who} with the external_id"
    return f"{prefix}: {code or status}: {error.get('Message', '')}".rstrip(": ")
