"""Cohort fixtures: one moto server on 127.0.0.1 holding every learner's account, and a graded cohort."""

from __future__ import annotations

import pytest
from cohort_helpers import (
    COHORT,
    LAB,
    REGION,
    STALLED,
    Faults,
    Graded,
    Member,
    apply_environment,
    instructor_environment,
    opener_with,
    run_cli,
    write_roster,
)

from labcheck.catalog import get_lab
from labcheck.cli import grade_command
from labcheck.testing.moto_server import account_session, client_factory


@pytest.fixture(scope="session")
def deployed(moto_url: str) -> tuple[Member, ...]:
    """The cohort, each member's variant deployed into their own account."""
    scenario = get_lab(LAB).scenario()
    for member in COHORT:
        if member.variant:
            scenario.deploy(client_factory(moto_url, account_session(moto_url, member.account, REGION)), member.variant)
    return COHORT


@pytest.fixture
def instructor(moto_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    apply_environment(monkeypatch, instructor_environment(moto_url))
    return moto_url


@pytest.fixture
def faults(monkeypatch: pytest.MonkeyPatch) -> Faults:
    """Faults for the cohort, installed on the session every `labcheck grade` opens."""
    injected = Faults((*COHORT, STALLED))
    monkeypatch.setattr(grade_command, "open_accounts", opener_with(injected))
    return injected


@pytest.fixture(scope="session")
def graded_cohort(deployed: tuple[Member, ...], moto_url: str, tmp_path_factory: pytest.TempPathFactory) -> Graded:
    """The mixed cohort graded once by `labcheck grade`, shared by the tests that read its outputs."""
    base = tmp_path_factory.mktemp("graded")
    roster = write_roster(base / "roster.csv", deployed)
    with pytest.MonkeyPatch.context() as patch:
        apply_environment(patch, instructor_environment(moto_url))
        injected = Faults(deployed)
        patch.setattr(grade_command, "open_accounts", opener_with(injected))
        out = base / "out"
        run = run_cli("grade", LAB, "--roster", str(roster), "--out", str(out), "--concurrency", "4", "--timeout", "60")
    return Graded(out, run, injected)
