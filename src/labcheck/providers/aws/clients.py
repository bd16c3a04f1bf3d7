"""Read-only botocore clients, created once per service and Region and shared by every reader of a pool.

Creating a botocore client costs 10-20 ms of CPU (its class, event handlers, endpoint resolver and HTTP
pool), more than grading a learner's account takes with clients in hand. So clients are pooled:

- `verify` opens one pool over the learner's own session and credentials;
- cohort grading opens one pool for every learner whose role it assumes. Its clients read as the
  `AccountBinding` that `reading_as` binds to the calling thread: they sign with its keys and retry with
  its own retry quota. So a thousand accounts share one EC2 client, its connections and its parsed
  service model, and no learner pays for client creation or spends another learner's retries.

botocore clients are thread-safe once created; creating them is not (session components are built
lazily), so creation holds one process-wide lock.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, NamedTuple

import botocore.session
from botocore.credentials import Credentials, ReadOnlyCredentials
from botocore.exceptions import NoCredentialsError
from botocore.hooks import HierarchicalEmitter, first_non_none_response
from botocore.retries import standard

from labcheck.errors import ReadOnlyViolationError
from labcheck.providers.aws.actions import is_declared_read
from labcheck.providers.aws.session import client_config

if TYPE_CHECKING:
    import boto3

_CREATION_LOCK = threading.Lock()


class AccountKeys(NamedTuple):
    """The temporary keys of one assumed role: what a shared client signs a learner's requests with."""

    access_key: str
    secret_key: str
    token: str | None = None
    session_arn: str = ""  # AssumeRole's AssumedRoleUser ARN: it names the account, so no GetCallerIdentity


class AccountBinding:
    """One account read through a bound pool: the keys its requests are signed with, and its retry quota.

    botocore keeps one retry quota per client, a circuit breaker that stops retrying once the client's
    requests keep failing. A pooled client serves a whole cohort, and one learner's failing endpoint must
    not use up the others' retries. So each account gets botocore's standard retry handler of its own, per
    service, made by botocore's `register_retry_handler` on an emitter of the account's, and the pooled
    client hands its retry events to the bound account's emitter.
    """

    def __init__(self, keys: AccountKeys) -> None:
        """Bind nothing yet: `reading_as` binds."""
        self.keys = keys
        self._retries: dict[str, HierarchicalEmitter] = {}

    def retry_events(self, client: Any) -> HierarchicalEmitter:
        """This account's retry handlers for the client's service, made on first use."""
        service = client.meta.service_model.service_id.hyphenize()
        if service not in self._retries:
            own = HierarchicalEmitter()
            # register_retry_handler reads the client's service model and registers on its events only.
            target = SimpleNamespace(meta=SimpleNamespace(service_model=client.meta.service_model, events=own))
            standard.register_retry_handler(target, client.meta.config.retries["total_max_attempts"])  # type: ignore[arg-type]
            self._retries[service] = own
        return self._retries[service]


_BOUND: ContextVar[AccountBinding | None] = ContextVar("labcheck_bound_account", default=None)


@contextmanager
def reading_as(account: AccountBinding | None) -> Iterator[None]:
    """Sign and retry the requests made inside the block as `account` (None leaves the binding as it is)."""
    if account is None:
        yield
        return
    token = _BOUND.set(account)
    try:
        yield
    finally:
        _BOUND.reset(token)


def _retry_as_bound_account(client: Any) -> Callable[..., Any]:
    def dispatch(event_name: str, **kwargs: Any) -> Any:
        account = _BOUND.get()
        if account is None:  # nothing is signed outside a binding, so nothing is sent to retry
            return None
        return first_non_none_response(account.retry_events(client).emit(event_name, **kwargs))

    return dispatch


class BoundCredentials(Credentials):
    """Credentials that are the keys of the account `reading_as` bound in the calling context.

    botocore asks a client's credentials for a frozen copy each time it signs a request, which is what
    lets one client sign for many accounts. Outside `reading_as` there are none, and a request fails with
    NoCredentialsError rather than go out signed by somebody else.
    """

    def __init__(self) -> None:
        # No keys of its own, so not Credentials.__init__: botocore reading access_key or secret_key directly
        # instead of a frozen copy fails loudly rather than signing with stale keys.
        self.method = "labcheck-assumed-role"
        self.account_id = None  # only account-based endpoints (DynamoDB) ask; none is read

    def get_frozen_credentials(self) -> ReadOnlyCredentials:
        """The keys bound to the calling context."""
        account = _BOUND.get()
        if account is None:
            raise NoCredentialsError()
        keys = account.keys
        return ReadOnlyCredentials(keys.access_key, keys.secret_key, keys.token)


