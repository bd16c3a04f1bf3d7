"""`labcheck doctor`: the account labcheck would grade, and whether the labs' approved models are on demand."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Annotated

import typer

from labcheck.catalog import Lab, all_labs, get_lab
from labcheck.cli import app
from labcheck.errors import ProviderError, UsageError
from labcheck.providers import open_provider
from labcheck.providers.aws.session import AwsOptions

if TYPE_CHECKING:
    from labcheck.providers.aws.view import AwsView


def model_inputs(lab: Lab, assignments: list[str]) -> dict[str, tuple[str, ...]]:
    """The lab's inputs that list model ids (named *model_ids), with their values."""
    inputs = lab.resolve_inputs(assignments)
    return {name: inputs.items(name) for name in lab.inputs if name.endswith("model_ids")}


def report_models(aws: AwsView, lab: Lab, assignments: list[str]) -> bool:
    """Print each approved model's on-demand availability; False when one is not available."""
    wanted = model_inputs(lab, assignments)
    if not any(wanted.values()):
        return True
    try:
        offered = {m.id: m.lifecycle for m in aws.on_demand_models()}
    except ProviderError as error:
        typer.echo(f"  {lab.id}: could not list the on-demand models ({error})")
        return False
    healthy = True
    for name, model_ids in wanted.items():
        for model_id in model_ids:
            lifecycle = offered.get(model_id)
            fine = lifecycle is not None and lifecycle.upper() == "ACTIVE"
            healthy &= fine
            state = "on demand" if fine else (f"{lifecycle.lower()}" if lifecycle else "not offered on demand")
            typer.echo(f"  {lab.id} {name}: {model_id} — {state} in {aws.region}")
    return healthy


@app.command()
def doctor(
    cloud: Annotated[str, typer.Option(help="The cloud to check.")] = "aws",
    region: Annotated[str | None, typer.Option(help="Cloud Region (default: from your AWS configuration).")] = None,
    profile: Annotated[str | None, typer.Option(help="AWS named profile.")] = None,
    lab_ids: Annotated[list[str] | None, typer.Option("--lab", help="Check this lab's models (repeatable).")] = None,
    inputs: Annotated[list[str] | None, typer.Option("--input", help="Lab input key=value (with one --lab).")] = None,
) -> None:
    """Show the identity, account and Region labcheck would use, and check the labs' approved models."""
    if cloud != "aws":
        raise UsageError(f"--cloud {cloud}: labcheck checks AWS set-ups only so far")
    if inputs and len(lab_ids or []) != 1:
        raise UsageError("--input needs exactly one --lab")
    labs = [get_lab(i) for i in lab_ids] if lab_ids else [lab for lab in all_labs().values() if lab.cloud == cloud]
    aws: AwsView = open_provider(cloud, AwsOptions(region=region, profile=profile))
    typer.echo(f"AWS credentials work: {getattr(aws, 'caller_arn', '?')}")
    typer.echo(f"  account {aws.account_id}, Region {aws.region}")
    if endpoint := os.environ.get("AWS_ENDPOINT_URL"):
        typer.echo(f"  endpoint override AWS_ENDPOINT_URL={endpoint}")
    verdicts = [report_models(aws, lab, inputs or []) for lab in labs]  # every lab reported, none skipped
    raise typer.Exit(0 if all(verdicts) else 1)
