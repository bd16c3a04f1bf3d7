"""Opening an AWS account for reading: credentials, Region, identity and the client configuration.

The standard AWS chain supplies credentials (environment, profile, SSO, instance role), and botocore
honours AWS_ENDPOINT_URL, which is how the demo, CI and the benchmarks reach a moto server.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from labcheck.errors import CredentialsError, MissingExtraError

if TYPE_CHECKING:
    import boto3
    from botocore.config import Config

_REGION = re.compile(r"^[a-z]{2,4}(-[a-z]+)+-\d{1,2}$")

DEFAULT_MAX_ATTEMPTS = 5
"""Total attempts per request (botocore standard mode). Errors retry after ~50 ms backoffs, so an unimplemented
API costs well under a second; throttling backs off from 1 s, so a call throttled every time gives up after
about 15 s. Five attempts keep verdicts unchanged through heavy (30%) throttling in nearly every run."""


@dataclass(frozen=True)
class AwsOptions:
    """How to reach the account: Region, profile and the retry budget."""

    region: str | None = None
    profile: str | None = None
    max_attempts: int = DEFAULT_MAX_ATTEMPTS


def client_config(max_attempts: int, max_connections: int = 10) -> Config:
    """The botocore configuration of every client: standard retries, bounded in total attempts and time.

    Args:
        max_attempts: Total attempts per request.
        max_connections: HTTP connections the client keeps open: at least the threads sharing it, or
            urllib3 discards the extra connections after each request and reconnects.
    """
    from botocore.config import Config

    return Config(
        retries={"mode": "standard", "total_max_attempts": max_attempts},
        connect_timeout=5,
        read_timeout=30,
        max_pool_connections=max_connections,
        user_agent_extra="labcheck",
    )


def new_session(options: AwsOptions) -> boto3.Session:
    """A boto3 session for the options, with a Region, or a one-line CredentialsError."""
    try:
        import boto3
        from botocore.exceptions import BotoCoreError
    except ImportError:
        raise MissingExtraError("aws", "boto3") from None
    # botocore reads AWS_DEFAULT_REGION and the profile, not AWS_REGION, which the AWS CLI v2 and the other
    # SDKs honour first (and which the message below and the moto-server tooling rely on).
    region = options.region or os.environ.get("AWS_REGION") or None
    try:
        session = boto3.Session(profile_name=options.profile, region_name=region)
    except BotoCoreError as error:  # e.g. ProfileNotFound
        raise CredentialsError(f"AWS configuration: {error}") from None
    if not session.region_name:
        raise CredentialsError("no AWS Region: pass --region or set AWS_REGION (or a region in your profile)")
    if not _REGION.match(session.region_name):
        raise CredentialsError(f"{session.region_name!r} is not an AWS Region name (for example eu-central-1)")
    try:
        credentials = session.get_credentials()
    except BotoCoreError as error:  # e.g. a failing credential_process, a source_profile that does not exist
        raise CredentialsError(f"AWS credentials: {error}") from None
    if credentials is None:
        raise CredentialsError(
            "no AWS credentials found: set AWS_PROFILE (or --profile), or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY"
        )
    return session
