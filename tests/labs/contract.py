"""The contract every lab's checks keep, written once and run in each lab's test module.

A lab's test module describes its cases as data (`Case`) and builds the shared tests from a `LabContract`:

    CONTRACT = LabContract(LAB, CASES)
    test_case = CONTRACT.case_test()
    ...

Each built test asks for one fixture, `subject`: the lab's fresh reference architectures and a way to grade
one check against one of them, optionally with one action denied (an `AwsSubject` over a FakeAws, or an
`ArmSubject` over a FakeArm). The subject is a fixture because the AWS references live in each lab's
conftest; what pytest needs at collection time (the lab, the cases, the tracks) is in the `LabContract`.

The contract: the reference passes every check; each case gives its status and message fragment (and a
FAIL or PENDING its check's hint); denying a declared action makes the check ERROR naming it or leaves it
as it was; each check needs some declared action; and no check calls an action it does not declare.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol

import pytest

from labcheck.catalog import Lab
from labcheck.model import Result, Status
from labcheck.runner import run_check
from labcheck.testing.arm import FakeArm, arm_responses, denied, fake_azure
from labcheck.testing.aws import FakeAws

PASS, FAIL, ERROR, PENDING = Status.PASS, Status.FAIL, Status.ERROR, Status.PENDING

Mutation = Callable[[Any], None]
TestFunction = Callable[..., None]


class Case(NamedTuple):
    """One edit of a fresh reference and what the check must say about it."""

    check_id: str
    name: str
    mutate: Mutation
    status: Status
    fragment: str
    inputs: tuple[str, ...] = ()
    track: str = ""  # which reference variant is edited, in a lab with several (aws-bedrock-rag-kb)
    hint: str = ""  # a fragment the result's hint must carry


def case_id(case: Case) -> str:
    """The case's test id: check[name], or check[track:name] in a lab with tracks."""
    return f"{case.check_id}[{on_track(case.track, case.name)}]"


def on_track(track: str, text: str) -> str:
    """The text, prefixed with its track where the lab has tracks."""
    return f"{track}:{text}" if track else text


def unchanged(architecture: Any) -> None:
    """The reference as it is."""


def assert_cases_cover_every_check(cases: Sequence[Case], check_ids: Sequence[str]) -> None:
    """Every check has a case and a failing case, and no two cases share a test id."""
    assert {c.check_id for c in cases} == set(check_ids)
    assert {c.check_id for c in cases if c.status is FAIL} == set(check_ids)
    assert len({case_id(c) for c in cases}) == len(cases), "case names must be unique per check and track"


# --- subjects: the lab's references and how a check is graded against them --------------------------


class Graded(NamedTuple):
    """A check's result and the actions (IAM or RBAC) its run called."""

    result: Result
    actions: set[str]


class Subject(Protocol):
    """A lab's fresh reference architectures and the grading of one check against one of them."""

    def fresh(self, track: str) -> Any:
        """A fresh copy of the track's reference architecture."""

    def grade(
        self, check_id: str, architecture: Any, inputs: Sequence[str] = (), denied_action: str | None = None
    ) -> Graded:
        """Run one check through the real runner, with optional key=value inputs and one action denied."""


@dataclass(frozen=True)
class AwsSubject:
    """An AWS lab's references as FakeAws factories, by track ("" where the lab has one reference)."""

    lab: Lab
    references: Mapping[str, Callable[[], FakeAws]]

    def fresh(self, track: str) -> FakeAws:
        """A fresh copy of the track's reference architecture."""
        return self.references[track]()

    def run(self, check_id: str, fake: FakeAws, inputs: Sequence[str] = ()) -> Result:
        """Run one check through the real runner against a fake account, with optional key=value inputs."""
        lab_inputs = self.lab.resolve_inputs(list(inputs))
        return run_check(self.lab.check(check_id), {"aws": fake}, lab_inputs, {c.id for c in self.lab.checks})

    def grade(
        self, check_id: str, fake: FakeAws, inputs: Sequence[str] = (), denied_action: str | None = None
    ) -> Graded:
        """Run one check, with `denied_action` refused by the fake account; the actions are those it called."""
        if denied_action:
            fake.denied = {denied_action}
        fake.calls.clear()
        return Graded(self.run(check_id, fake, inputs), set(fake.calls))


@dataclass(frozen=True)
class ArmSubject:
    """An Azure lab's reference, answered by a FakeArm through the real SDK clients.

    `actions_of` maps a (lower-cased) ARM path to the RBAC actions a GET of it needs; denying an action makes
    every route it covers answer 403 AuthorizationFailed. `as_arm` turns an edited reference into the FakeArm
    that answers: a lab whose edits take a routes dict keeps the default, one whose edits take the FakeArm
    itself passes the identity.
    """

    lab: Lab
    references: Mapping[str, Callable[[], Any]]
    resource_group: str
    actions_of: Callable[[str], set[str]]
    as_arm: Callable[[Any], FakeArm] = FakeArm

    def fresh(self, track: str) -> Any:
        """A fresh copy of the reference."""
        return self.references[track]()

    def run(
        self, check_id: str, architecture: Any, inputs: Sequence[str] = (), denied_action: str | None = None
    ) -> tuple[Result, FakeArm]:
        """Run one check through the runner and the real SDK clients; the FakeArm keeps the calls it served."""
        arm = self.as_arm(architecture)
        if denied_action:
            covered = [path for path in arm.routes if denied_action in self.actions_of(path)]
            assert covered, f"no route of the reference is covered by {denied_action}"
            for path in covered:
                arm.set(path, denied(denied_action))
        lab_inputs = self.lab.resolve_inputs([f"resource_group={self.resource_group}", *inputs])
        with arm_responses(arm):
            result = run_check(
                self.lab.check(check_id), {"azure": fake_azure()}, lab_inputs, {c.id for c in self.lab.checks}
            )
        return result, arm

    def grade(
        self, check_id: str, architecture: Any, inputs: Sequence[str] = (), denied_action: str | None = None
    ) -> Graded:
        """Run one check; the actions are those behind the routes it read."""
        result, arm = self.run(check_id, architecture, inputs, denied_action)
        return Graded(result, {action for _, path, _ in arm.calls for action in self.actions_of(path)})


