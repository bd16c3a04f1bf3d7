"""A local ARM emulator over HTTPS on 127.0.0.1, serving a FakeArm to a `labcheck` subprocess.

HTTPS is kept because azure-core's bearer-token policy rightly refuses to send a token over plain HTTP;
the emulator's certificate comes from a throwaway CA (trustme). `emulator_env` gives the variables that
point labcheck at it: LABCHECK_AZURE_ARM_URL, LABCHECK_AZURE_TOKEN and LABCHECK_AZURE_CA_BUNDLE.
"""

from __future__ import annotations

import json
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from labcheck.testing.arm import FAKE_SUBSCRIPTION, FAKE_TOKEN, FakeArm


class _Handler(BaseHTTPRequestHandler):
    server: _ArmServer
    disable_nagle_algorithm = True  # headers and body in one segment: no delayed-ACK stall per request

    def _answer(self) -> None:
        if self.headers.get("Authorization") != f"Bearer {FAKE_TOKEN}":
            status, body = 401, {"error": {"code": "InvalidAuthenticationToken", "message": "bad token"}}
        else:
            status, body = self.server.arm.answer(self.command, self.path)
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_PUT = do_POST = do_PATCH = do_DELETE = _answer  # noqa: N815 - http.server's naming

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet: tests read the FakeArm call log instead."""


class _ArmServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, arm: FakeArm) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.arm = arm


@contextmanager
def arm_emulator(arm: FakeArm, folder: Path) -> Iterator[dict[str, str]]:
    """Serve `arm` over HTTPS on 127.0.0.1; yields the environment that points labcheck at it."""
    import trustme

    authority = trustme.CA()
    certificate = authority.issue_cert("127.0.0.1")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    certificate.configure_cert(context)
    bundle = folder / "arm-emulator-ca.pem"
    authority.cert_pem.write_to_path(str(bundle))
    server = _ArmServer(arm)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield emulator_env(f"https://127.0.0.1:{server.server_address[1]}", bundle)
    finally:
        server.shutdown()
        server.server_close()


def emulator_env(url: str, bundle: Path, subscription_id: str = FAKE_SUBSCRIPTION) -> dict[str, str]:
    """The variables that point a labcheck process at an ARM emulator."""
    return {
        "LABCHECK_AZURE_ARM_URL": url,
        "LABCHECK_AZURE_TOKEN": FAKE_TOKEN,
        "LABCHECK_AZURE_CA_BUNDLE": str(bundle),
        "AZURE_SUBSCRIPTION_ID": subscription_id,
    }
