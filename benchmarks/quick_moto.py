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
"""

from __future__ import annotations

import argparse
import functools
import logging
import os
from typing import Any


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


def serve(port: int, threads: int) -> None:
    """Serve moto's app on 127.0.0.1:port until killed."""
    os.environ.setdefault("MOTO_PORT", str(port))  # as moto.server does: some backends call back on it
    os.environ.setdefault("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")
    remember_pure_lookups()
    import waitress
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    logging.getLogger("waitress.queue").setLevel(logging.ERROR)  # "task queue depth" notes under load
    app = DomainDispatcherApplication(create_backend_app)
    waitress.serve(app, host="127.0.0.1", port=port, threads=threads, connection_limit=2000, _quiet=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("port", type=int)
    parser.add_argument("--threads", type=int, default=8)
    arguments = parser.parse_args()
    serve(arguments.port, arguments.threads)
