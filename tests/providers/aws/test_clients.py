"""Pooled clients: one client per service serves many accounts, each signing with its own keys and retrying
within its own retry quota."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import botocore.session
import pytest
from botocore.awsrequest import AWSResponse
from botocore.retries import standard

from labcheck.errors import CredentialsError, ProviderError
from labcheck.providers.aws.clients import AccountBinding, AccountKeys, ClientPool, reading_as
from labcheck.providers.aws.live import LiveAws
from labcheck.testing.moto import ClientFactory

ATTEMPTS = 5
REGION = "eu-central-1"
ACCOUNTS = ("111111111111", "222222222222")


def assumed_keys(account: ClientFactory, account_id: str) -> AccountKeys:
    found = account("sts").assume_role(RoleArn=f"arn:aws:iam::{account_id}:role/grader", RoleSessionName="grader")
    keys = found["Credentials"]
    return AccountKeys(keys["AccessKeyId"], keys["SecretAccessKey"], keys["SessionToken"])


def bound_pool(attempts: int = ATTEMPTS) -> ClientPool:
    loader = botocore.session.get_session().get_component("data_loader")
    return ClientPool.for_assumed_roles(loader, attempts, max_connections=4)


class _Body:
    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self, **_: Any) -> Any:
        yield self._data

    def read(self, *_: Any) -> bytes:
        return self._data


class FailingKeys:
    """A before-send hook that answers HTTP 500 to requests signed by chosen access keys; counts attempts."""

    def __init__(self) -> None:
        self.failing: dict[str, int] = {}  # access key -> attempts still to fail (-1: every one)
        self.attempts: Counter[str] = Counter()

    def __call__(self, request: Any, **_: Any) -> AWSResponse | None:
        found = re.search(r"Credential=([^/]+)/", request.headers.get("Authorization", b"").decode())
        key = found[1] if found else ""
        self.attempts[key] += 1
        left = self.failing.get(key, 0)
        if left == 0:
            return None
        self.failing[key] = left - 1 if left > 0 else -1
        body = b'{"__type": "InternalFailure", "message": "injected"}'
        return AWSResponse(request.url, 500, {"Content-Type": "application/x-amz-json-1.1"}, _Body(body))


def test_keys_that_name_their_session_open_the_account_without_a_request(account: ClientFactory) -> None:
    found = account("sts").assume_role(RoleArn=f"arn:aws:iam::{ACCOUNTS[0]}:role/grader", RoleSessionName="grader")
    keys, session = found["Credentials"], found["AssumedRoleUser"]["Arn"]
    pool, sent = bound_pool(), Counter[str]()
    pool.on_request(lambda event_name, **_: sent.update([event_name]))
    named = AccountKeys(keys["AccessKeyId"], keys["SecretAccessKey"], keys["SessionToken"], session)
    opened = LiveAws(pool, REGION, named)
    assert (opened.account_id, opened.caller_arn) == (ACCOUNTS[0], session)
    assert sent == Counter()
    LiveAws(pool, REGION, named._replace(session_arn=""))  # without the name, GetCallerIdentity asks
    assert sent == Counter({"before-send.sts.GetCallerIdentity": 1})


def test_accounts_on_one_pool_share_its_clients_and_sign_with_their_own_keys(account: ClientFactory) -> None:
    pool = bound_pool()
    first, second = (LiveAws(pool, REGION, assumed_keys(account, a)) for a in ACCOUNTS)
    assert (first.account_id, second.account_id) == ACCOUNTS
    assert first.client("logs") is second.client("logs") is pool.client("logs", REGION)
    account("logs").create_log_group(logGroupName="default")  # in the mock's default account, 123456789012
    assert first.log_group("default") is None
    assert second.log_group("default") is None


def test_a_bound_pool_sends_nothing_outside_a_binding(account: ClientFactory) -> None:
    pool = bound_pool()
    with pytest.raises(Exception, match="Unable to locate credentials"):
        pool.client("sts", REGION).get_caller_identity()
    with pytest.raises(ValueError, match="bound ClientPool"):
        LiveAws(pool, REGION)
    with reading_as(AccountBinding(assumed_keys(account, ACCOUNTS[0]))):
        assert pool.client("sts", REGION).get_caller_identity()["Account"] == ACCOUNTS[0]


def test_expired_keys_fail_their_account_not_the_pool(account: ClientFactory) -> None:
    expired = AccountKeys("ASIAEXPIRED000000000", "secret", "token")

    def refuse_expired(request: Any, **_: Any) -> AWSResponse | None:
        if expired.access_key not in request.headers.get("Authorization", b"").decode():
            return None
        body = b"<ErrorResponse><Error><Code>ExpiredToken</Code><Message>expired</Message></Error></ErrorResponse>"
        return AWSResponse(request.url, 400, {"Content-Type": "text/xml"}, _Body(body))

    pool = bound_pool()
    pool.on_request(refuse_expired)
    with pytest.raises(CredentialsError, match="ExpiredToken"):
        LiveAws(pool, REGION, expired)
    assert LiveAws(pool, REGION, assumed_keys(account, ACCOUNTS[1])).account_id == ACCOUNTS[1]


def test_one_account_using_up_its_retries_leaves_the_others_theirs(
    account: ClientFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(standard.ExponentialBackoff, "delay_amount", lambda *_: 0)
    pool = bound_pool()
    faults = FailingKeys()
    pool.on_request(faults)
    failing, healthy = (LiveAws(pool, REGION, assumed_keys(account, a)) for a in ACCOUNTS)
    failing_key, healthy_key = failing._account.keys.access_key, healthy._account.keys.access_key  # type: ignore[union-attr]
    faults.failing[failing_key] = -1
    sent = []
    for attempt in range(12):  # botocore's quota: 500 tokens, 14 per retry of a 500: gone within 10 requests
        before = faults.attempts[failing_key]
        with pytest.raises(ProviderError):
            failing.log_group(f"group-{attempt}")
        sent.append(faults.attempts[failing_key] - before)
    assert sent[0] == ATTEMPTS
    assert sent[-1] == 1  # the failing account's quota is spent: no more retries for it
    faults.failing[healthy_key] = 1  # the other account's next request fails once, on the same client
    before = faults.attempts[healthy_key]
    assert healthy.log_group("healthy") is None
    assert faults.attempts[healthy_key] - before == 2  # and is retried from its own, untouched quota
