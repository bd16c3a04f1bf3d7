"""Cohort grading at scale against one moto server: learners/s, API calls/s against the server's own
saturation rate, and peak RSS. Prints; never asserts.

Run: .venv/bin/python benchmarks/cohort.py [--learners 1000] [--concurrency 16] [--latency-ms 50] [--pin]
                                           [--stock-server]
On 2 cores, labcheck and the server each need about one core: try `--concurrency 96 --latency-ms 50` for the
latency target. More threads than that without latency only add contention for Python's GIL. Without --pin
the two share both cores, and the lighter saturation loop leaves the server more CPU than grading does;
--pin gives the server a core of its own in both phases, so "server CPU while grading" next to "saturated"
shows directly whether labcheck keeps the server busy. Figures vary by 15% or so between runs on a shared VM;
the CPU that plain boto3 spends per call, printed alongside, is the yardstick for labcheck's own.

* The moto server runs as its own process on 127.0.0.1, so its CPU and memory are not this process's. It
  shares the machine's cores with this process (unless --pin), as it would with a CI runner. By default it
  is moto's app with three per-request lookups remembered (quick_moto.py: about 3x the calls/s, and no
  slowdown as accounts are added) that also answers the two reads moto lacks, CloudTrail LookupEvents and
  Logs GetDataProtectionPolicy, as AWS does for an empty account, where moto answers HTTP 500 and botocore
  retries (8 more requests and about 0.9 s of backoff per learner); --stock-server runs
  `python -m moto.server` as shipped.
* N learner accounts are seeded by a child process (so its clients do not count towards this process's
  peak RSS): each the reference architecture, or, for every third learner, one of the lab's breakages.
  Its threads share one client per service, each signing as the account it seeds (1,000 in about 70 s).
* Grading goes through the same code as `labcheck grade`: the roster is a CSV read by `load_roster`,
  accounts are opened by `grade_command.open_accounts` (fake instructor keys, AWS_ENDPOINT_URL), then
  `preflight`, `grade_cohort` (results.jsonl, fsync per learner) and `write_gradebook`.
* API calls are HTTP attempts counted by a `before-send` hook on every session of the run, AssumeRole
  included (about 23 per learner).
* Saturation: after grading, the same number of threads call the server in a closed loop with plain
  boto3 clients, with the grading run's mix of services, for --saturation-s seconds. The CPU this process
  spends per call in that loop is printed next to labcheck's, as the floor a botocore call costs.
* --latency-ms puts a delaying proxy between labcheck and the server: a TCP relay (an asyncio child process
  on 127.0.0.1) that holds each chunk of request bytes that long before passing it on, as a network with
  that one-way latency would, and passes answers straight back. It reads no HTTP, so it costs little CPU
  next to labcheck and the server on a small machine. Saturation is always measured against the server.
* Peak RSS: this process's ru_maxrss (getrusage), read right after the gradebook files are written.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import itertools
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

LAB = "aws-bedrock-privatelink"
REGION = "eu-central-1"
ROLE = "labcheck-grader"
FIRST_ACCOUNT = 600_000_000_000
FAKE = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


def free_port() -> int:
    from labcheck.testing.moto_server import free_port as pick

    return pick()


def wait_until_up(url: str, limit_s: float = 30) -> None:
    deadline = time.monotonic() + limit_s
    while True:
        try:
            urllib.request.urlopen(f"{url}/moto-api/", timeout=2).read()  # 127.0.0.1 only
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def variant_of(index: int, breakages: list[str]) -> str:
    return breakages[(index // 3) % len(breakages)] if index % 3 == 2 else "reference"


def account_of(index: int) -> str:
    return f"{FIRST_ACCOUNT + index:012d}"


# --- child process: seeding -------------------------------------------------------------------------


def shared_clients(url: str) -> Callable[[str], Any]:
    """A client factory whose clients, one per service, sign as the account `reading_as` binds."""
    import botocore.session

    from labcheck.providers.aws.clients import bound_session

    session = bound_session(botocore.session.get_session().get_component("data_loader"))
    clients: dict[str, Any] = {}
    lock = threading.Lock()

    def client(service: str) -> Any:
        with lock:  # creating clients is not thread-safe; using them is
            made = clients.get(service) or session.client(service, region_name=REGION, endpoint_url=url)
            return clients.setdefault(service, made)

    return client


def seed(url: str, learners: int, threads: int) -> None:
    """Deploy every learner's variant into their account. Creating a boto3 client costs more than deploying,
    so one client per service serves every thread, each signing as the account it seeds."""
    import boto3

    from labcheck.catalog import get_lab
    from labcheck.providers.aws.clients import AccountBinding, AccountKeys, reading_as

    client = shared_clients(url)
    scenario = get_lab(LAB).scenario()
    breakages = sorted(n for n, v in scenario.VARIANTS.items() if v.breaks)
    lock = threading.Lock()
    indexes = iter(range(learners))
    done = itertools.count(1)

    def worker() -> None:
        with lock:
            sts = boto3.Session(region_name=REGION, **FAKE).client("sts", endpoint_url=url)
        while (index := next(indexes, None)) is not None:  # next() on one iterator: the GIL keeps it whole
            role = f"arn:aws:iam::{account_of(index)}:role/{ROLE}"
            found = sts.assume_role(RoleArn=role, RoleSessionName="seed")["Credentials"]
            keys = AccountKeys(found["AccessKeyId"], found["SecretAccessKey"], found["SessionToken"])
            with reading_as(AccountBinding(keys)):
                scenario.deploy(client, variant_of(index, breakages))
            if (count := next(done)) % 100 == 0:
                print(f"  seeded {count}/{learners}", file=sys.stderr, flush=True)

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()


# --- child process: the delaying relay -------------------------------------------------------------


async def hold_and_forward(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, delay_s: float) -> None:
    """Copy bytes from reader to writer, each chunk `delay_s` after it arrived, in order."""
    loop = asyncio.get_running_loop()
    held: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

    async def release() -> None:
        while True:
            due, data = await held.get()
            await asyncio.sleep(max(0.0, due - loop.time()))
            if not data:
                writer.close()
                return
            writer.write(data)

    releasing = asyncio.create_task(release())
    while True:
        data = await reader.read(65536)
        held.put_nowait((loop.time() + delay_s, data))
        if not data:
            break
    await releasing


async def relay(upstream_port: int, port: int, delay_s: float) -> None:
    """A TCP relay to the server that holds every chunk of a request for `delay_s`; answers go straight back."""

    async def connect(client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        server_reader, server_writer = await asyncio.open_connection("127.0.0.1", upstream_port)
        try:
            await asyncio.gather(
                hold_and_forward(client_reader, server_writer, delay_s),
                hold_and_forward(server_reader, client_writer, 0.0),
            )
        except OSError:  # a side hung up mid-request: the other side sees the connection close
            server_writer.close()
            client_writer.close()

    server = await asyncio.start_server(connect, "127.0.0.1", port, backlog=1024)
    async with server:
        await server.serve_forever()


# --- this process: grading and saturation -----------------------------------------------------------


def grade(url: str, learners: int, concurrency: int, workdir: Path, helpers: dict[str, int]) -> dict[str, Any]:
    """Grade the cohort through labcheck grade's own functions; wall time, calls, outcomes and the CPU share
    of this process and of each helper process (name -> pid)."""
    os.environ.update(
        AWS_ENDPOINT_URL=url,
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        AWS_EC2_METADATA_DISABLED="true",
    )
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN"):
        os.environ.pop(name, None)
    from labcheck.catalog import get_lab
    from labcheck.cli.grade_command import open_accounts
    from labcheck.cohort.gradebook import write_gradebook
    from labcheck.cohort.grading import GradeOptions, grade_cohort
    from labcheck.cohort.roster import load_roster

    lab = get_lab(LAB)
    roster = workdir / "roster.csv"
    rows = [f"l{i:05d},arn:aws:iam::{account_of(i)}:role/{ROLE},ext-{i},{REGION}" for i in range(learners)]
    roster.write_text("\n".join(["id,role_arn,external_id,region", *rows]) + "\n", encoding="utf-8")
    calls: collections.Counter[str] = collections.Counter()
    lock = threading.Lock()

    def count(event_name: str, **_: Any) -> None:
        with lock:
            calls[event_name.split(".")[1]] += 1

    clock = time.perf_counter()
    roster_learners = load_roster(roster, lab)
    accounts = open_accounts(None, 300)
    accounts.on_request(count)
    accounts.preflight(roster_learners)
    setup_s = time.perf_counter() - clock
    clock, own_cpu = time.perf_counter(), time.process_time()
    helper_cpu = {name: cpu_seconds(pid) for name, pid in helpers.items()}
    records = grade_cohort(lab, roster_learners, accounts, workdir / "out", GradeOptions(concurrency, timeout_s=300))
    grading_s = time.perf_counter() - clock
    own_cpu = time.process_time() - own_cpu
    helper_cpu = {name: cpu_seconds(pid) - helper_cpu[name] for name, pid in helpers.items()}
    clock = time.perf_counter()
    write_gradebook(workdir / "out", records)
    return {
        "setup_s": setup_s,
        "grading_s": grading_s,
        "gradebook_s": time.perf_counter() - clock,
        "calls": calls,
        "own_cpu": own_cpu / grading_s,
        "helper_cpu": {name: seconds / grading_s for name, seconds in helper_cpu.items()},
        "statuses": collections.Counter(r["status"] for r in records),
        "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


# The saturation loop's call per service, keyed by the event names grading's counter used: (client, call).
# GetCallerIdentity stands in for grading's AssumeRole, which would mint new keys in the server on every call.
SATURATION_CALLS: dict[str, tuple[str, Callable[[Any], Any]]] = {
    "sts": ("sts", lambda c: c.get_caller_identity()),
    "ec2": ("ec2", lambda c: c.describe_vpcs(Filters=[{"Name": "tag:labcheck-lab", "Values": [LAB]}])),
    "iam": ("iam", lambda c: c.list_role_policies(RoleName="labcheck-app")),
    "lambda": ("lambda", lambda c: c.list_functions()),
    "cloudwatch-logs": ("logs", lambda c: c.describe_log_groups()),
    "cloudtrail": ("cloudtrail", lambda c: c.lookup_events(MaxResults=50)),
    "kms": ("kms", lambda c: c.list_keys()),
    "bedrock": ("bedrock", lambda c: c.get_model_invocation_logging_configuration()),
}


def saturation_clients(url: str, threads: int, learners: int) -> list[dict[str, Any]]:
    """One set of plain boto3 clients per thread, each set in a seeded account of its own (the server's cost
    per call may depend on the account), making one attempt per call: an error answer is one call served."""
    import boto3
    from botocore.config import Config

    session = boto3.Session(region_name=REGION, **FAKE)
    sts = session.client("sts", endpoint_url=url)
    once = Config(retries={"mode": "standard", "max_attempts": 1})
    clients = []
    for slot in range(threads):
        role = f"arn:aws:iam::{account_of(slot % learners)}:role/{ROLE}"
        keys = sts.assume_role(RoleArn=role, RoleSessionName="saturation")["Credentials"]
        secret = {
            "aws_access_key_id": keys["AccessKeyId"],
            "aws_secret_access_key": keys["SecretAccessKey"],
            "aws_session_token": keys["SessionToken"],
        }
        calls = SATURATION_CALLS.items()
        clients.append(
            {event: session.client(name, endpoint_url=url, config=once, **secret) for event, (name, _) in calls}
        )
    return clients


def saturation(
    url: str, threads: int, mix: collections.Counter[str], seconds: float, server_pid: int, learners: int
) -> tuple[float, float, float]:
    """Calls/s of plain boto3 clients in a closed loop with the grading run's mix of services; the server's
    CPU share meanwhile; and this process's CPU seconds per call."""
    from botocore.exceptions import ClientError

    plan = [service for service, n in mix.items() if service in SATURATION_CALLS for _ in range(n)]
    clients = saturation_clients(url, threads, learners)
    done = [0] * threads
    start_at = time.monotonic() + 1.0  # a second of warm-up
    stop_at = start_at + seconds

    def loop(slot: int) -> None:
        own = clients[slot]
        for service in itertools.cycle(plan[slot::threads] or plan):
            now = time.monotonic()
            if now > stop_at:
                return
            with contextlib.suppress(ClientError):  # e.g. the stock server's HTTP 500: still a call it served
                SATURATION_CALLS[service][1](own[service])
            if now >= start_at:
                done[slot] += 1

    pool = [threading.Thread(target=loop, args=(i,)) for i in range(threads)]
    for thread in pool:
        thread.start()
    time.sleep(max(0.0, start_at - time.monotonic()))
    server_cpu, own_cpu = cpu_seconds(server_pid), time.process_time()
    for thread in pool:
        thread.join()
    own_cpu = time.process_time() - own_cpu
    return sum(done) / seconds, (cpu_seconds(server_pid) - server_cpu) / seconds, own_cpu / max(1, sum(done))