class _BoundCredentialSource:
    """The `credential_provider` component of the session behind a bound pool: always BoundCredentials."""

    def load_credentials(self) -> BoundCredentials:
        return BoundCredentials()


def bound_session(loader: Any) -> boto3.Session:
    """A session whose clients sign as the account `reading_as` binds (BoundCredentials).

    Args:
        loader: A botocore data loader to share, so service models already parsed are not parsed again.
    """
    import boto3

    core = botocore.session.get_session()
    core.register_component("data_loader", loader)
    core.register_component("credential_provider", _BoundCredentialSource())
    return boto3.Session(botocore_session=core)


def _refuse_all_but_declared_reads(model: Any, **_: Any) -> None:
    service = model.service_model
    if not is_declared_read(service.signing_name, model.name, service.service_name):
        raise ReadOnlyViolationError(
            f"labcheck refused to send {model.name}: it only reads, and only what its views declare"
        )


class ClientPool:
    """Read-only clients by service and Region, each created once and shared by every reader over the pool."""

    def __init__(self, session: boto3.Session, max_attempts: int, max_connections: int = 10, bound: bool = False):
        """A pool over a session.

        Args:
            session: The boto3 session whose credentials (or BoundCredentials) and hooks the clients get.
            max_attempts: Total attempts per request.
            max_connections: HTTP connections kept per client: at least the number of threads sharing it.
            bound: Whether the session signs with BoundCredentials (see `for_assumed_roles`).
        """
        self.session = session
        self.bound = bound
        self._config = client_config(max_attempts, max_connections)
        self._clients: dict[tuple[str, str], Any] = {}

    @classmethod
    def for_assumed_roles(cls, loader: Any, max_attempts: int, max_connections: int) -> ClientPool:
        """A pool whose clients read as the account bound by `reading_as`.

        Args:
            loader: A botocore data loader to share, so service models already parsed are not parsed again.
            max_attempts: Total attempts per request.
            max_connections: HTTP connections kept per client: at least the number of threads sharing it.
        """
        return cls(bound_session(loader), max_attempts, max_connections, bound=True)

    def on_request(self, handler: Callable[..., None]) -> None:
        """Call `handler` before every HTTP attempt of this pool's clients (register before the first read)."""
        self.session.events.register_first("before-send", handler)

    def client(self, service: str, region: str) -> Any:
        """The pool's client of a service in a Region, created on first use."""
        key = (service, region)
        found = self._clients.get(key)
        if found is None:
            with _CREATION_LOCK:
                found = self._clients.get(key)
                if found is None:
                    found = self.session.client(service, region_name=region, config=self._config)  # type: ignore[call-overload]
                    # First among the most specific handlers: botocore runs "before-call.*.*" handlers (a
                    # Stubber's canned answer, for one) ahead of plain "before-call" ones, and stops at the
                    # first answer.
                    found.meta.events.register_first("before-call.*.*", _refuse_all_but_declared_reads)
                    if self.bound:
                        _hand_retries_to_bound_account(found)
                    self._clients[key] = found
        return found


def _hand_retries_to_bound_account(client: Any) -> None:
    service = client.meta.service_model.service_id.hyphenize()
    # botocore's own handler (and with it the client's shared quota) goes; see register_retry_handler.
    client.meta.events.unregister(f"needs-retry.{service}", unique_id=f"retry-config-{service}")
    dispatch = _retry_as_bound_account(client)
    for event in ("needs-retry", "after-call"):
        client.meta.events.register(f"{event}.{service}", dispatch)


def create_client(session: boto3.Session, service: str, region: str, max_attempts: int, max_connections: int) -> Any:
    """A client outside any pool and its read-only guard, for STS AssumeRole, which is not a read."""
    config = client_config(max_attempts, max_connections)
    with _CREATION_LOCK:
        return session.client(service, region_name=region, config=config)  # type: ignore[call-overload]
