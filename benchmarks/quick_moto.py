"""The cohort benchmark's AWS stand-in: moto's own server app, minus three per-request costs that real AWS
does not have, so that the benchmark measures labcheck rather than the mock.

Run: python benchmarks/quick_moto.py PORT [--threads 8]

`python -m moto.server` (moto 5.2.5) serves about 250 calls/s of the cohort's read mix on one core, and
slows as accounts are added: a 1,000-learner run would spend most of its time inside moto. Profiling its
server shows three lookups recomputed on every request, none of which depends on the request's data:

* `moto.backends.list_of_moto_modules()` lists moto's package folder with an `isdir` per service (about
  180 `stat` calls) to route each request; the installed package does not change while it runs.
* `method_names_from_class()` runs `inspect.getmembers` on the responding class to find the action;
  the classes do not change either.
* `get_account_id_from(access_key)` scans every account's IAM backend in every partition for the key,
  so each request costs O(accounts). Here a key is looked up in the account it was last found in first;
  a key that has moved or was deleted falls back to the full scan.

Each is remembered, nothing else changes: the same WSGI app (`DomainDispatcherApplication`), the same
backends and responses, one process, so all state stays in one place. The app is served by waitress, a
threaded WSGI server that keeps connections open (werkzeug's development server closes each one); with the
lookups remembered it serves about 1.5x what werkzeug does, and 3x the stock server. New accounts skip
loading EC2's default machine images (MOTO_EC2_LOAD_DEFAULT_AMIS=false), half of seeding's server CPU;
labcheck never reads images.

moto 5.2.5 does not implement two reads the lab makes, CloudTrail LookupEvents and Logs
GetDataProtectionPolicy, and answers them with HTTP 500, which botocore retries with backoff: 8 extra
requests and about 0.9 s per learner that real AWS never causes. This server answers both as AWS does for
an account with no Bedrock events and a log group without a policy (labcheck reads a missing
`policyDocument` as no policy), without reaching moto.
"""

from __future__ import annotations

import argparse
import functools
import json
import logging
import os
from collections.abc import Callable, Iterable
from typing import Any

# X-Amz-Target of each read moto lacks -> its answer for an account with nothing to show, from the request.
UNIMPLEMENTED_READS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents": lambda _: {"Events": []},
    "Logs_20140328.GetDataProtectionPolicy": lambda body: {"logGroupIdentifier": body.get("logGroupIdentifier", "")},
}


def remember_pure_lookups() -> None:
    """Patch the three lookups over moto's modules, in this process only."""
    import moto.backends
    import moto.core.responses
    import moto.core.utils
    import moto.iam.models

    modules = tuple(moto.backends.list_of_moto_modules())
    moto.backends.list_of_moto_modules = lambda: modules  # type: ignore[assignment]

    names = functools.cache(lambda cls: tuple(moto.core.utils.method_names_from_class(cls)))
    moto.core.responses.method_names_from_class = names  # type: ignore[assignment]

    scan = moto.iam.models.get_account_id_from
    last_seen: dict[str, str] = {}

    def holds(account_id: str, access_key: str) -> bool:
        account: Any = dict.get(moto.iam.models.iam_backends, account_id)  # dict.get: never creates a backend
        return account is not None and any(access_key in b.access_keys for b in list(dict.values(account)))

    def account_of(access_key: str) -> str:
        known = last_seen.get(access_key)
        if known is not None and holds(known, access_key):
            return known
        found = scan(access_key)
        if holds(found, access_key):
            last_seen[access_key] = found
        return found

    moto.iam.models.get_account_id_from = account_of


def answer_unimplemented_reads(app: Callable[..., Iterable[bytes]]) -> Callable[..., Iterable[bytes]]:
    """WSGI middleware: answers UNIMPLEMENTED_READS itself and passes every other request to moto's app."""

    def wsgi(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        answer = UNIMPLEMENTED_READS.get(environ.get("HTTP_X_AMZ_TARGET", ""))
        if answer is None:
            return app(environ, start_response)
        size = int(environ.get("CONTENT_LENGTH") or 0)
        payload = json.dumps(answer(json.loads(environ["wsgi.input"].read(size) or b"{}"))).encode()
        headers = [("Content-Type", "application/x-amz-json-1.1"), ("Content-Length", str(len(payload)))]
        start_response("200 OK", headers)
        return [payload]

    return wsgi


def serve(port: int, threads: int) -> None:
    """Serve moto's app on 127.0.0.1:port until killed."""
    os.environ.setdefault("MOTO_PORT", str(port))  # as moto.server does: some backends call back on it
    os.environ.setdefault("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")
    remember_pure_lookups()
    import waitress
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    logging.getLogger("waitress.queue").setLevel(logging.ERROR)  # "task queue depth" notes under load
    app = answer_unimplemented_reads(DomainDispatcherApplication(create_backend_app))
    waitress.serve(app, host="127.0.0.1", port=port, threads=threads, connection_limit=2000, _quiet=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("port", type=int)
    parser.add_argument("--threads", type=int, default=8)
    arguments = parser.parse_args()
    serve(arguments.port, arguments.threads)