def main() -> None:
    parser = argparse.ArgumentParser(description="Cohort grading against one moto server with N learner accounts.")
    parser.add_argument("--learners", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--latency-ms", type=float, default=0.0, help="delay per request through a local relay")
    parser.add_argument("--saturation-s", type=float, default=8.0)
    parser.add_argument("--seed-threads", type=int, default=8)
    parser.add_argument("--stock-server", action="store_true", help="python -m moto.server, as shipped")
    parser.add_argument("--pin", action="store_true", help="server on the last core, grading on the others")
    parser.add_argument("--seed", nargs=2, metavar=("URL", "N"), help=argparse.SUPPRESS)
    parser.add_argument("--serve-proxy", nargs=3, metavar=("UPSTREAM", "PORT", "DELAY"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.seed:
        return seed(args.seed[0], int(args.seed[1]), args.seed_threads)
    if args.serve_proxy:
        return asyncio.run(relay(int(args.serve_proxy[0]), int(args.serve_proxy[1]), float(args.serve_proxy[2])))
    run(args)
    return None


def pin_apart(server_pid: int) -> None:
    """Give the server the last core and this process the others, so that neither takes the other's CPU."""
    cores = sorted(os.sched_getaffinity(0))
    if len(cores) < 2:
        raise SystemExit("--pin needs at least 2 cores")
    os.sched_setaffinity(server_pid, {cores[-1]})
    os.sched_setaffinity(0, set(cores[:-1]))


def run(args: argparse.Namespace) -> None:
    children: list[subprocess.Popen[bytes]] = []
    quiet: dict[str, Any] = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    try:
        port = free_port()
        stock = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
        quick = [sys.executable, str(Path(__file__).with_name("quick_moto.py")), str(port)]
        server = subprocess.Popen(stock if args.stock_server else quick, **quiet)
        children.append(server)
        url = f"http://127.0.0.1:{port}"
        wait_until_up(url)
        clock = time.perf_counter()
        subprocess.run([sys.executable, __file__, "--seed", url, str(args.learners)], check=True)
        print(f"seeded {args.learners} learner accounts in {time.perf_counter() - clock:.1f} s", file=sys.stderr)
        target, helpers = url, {"server": server.pid}
        if args.pin:
            pin_apart(server.pid)
        if args.latency_ms:
            proxy_port = free_port()
            delay = str(args.latency_ms / 1000)
            proxy = [sys.executable, __file__, "--serve-proxy", str(port), str(proxy_port), delay]
            children.append(subprocess.Popen(proxy, **quiet))
            target, helpers["relay"] = f"http://127.0.0.1:{proxy_port}", children[-1].pid
            wait_until_up(target)
        with tempfile.TemporaryDirectory() as scratch:
            graded = grade(target, args.learners, args.concurrency, Path(scratch), helpers)
        saturated = saturation(url, args.concurrency, graded["calls"], args.saturation_s, server.pid, args.learners)
    finally:
        for child in children:
            child.terminate()
            child.wait()
    report(args, graded, saturated)


def report(args: argparse.Namespace, graded: dict[str, Any], measured: tuple[float, float, float]) -> None:
    saturated, saturated_cpu, boto3_cpu_per_call = measured
    n, wall = args.learners, graded["grading_s"]
    calls = sum(graded["calls"].values())
    rate = calls / wall
    per_1000 = wall * 1000 / n
    print(f"labcheck grade {LAB}: {n} learners, --concurrency {args.concurrency}, latency {args.latency_ms:g} ms")
    server = "python -m moto.server (stock)" if args.stock_server else "moto's app via quick_moto.py"
    print(f"server: {server}" + (", on a core of its own (--pin)" if args.pin else ", sharing the cores"))
    line("figure", "value", "target", "note")
    line(
        "grading wall s", f"{wall:.1f}", "", f"setup {graded['setup_s']:.2f} s, gradebook {graded['gradebook_s']:.2f} s"
    )
    line("learners/s", f"{n / wall:.1f}", "", f"1,000 learners in ~{per_1000:.0f} s")
    line("API calls (HTTP attempts)", f"{calls}", "", f"{calls / n:.1f} per learner")
    own_ms = graded["own_cpu"] * wall / n * 1000
    line("labcheck CPU per learner", f"{own_ms:.0f} ms", "", "this process's CPU time / learners (one core: GIL)")
    per_call = f"plain boto3 in the saturation loop: {boto3_cpu_per_call * 1000:.2f} ms"
    line("labcheck CPU per API call", f"{own_ms / (calls / n):.2f} ms", "", per_call)
    line("API calls/s", f"{rate:.0f}", "", ", ".join(f"{k} {v}" for k, v in graded["calls"].most_common()))
    line("server saturation calls/s", f"{saturated:.0f}", "", f"plain boto3, {args.concurrency} threads, same mix")
    helpers = ", ".join(f"{share:.0%} {name}" for name, share in graded["helper_cpu"].items())
    cpu = f"{graded['own_cpu']:.0%} labcheck, {helpers}; saturated {saturated_cpu:.0%} server"
    line("CPU while grading", "", "", cpu)
    share = rate / saturated if saturated else 0.0
    if not args.latency_ms:
        line("labcheck / saturation", f"{share:.0%}", ">= 80%", "ok" if share >= 0.8 else "UNDER")
    else:
        ok = "ok" if per_1000 <= 60 else "OVER"
        line("1,000 learners at latency", f"{per_1000:.0f} s", "<= 60 s", f"{ok} (extrapolated from {n})")
    line("peak RSS MB", f"{graded['rss_mb']:.0f}", "<= 300", "ok" if graded["rss_mb"] <= 300 else "OVER")
    line("outcomes", str(dict(graded["statuses"])), "", "2 in 3 reference, 1 in 3 a breakage")


def line(figure: str, value: str, target: str = "", note: str = "") -> None:
    print(f"{figure:<27} {value:>12}  {target:<8} {note}")


if __name__ == "__main__":
    main()
