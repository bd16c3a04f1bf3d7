"""Faults: throttling through a chaos proxy changes no verdict when retries absorb it, and becomes ERROR when not.

`labcheck verify` runs in this process with AWS_ENDPOINT_URL pointing at a ChaosProxy in front of the
moto server; the proxy throttles a seeded share of requests with protocol-shaped errors
(labcheck.testing.chaos_proxy), which botocore's standard retry mode retries with jittered backoff.

Retry budget. At a 30% failure rate a request fails all of its n attempts with probability 0.3**n. One
verify of the reference against moto makes 27 requests, so a run keeps every verdict with probability
(1 - 0.3**n)**27: 48% with 3 attempts, 94% with labcheck's default of 5, 99.4% with 7. The default stays
at 5 so that a call throttled every time gives up in about 15 s; instructors grading heavily throttled
accounts pass `--max-attempts 7`. The verdict comparison below runs with the budget that meets TARGET
(attempts_needed), as that flag would set it.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any

import pytest
from trust_support import VERIFY, Run, run_in_process

from labcheck import permissions
from labcheck.catalog import get_lab
from labcheck.cli import verify_command
from labcheck.providers.aws.session import DEFAULT_MAX_ATTEMPTS, AwsOptions
from labcheck.testing.chaos_proxy import ChaosProxy

LAB = get_lab("aws-bedrock-privatelink")
JSON = ("--format", "json")
RATE = 0.3
TARGET = 0.99
"""The share of verify runs that must keep every verdict at RATE."""
SEEDS = (1, 2, 3)
BACKOFF_SCALE = 0.02
"""The 30% runs scale botocore's sleeps (not its decisions) down 50x: verdicts depend on attempts, not time."""


def attempts_needed(requests: int, rate: float = RATE, target: float = TARGET) -> int:
    """The fewest total attempts per request that keep all `requests` succeeding with probability `target`."""
    attempts = 1
    while (1 - rate**attempts) ** requests < target:
        attempts += 1
    return attempts


def verify_through(proxy: ChaosProxy, env: dict[str, str]) -> tuple[Run, float]:
    started = time.perf_counter()
    run = run_in_process([*VERIFY, *JSON], {**env, "AWS_ENDPOINT_URL": proxy.url})
    return run, time.perf_counter() - started


@pytest.fixture(scope="module")
def clean(moto_url, reference) -> tuple[Run, int]:
    """The reference graded through a transparent proxy: the run, and how many requests it made."""
    with ChaosProxy(moto_url, rate=0) as proxy:
        run, _ = verify_through(proxy, reference[1])
    return run, sum(proxy.requests.values())


@pytest.fixture
def budget(monkeypatch, clean) -> int:
    """Open AWS with the retry budget the 30% requirement needs (the default if that is already enough)."""
    attempts = max(DEFAULT_MAX_ATTEMPTS, attempts_needed(clean[1]))
    options_for = verify_command.provider_options

    def with_budget(*args: Any, **kwargs: Any) -> Any:
        options = options_for(*args, **kwargs)
        return dataclasses.replace(options, max_attempts=attempts) if isinstance(options, AwsOptions) else options

    monkeypatch.setattr(verify_command, "provider_options", with_budget)
    return attempts


@pytest.fixture
def fast_backoff(monkeypatch) -> None:
    from botocore.retries import standard

    delay = standard.ExponentialBackoff.delay_amount
    monkeypatch.setattr(
        standard.ExponentialBackoff, "delay_amount", lambda self, context: delay(self, context) * BACKOFF_SCALE
    )


def test_the_clean_run_through_the_proxy(clean):
    run, requests = clean
    assert run.code == 0, run.stderr
    kept = (1 - RATE**DEFAULT_MAX_ATTEMPTS) ** requests
    print(f"\nclean verify: {requests} requests; {DEFAULT_MAX_ATTEMPTS} attempts keep all verdicts with p={kept:.2f}")
    assert 20 <= requests <= 60


def test_the_default_budget_keeps_most_runs_and_the_flag_covers_the_rest(clean):
    requests = clean[1]
    assert (1 - RATE**DEFAULT_MAX_ATTEMPTS) ** requests >= 0.9
    assert attempts_needed(requests) <= 10  # within what --max-attempts accepts


@pytest.mark.parametrize("seed", SEEDS)
def test_verdicts_through_30_percent_throttling_match_a_clean_run(
    moto_url, reference, clean, budget, fast_backoff, seed
):
    with ChaosProxy(moto_url, rate=RATE, seed=seed) as proxy:
        run, elapsed = verify_through(proxy, reference[1])
    failed, total = sum(proxy.failed.values()), sum(proxy.requests.values())
    print(f"\nseed {seed}: {failed}/{total} requests throttled, {budget} attempts, {elapsed:.1f} s", end="")
    print(f" (backoff x{BACKOFF_SCALE})")
    assert failed >= 3  # the proxy did throttle
    assert run.code == clean[0].code, run.stderr
    assert run.statuses() == clean[0].statuses()


SERVICES_REACHED = sorted({a.split(":")[0] for a in permissions.actions([LAB])} - {"s3"})
"""s3 is declared (s3:GetEncryptionConfiguration) but the reference logs to CloudWatch only: no s3 request."""


def uses(service: str) -> set[str]:
    """The checks that declare an action of the service."""
    return {c.id for c in LAB.checks if any(a.startswith(f"{service}:") for a in c.spec.permissions)}


@pytest.mark.parametrize("service", SERVICES_REACHED)
def test_a_service_that_always_throttles_errors_its_checks_only(moto_url, reference, clean, service):
    """Real backoff and labcheck's own budget: bounded by the attempts, never a FAIL."""
    with ChaosProxy(moto_url, rate=1.0, services={service}) as proxy:
        run, elapsed = verify_through(proxy, reference[1])
    failed = proxy.failed[service]
    print(f"\n{service}: {failed} requests throttled, all failed; verify took {elapsed:.1f} s")
    assert failed >= DEFAULT_MAX_ATTEMPTS
    # each failed attempt but the last of a call sleeps at most min(2**i, 20) s
    worst_sleep = sum(min(2**i, 20) for i in range(DEFAULT_MAX_ATTEMPTS - 1)) * failed / DEFAULT_MAX_ATTEMPTS
    assert elapsed < worst_sleep + 15
    results, clean_statuses = run.results(), clean[0].statuses()
    for check_id, result in results.items():
        if check_id in uses(service):
            assert result["status"] == "error", result
            assert "still throttled after retries" in result["message"], result
        else:
            assert result["status"] == clean_statuses[check_id], result
    required = {c.id for c in LAB.checks if c.required}
    assert run.code == (2 if uses(service) & required else clean[0].code)
