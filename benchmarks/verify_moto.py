"""Cost of one `labcheck verify` against a moto server: wall time, the child's peak RSS, HTTP requests.

Run: .venv/bin/python benchmarks/verify_moto.py [--runs 7]

A moto server is started on 127.0.0.1 inside this process; the reference architecture is deployed into a
fresh account (assumed role, see labcheck.testing.moto_server); then `python -m labcheck verify
aws-bedrock-privatelink --format json` runs as a subprocess, once untimed as a warm-up and then N times.

* Wall time: from spawning the child to reaping it.
* Peak RSS: the child's ru_maxrss, from `os.wait4` on its pid (no psutil, no /usr/bin/time). Linux carries
  ru_maxrss across execve, so a child spawned by this process (moto, Flask and boto3 loaded: ~260 MB)
  would report this process's RSS. The children are therefore spawned by a small launcher process started
  before any of that is imported; the figure is then the child's own peak (floor: the launcher's ~10 MB).
* Requests: counted by a WSGI middleware wrapped around the server's app (the werkzeug server's `app`
  attribute, read per request), during the timed runs only, so the deployment is not counted. Requests
  answered 5xx are counted too: they are botocore retries of operations moto does not implement.

The server shares this process, so its CPU time is not part of the child's figures. Prints; never asserts.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from labcheck.catalog import get_lab
from labcheck.testing.moto_server import account_env, account_session, client_factory, start_moto_server

LAB = "aws-bedrock-privatelink"
REGION = "eu-central-1"
ACCOUNT = "500000000001"
TARGET_S = 1.0
TARGET_MB = 150
_SERVICE = re.compile(r"Credential=[^/]+/\d{8}/[^/]+/([^/]+)/")


class RequestCounter:
    """WSGI middleware: counts requests by signing service, and the 5xx answers."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app
        self.by_service: collections.Counter[str] = collections.Counter()
        self.server_errors = 0
        self.enabled = False
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if not self.enabled:
            return self.app(environ, start_response)
        match = _SERVICE.search(environ.get("HTTP_AUTHORIZATION", ""))
        with self._lock:
            self.by_service[match.group(1) if match else "unsigned"] += 1

        def counting_start_response(status: str, *args: Any) -> Any:
            if status.startswith("5"):
                with self._lock:
                    self.server_errors += 1
            return start_response(status, *args)

        try:
            return self.app(environ, counting_start_response)
        except Exception:  # werkzeug turns it into an HTTP 500 (moto's NotImplementedError)
            with self._lock:
                self.server_errors += 1
            raise


# Reads one JSON job a line (argv, env, cwd, stdout path); runs it; answers [wall s, maxrss KiB, exit code].
_LAUNCHER = """
import json, os, subprocess, sys, time
for line in sys.stdin:
    job = json.loads(line)
    with open(job["stdout"], "w") as out:
        start = time.perf_counter()
        child = subprocess.Popen(job["argv"], env=job["env"], cwd=job["cwd"], stdout=out, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
    print(json.dumps([time.perf_counter() - start, usage.ru_maxrss, child.returncode]), flush=True)
"""


class Launcher:
    """A lean process that spawns the measured children, so they inherit no large ru_maxrss."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", _LAUNCHER], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )

    def run(self, env: dict[str, str], workdir: Path) -> tuple[float, int, int, dict[str, Any]]:
        """One verify: wall seconds, the child's peak RSS in KiB, its exit code and its JSON document."""
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        out = workdir / "verify.json"
        argv = [sys.executable, "-m", "labcheck", "verify", LAB, "--region", REGION, "--format", "json"]
        job = {"argv": argv, "env": env, "cwd": str(workdir), "stdout": str(out)}
        self.process.stdin.write(json.dumps(job) + "\n")
        self.process.stdin.flush()
        wall, maxrss, code = json.loads(self.process.stdout.readline())
        return wall, maxrss, code, json.loads(out.read_text())

    def close(self) -> None:
        """Let the launcher finish."""
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description="Cost of labcheck verify against a moto server.")
    parser.add_argument("--runs", type=int, default=7, help="timed runs (default 7)")
    runs = parser.parse_args().runs
    launcher = Launcher()  # first, while this process is still small

    server, url = start_moto_server()
    counter = RequestCounter(server._server.app)  # the werkzeug server reads .app per request
    server._server.app = counter
    try:
        session = account_session(url, ACCOUNT, REGION)
        get_lab(LAB).scenario().deploy(client_factory(url, session), "reference")
        environment = {k: os.environ[k] for k in ("PATH", "HOME", "SYSTEMROOT") if k in os.environ}
        environment |= account_env(url, session)
        with tempfile.TemporaryDirectory() as scratch:
            workdir = Path(scratch)
            launcher.run(environment, workdir)  # warm-up: bytecode caches, moto's lazily built backends
            counter.enabled = True
            samples = [launcher.run(environment, workdir) for _ in range(runs)]
            counter.enabled = False
    finally:
        launcher.close()
        server.stop()

    walls = [s[0] for s in samples]
    peak_mb = max(s[1] for s in samples) / 1024
    codes = collections.Counter(s[2] for s in samples)
    counts = collections.Counter(r["status"] for r in samples[-1][3]["results"])
    requests = sum(counter.by_service.values()) / runs
    per_service = ", ".join(f"{k} {v / runs:g}" for k, v in counter.by_service.most_common())
    median = statistics.median(walls)
    in_report = statistics.median(s[3]["duration_s"] for s in samples)

    parent_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"labcheck verify {LAB} --format json against moto on {url}: {runs} timed runs after 1 warm-up")
    line("figure", "value", "target", "note")
    line("wall median s", f"{median:.3f}", "<= 1.0", "ok" if median <= TARGET_S else "OVER")
    line("wall min / max s", f"{min(walls):.3f}/{max(walls):.3f}")
    line("report duration_s median", f"{in_report:.3f}", "", "time inside run_lab")
    line("child peak RSS MB", f"{peak_mb:.1f}", "<= 150", "ok" if peak_mb <= TARGET_MB else "OVER")
    line("parent peak RSS MB", f"{parent_mb:.1f}", "", "this process: moto server + deploy (not the child)")
    line("HTTP requests per verify", f"{requests:g}", "", per_service)
    line("  of which HTTP 500", f"{counter.server_errors / runs:g}", "", "moto NotImplemented, retried by botocore")
    line("exit codes", str(dict(codes)), "", f"last run: {dict(counts)}")


def line(figure: str, value: str, target: str = "", note: str = "") -> None:
    print(f"{figure:<26} {value:>13}  {target:<7} {note}")


if __name__ == "__main__":
    main()