# --- the shared tests -----------------------------------------------------------------------------------


def _passes(track: str, check_id: str) -> Status:
    return PASS


def _no_denial_must_error(check_id: str, action: str, denied_run: Graded) -> bool:
    return False


@dataclass(frozen=True)
class LabContract:
    """What the shared tests need of one lab at collection time; each method builds one test function.

    `reference_status` is the status a check gives on a track's reference (a lab with tracks SKIPs the other
    track's checks). `must_error` says which denials must make the check ERROR; by default a denial may also
    leave the check as it was (a declared fallback the reference never reaches).
    """

    lab: Lab
    cases: Sequence[Case]
    tracks: tuple[str, ...] = ("",)
    reference_status: Callable[[str, str], Status] = _passes
    must_error: Callable[[str, str, Graded], bool] = _no_denial_must_error

    @property
    def check_ids(self) -> list[str]:
        """The lab's check ids, in catalog order."""
        return [c.id for c in self.lab.checks]

    def _on_every_track(self) -> list[Any]:
        return [pytest.param(c, t, id=on_track(t, c)) for t in self.tracks for c in self.check_ids]

    def reference_passes(self) -> TestFunction:
        """Every check gives its reference status, without a hint, on every track's reference."""
        expected = self.reference_status

        @pytest.mark.parametrize(("check_id", "track"), self._on_every_track())
        def test_reference_passes(check_id: str, track: str, subject: Subject) -> None:
            result = subject.grade(check_id, subject.fresh(track)).result
            assert result.status is expected(track, check_id), result.message
            assert result.hint == ""

        return test_reference_passes

    def case_test(self) -> TestFunction:
        """Each case gives its status and message fragment; a FAIL or PENDING shows its check's hint."""
        lab = self.lab

        @pytest.mark.parametrize("case", self.cases, ids=case_id)
        def test_case(case: Case, subject: Subject) -> None:
            architecture = subject.fresh(case.track)
            case.mutate(architecture)
            result = subject.grade(case.check_id, architecture, case.inputs).result
            assert result.status is case.status, result.message
            assert case.fragment in result.message, result.message
            assert case.hint in result.hint
            if case.status in (FAIL, PENDING):
                assert result.hint, "a failure shows the fix"
                # the check's own hint, or discovery's hint on how to tag the lab's resources
                assert result.hint == lab.check(case.check_id).spec.hint or "labcheck-lab" in result.hint

        return test_case

    def denied_action_is_error_or_not_reached(self) -> TestFunction:
        """Denying each declared action makes its check ERROR naming it, or leaves the check as it was."""
        must_error = self.must_error
        declared = [
            pytest.param(t, c.id, a, id=on_track(t, f"{c.id}[{a}]"))
            for t in self.tracks
            for c in self.lab.checks
            for a in dict.fromkeys(c.spec.permissions)
        ]

        @pytest.mark.parametrize(("track", "check_id", "action"), declared)
        def test_denied_action_is_error_or_not_reached(
            track: str, check_id: str, action: str, subject: Subject
        ) -> None:
            undenied = subject.grade(check_id, subject.fresh(track)).result
            denied_run = subject.grade(check_id, subject.fresh(track), denied_action=action)
            result = denied_run.result
            if must_error(check_id, action, denied_run):
                assert result.status is ERROR, result.message
            if result.status is ERROR:
                assert action in result.message
                assert action in result.hint
            else:
                assert result.status is undenied.status, result.message

        return test_denied_action_is_error_or_not_reached

    def some_declared_action_is_needed(self) -> TestFunction:
        """Each check, on every track, ERRORs when some one of its declared actions is denied."""
        lab = self.lab

        @pytest.mark.parametrize(("check_id", "track"), self._on_every_track())
        def test_some_declared_action_is_needed(check_id: str, track: str, subject: Subject) -> None:
            needed = [
                action
                for action in lab.check(check_id).spec.permissions
                if subject.grade(check_id, subject.fresh(track), denied_action=action).result.status is ERROR
            ]
            assert needed

        return test_some_declared_action_is_needed

    def declared_permissions_suffice(self) -> TestFunction:
        """On every reference and every case, a check calls no action it does not declare."""
        lab = self.lab
        references = [Case(c, "reference", unchanged, PASS, "", track=t) for t in self.tracks for c in self.check_ids]

        @pytest.mark.parametrize("case", [*references, *self.cases], ids=case_id)
        def test_declared_permissions_suffice(case: Case, subject: Subject) -> None:
            architecture = subject.fresh(case.track)
            case.mutate(architecture)
            called = subject.grade(case.check_id, architecture, case.inputs).actions
            undeclared = called - set(lab.check(case.check_id).spec.permissions)
            assert not undeclared, f"{case.check_id} calls undeclared {sorted(undeclared)}"

        return test_declared_permissions_suffice
