"""The plumbing of every AWS read: clients, the read-only guard, memoisation and error translation.

Three guarantees hold for every request, because every request goes through `AwsReader._call`/`_pages`
on a client of a `ClientPool` (clients.py):
- read-only: the pool's `before-call` hook refuses, before it is signed or sent, any operation that is not
  a Describe/Get/List/Lookup/BatchGet whose IAM action one of the AWS views declares (actions.py);
- each distinct request is made at most once per run (results and errors are memoised), so twelve checks
  reading the same endpoint cost one DescribeVpcEndpoints;
- SDK errors become labcheck's: a denial (by code, or by HTTP 401/403, since moto's JSON services send
  XML errors botocore cannot parse) names the IAM action; throttling after the bounded retries, an
  unreachable endpoint or an unimplemented API become ProviderError, which the runner reports as ERROR.

The view methods live in mixins over `AwsReader` (live.py and its siblings), one module per area.
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Self

from labcheck.errors import (
    CredentialsError,
    PermissionDeniedError,
    ProviderError,
    ThrottledError,
)
from labcheck.providers.aws.actions import iam_action
from labcheck.providers.aws.clients import AccountBinding, AccountKeys, ClientPool, reading_as
from labcheck.providers.aws.session import AwsOptions, new_session
from labcheck.providers.aws.view import Document

_DENIED_CODES = {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "AuthorizationError"}
# The credentials themselves were refused (expired, unknown, mis-signed): no permission would help, so the
# whole run stops with one line instead of every check reporting a misleading "access denied".
_CREDENTIAL_CODES = {
    "ExpiredToken",
    "ExpiredTokenException",
    "RequestExpired",
    "InvalidClientTokenId",
    "UnrecognizedClientException",
    "AuthFailure",
    "SignatureDoesNotMatch",
}
_THROTTLE_CODES = {
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottled",
    "RequestThrottledException",
    "RequestLimitExceeded",
    "TooManyRequestsException",
    "EC2ThrottledException",
    "SlowDown",  # S3, with HTTP 503
}


SINGLE_REGION_SERVICES = {"budgets": "us-east-1", "ce": "us-east-1"}
"""Services whose API answers in one Region only, whatever the lab Region."""


def policy_document(value: Any) -> Document:
    """IAM returns URL-encoded JSON where botocore has not decoded it already; EC2 returns JSON text."""
    if isinstance(value, Mapping):
        return value
    if not value:
        return {}
    text = str(value)
    try:
        parsed = json.loads(text if text.lstrip().startswith("{") else urllib.parse.unquote(text))
    except ValueError as error:
        raise ProviderError(f"a policy document is not valid JSON: {error}") from None
    if not isinstance(parsed, dict):
        raise ProviderError("a policy document is not a JSON object")
    return parsed


def tags_from_list(items: list[dict[str, str]] | None) -> dict[str, str]:
    """Tags given as [{"Key": k, "Value": v}] (EC2 style) as a dict."""
    return {t["Key"]: t["Value"] for t in items or []}


class AwsReader:
    """The plumbing every AWS read goes through, for one account and Region."""

    def __init__(self, clients: ClientPool, region: str, keys: AccountKeys | None = None) -> None:
        """Open one account; credentials that do not work fail here.

        The identity is read at once with GetCallerIdentity, unless an assumed role's keys name it.

        Args:
            clients: Where the clients come from; shared by every account a cohort run opens.
            region: The lab Region.
            keys: An assumed role's keys, for a pool that signs with bound keys (cohort grading).

        Raises:
            CredentialsError: The account's credentials were refused, or the account could not be reached.
        """
        if (keys is not None) != clients.bound:
            raise ValueError("an assumed role's keys need a bound ClientPool, and a bound pool needs keys")
        self._pool = clients
        self._account = AccountBinding(keys) if keys is not None else None
        self._memo: dict[str, Any] = {}
        self._region = region
        if keys is not None and keys.session_arn:  # arn:aws:sts::<account>:assumed-role/<role>/<session>
            self._account_id, self.caller_arn = keys.session_arn.split(":")[4], keys.session_arn
        else:
            self._account_id, self.caller_arn = self._caller_identity()

    def _caller_identity(self) -> tuple[str, str]:
        """The account and the caller's ARN, from GetCallerIdentity."""
        try:
            identity = self._call("sts", "get_caller_identity")
            return str(identity["Account"]), str(identity["Arn"])
        except PermissionDeniedError as error:  # no policy can deny GetCallerIdentity: the credentials were refused
            raise CredentialsError(f"AWS refused the credentials ({error.code or 'denied'})") from None
        except ProviderError as error:  # the runner maps ProviderError per check; opening has no check to fail
            raise CredentialsError(f"could not open the AWS account: {error}") from None

    @classmethod
    def open(cls, options: AwsOptions) -> Self:
        """Open the account the standard credential chain (or the profile) points at."""
        session = new_session(options)
        return cls(ClientPool(session, options.max_attempts), session.region_name)

    @property
    def account_id(self) -> str:
        """The account being graded."""
        return self._account_id

    @property
    def region(self) -> str:
        """The lab Region."""
        return self._region

    @property
    def identity(self) -> dict[str, str]:
        """What a report shows about the account."""
        return {"cloud": "aws", "account": self._account_id, "region": self._region}

    # --- plumbing -----------------------------------------------------------------------------

    def client(self, service: str) -> Any:
        """The read-only client of a service, in the lab Region unless named "<service>@<region>"."""
        name, _, region = service.partition("@")
        return self._pool.client(name, region or SINGLE_REGION_SERVICES.get(name, self._region))

    def _call(self, service: str, operation: str, **params: Any) -> Any:
        return self._memoised(service, operation, params, lambda c: getattr(c, operation)(**params))

    def _pages(self, service: str, operation: str, key: str, **params: Any) -> list[Any]:
        def collect(c: Any) -> list[Any]:
            return [item for page in c.get_paginator(operation).paginate(**params) for item in page.get(key, [])]

        return list(self._memoised(service, "pages:" + operation, params, collect))

    def _memoised(self, service: str, operation: str, params: Mapping[str, Any], run: Callable[[Any], Any]) -> Any:
        memo_key = json.dumps([service, operation, params], sort_keys=True, default=str)
        if memo_key not in self._memo:
            try:
                with self._translated(service, operation.removeprefix("pages:")), reading_as(self._account):
                    self._memo[memo_key] = run(self.client(service))
            except ProviderError as error:
                self._memo[memo_key] = error
        outcome = self._memo[memo_key]
        if isinstance(outcome, ProviderError):
            raise outcome
        return outcome

    @contextmanager
    def _translated(self, service: str, operation: str) -> Iterator[None]:
        from botocore.exceptions import (
            ClientError,
            ConnectionError,
            CredentialRetrievalError,
            InvalidConfigError,
            NoCredentialsError,
            PartialCredentialsError,
            ReadTimeoutError,
            SSOError,
            TokenRetrievalError,
        )

        client = self.client(service)
        op_name = client.meta.method_to_api_mapping.get(operation, operation)
        model = client.meta.service_model
        action = iam_action(model.signing_name, op_name, model.service_name)
        try:
            yield
        except ClientError as error:
            code = str(error.response.get("Error", {}).get("Code", ""))
            if code in _CREDENTIAL_CODES:
                raise CredentialsError(f"AWS refused the credentials ({code}): they may have expired") from None
            raise _translate(error, action) from None
        except NoCredentialsError:
            raise CredentialsError("no AWS credentials found") from None
        except (  # deferred credentials (SSO, credential_process, assume-role) fail at the first request
            CredentialRetrievalError,
            PartialCredentialsError,
            SSOError,
            TokenRetrievalError,
            InvalidConfigError,
        ) as error:
            raise CredentialsError(f"AWS credentials: {error}") from None
        except (ConnectionError, ReadTimeoutError) as error:
            raise ProviderError(f"{action}: could not reach AWS ({type(error).__name__})") from None
        except NotImplementedError:  # moto in-process, for an API it does not implement
            raise ProviderError(f"{action} is not implemented by this endpoint") from None

    def missing_as_none(self, codes: tuple[str, ...], read: Callable[[], Any]) -> Any:
        """Run a read; a ProviderError whose AWS error code is in `codes` means "absent" and gives None."""
        try:
            return read()
        except ProviderError as error:
            if error.code in codes:
                return None
            raise


def _translate(error: Any, action: str) -> ProviderError:
    details = error.response.get("Error", {})
    code = str(details.get("Code", ""))
    status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    if status in (401, 403) or code in _DENIED_CODES:
        return PermissionDeniedError(action, code)
    if status == 429 or code in _THROTTLE_CODES:
        return ThrottledError(f"{action}: still throttled after retries ({code})", code)
    return ProviderError(f"{action} failed: {code or status}", code)
