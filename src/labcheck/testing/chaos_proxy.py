"""A fault-injecting HTTP proxy on 127.0.0.1 in front of a moto server (testing-clouds.md §4.1).

It forwards every request unchanged (the Host header too, so SigV4 signatures still verify) and answers a
seeded random share of them itself with an error shaped like the real service's, so botocore parses it,
classifies it and retries it as it would in AWS:

| protocol, told from the request                 | injected throttle                                   |
|-------------------------------------------------|-----------------------------------------------------|
| json: an X-Amz-Target header (kms, logs, ...)   | 400 {"__type": "ThrottlingException"}               |
| query: form-urlencoded body (ec2, iam, sts)     | 503 XML RequestLimitExceeded                        |
| rest-xml: signed for s3                         | 503 XML SlowDown                                    |
| rest-json: anything else (bedrock, lambda, ...) | 429 with x-amzn-ErrorType: ThrottlingException      |

Besides throttling it can answer a denial (AccessDenied, 403) or an expired session token (ExpiredToken,
400), for tests of those paths. `services` limits the faults to requests signed for those services.

Every loop is bounded: the server stops itself after `lifetime_s`, and upstream calls time out. Request
bodies are read by Content-Length (botocore sends one for every read); chunked uploads are not supported.
"""

from __future__ import annotations

import http.client
import json
import random
import re
import threading
import urllib.parse
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

from labcheck.testing.moto_server import LOOPBACK

FAULTS = ("throttle", "denied", "expired-token")
_SIGNED_FOR = re.compile(r"Credential=[^/,]+/\d{8}/[^/]+/([^/]+)/")
_HOP_BY_HOP = {
    "connection",
    "expect",  # the proxy has already read the whole body
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
}
UPSTREAM_TIMEOUT_S = 30


@dataclass(frozen=True)
class Injected:
    """An error answer: status, headers and body."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes


def protocol_of(headers: Message, service: str) -> str:
    """The wire protocol of a request: json, query, rest-xml or rest-json."""
    if headers.get("X-Amz-Target"):
        return "json"
    if (headers.get("Content-Type") or "").lower().startswith("application/x-www-form-urlencoded"):
        return "query"
    if service == "s3":
        return "rest-xml"
    return "rest-json"


_CODES = {
    # fault -> (code for json/rest-json, code for query/rest-xml, HTTP status for json, query, rest-json)
    "throttle": ("ThrottlingException", "RequestLimitExceeded", (400, 503, 429)),
    "denied": ("AccessDeniedException", "AccessDenied", (403, 403, 403)),
    "expired-token": ("ExpiredTokenException", "ExpiredToken", (400, 400, 400)),
}


def injected_error(fault: str, protocol: str) -> Injected:
    """The error a service of that protocol sends for the fault, as botocore expects to parse it."""
    json_code, xml_code, (json_status, query_status, rest_status) = _CODES[fault]
    message = f"injected by the labcheck chaos proxy: {fault}"
    if protocol == "json":
        body = json.dumps({"__type": json_code, "message": message}).encode()
        return Injected(json_status, (("Content-Type", "application/x-amz-json-1.1"),), body)
    if protocol == "query":
        body = (
            f"<Response><Errors><Error><Code>{xml_code}</Code><Message>{message}</Message></Error></Errors>"
            "<RequestID>chaos</RequestID></Response>"
        ).encode()
        return Injected(query_status, (("Content-Type", "text/xml"),), body)
    if protocol == "rest-xml":
        code = "SlowDown" if fault == "throttle" else xml_code
        body = f"<Error><Code>{code}</Code><Message>{message}</Message></Error>".encode()
        return Injected(503 if fault == "throttle" else query_status, (("Content-Type", "application/xml"),), body)
    body = json.dumps({"message": message}).encode()
    headers = (("Content-Type", "application/json"), ("x-amzn-ErrorType", json_code))
    return Injected(rest_status, headers, body)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as botocore's connection pool expects
    disable_nagle_algorithm = True  # else headers and body leave as two segments and each call stalls ~40 ms
    proxy: ClassVar[ChaosProxy]

    def log_message(self, format: str, *args: object) -> None:
        """Stay quiet."""

    def do_GET(self) -> None:
        """Forward or fail."""
        self._handle()

    do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = do_GET  # noqa: N815 (http.server's naming)

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        match = _SIGNED_FOR.search(self.headers.get("Authorization") or "")
        service = match.group(1) if match else ""
        fault = self.proxy.decide(service)
        answer = injected_error(fault, protocol_of(self.headers, service)) if fault else self._forward(body)
        self.send_response(answer.status)
        for name, value in answer.headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(answer.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(answer.body)

    def _forward(self, body: bytes) -> Injected:
        upstream = urllib.parse.urlsplit(self.proxy.upstream)
        connection = http.client.HTTPConnection(
            upstream.hostname or LOOPBACK, upstream.port, timeout=UPSTREAM_TIMEOUT_S
        )
        try:
            connection.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
            for name, value in self.headers.items():
                if name.lower() not in _HOP_BY_HOP:
                    connection.putheader(name, value)
            connection.endheaders(body or None)
            response = connection.getresponse()
            content = response.read()
            headers = tuple(
                (k, v) for k, v in response.getheaders() if k.lower() not in _HOP_BY_HOP | {"content-length"}
            )
            return Injected(response.status, headers, content)
        except (OSError, http.client.HTTPException) as error:
            message = f"chaos proxy: upstream unreachable ({type(error).__name__})".encode()
            return Injected(502, (("Content-Type", "text/plain"),), message)
        finally:
            connection.close()


class ChaosProxy:
    """The proxy: `url` to point clients at, `stop()` (or a `with` block) to end it.

    Args:
        upstream: The moto server's base URL.
        rate: The share of eligible requests to fail, 0 to 1.
        seed: Seed of the random choice, so a run is reproducible for a given order of requests.
        services: Only requests signed for these services are eligible (None: all).
        fault: One of FAULTS.
        lifetime_s: The proxy shuts itself down after this long, whatever happens to the test.
    """

    def __init__(
        self,
        upstream: str,
        rate: float = 0.3,
        seed: int = 0,
        services: Iterable[str] | None = None,
        fault: str = "throttle",
        lifetime_s: float = 300,
    ) -> None:
        if fault not in FAULTS:
            raise ValueError(f"fault must be one of {FAULTS}, not {fault!r}")
        if not 0 <= rate <= 1:
            raise ValueError(f"rate must be within [0, 1], not {rate}")
        self.upstream = upstream.rstrip("/")
        self.rate = rate
        self.fault = fault
        self.services = frozenset(services) if services is not None else None
        self.requests: Counter[str] = Counter()
        self.failed: Counter[str] = Counter()
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        handler = type("ChaosHandler", (_Handler,), {"proxy": self})
        self._server = ThreadingHTTPServer((LOOPBACK, 0), handler)
        self._server.daemon_threads = True
        self.url = f"http://{LOOPBACK}:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
        self._deadline = threading.Timer(lifetime_s, self._server.shutdown)
        self._deadline.daemon = True
        self._stopped = False
        self._thread.start()
        self._deadline.start()

    def decide(self, service: str) -> str | None:
        """Count a request and say which fault to answer it with (None: forward it)."""
        with self._lock:
            self.requests[service] += 1
            eligible = self.services is None or service in self.services
            if eligible and self.rate > 0 and self._random.random() < self.rate:
                self.failed[service] += 1
                return self.fault
        return None

    def stop(self) -> None:
        """Stop serving and release the port."""
        if self._stopped:
            return
        self._stopped = True
        self._deadline.cancel()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> ChaosProxy:
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()
