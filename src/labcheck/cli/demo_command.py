"""`labcheck demo`: grade a lab's reference architecture and one breakage in an in-process mock cloud."""

from __future__ import annotations

from typing import Annotated

import typer

from labcheck.catalog import Lab, get_lab
from labcheck.cli import app
from labcheck.model import Report, Status
from labcheck.providers import open_provider
from labcheck.providers.aws.session import AwsOptions
from labcheck.report import print_console
from labcheck.runner import run_lab

DEMO_REGION = "eu-central-1"


def grade_in_mock_account(lab: Lab, variant: str) -> Report:
    """Deploy a scenario variant into a fresh mock AWS account and grade it."""
    from labcheck.testing.moto import mock_aws_account

    with mock_aws_account(DEMO_REGION) as client:
        lab.scenario().deploy(client, variant)
        options = AwsOptions(region=DEMO_REGION, max_attempts=1)
        return run_lab(lab, lab.resolve_inputs(), lambda name: open_provider(name, options))


@app.command()
def demo(lab_id: Annotated[str, typer.Argument(metavar="[LAB]")] = "aws-bedrock-privatelink") -> None:
    """Grade the reference architecture and a broken variant in a mock account (no cloud account needed)."""
    lab = get_lab(lab_id)
    scenario = lab.scenario()
    breakage = scenario.DEMO_BREAKAGE
    verdicts = []
    for step, variant in enumerate(("reference", breakage), 1):
        typer.echo(f"\n[{step}/2] {lab.id}: {scenario.VARIANTS[variant].description}, deployed into a mock AWS account")
        report = grade_in_mock_account(lab, variant)
        print_console(report)
        verdicts.append(report)
    reference, broken = verdicts
    failing = ", ".join(r.id for r in broken.required_with(Status.FAIL, Status.ERROR, Status.PENDING))
    typer.echo(
        f"\nReference: {'PASSED' if reference.passed else 'FAILED'} {reference.score}/{reference.max_score}.  "
        f"With {breakage}: {'PASSED' if broken.passed else 'FAILED'} {broken.score}/{broken.max_score} ({failing})."
    )
    typer.echo(f"Next: labcheck show {lab.id}, labcheck init {lab.id}, then labcheck verify {lab.id} in your account.")
    raise typer.Exit(0 if reference.passed and not broken.passed else 1)
