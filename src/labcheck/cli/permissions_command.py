"""`labcheck permissions`: the least-privilege, read-only policy a lab's checks need."""

from __future__ import annotations

from typing import Annotated

import typer

from labcheck.catalog import get_lab
from labcheck.cli import app
from labcheck.errors import UsageError


@app.command()
def permissions(
    lab_ids: Annotated[list[str], typer.Argument(metavar="LAB...", help="One or more lab ids.")],
    cloud: Annotated[str, typer.Option(help="The cloud whose policy to print.")] = "aws",
    fmt: Annotated[str, typer.Option("--format", help="json (IAM policy) or terraform.")] = "json",
    grader_role: Annotated[
        bool, typer.Option("--grader-role", help="Terraform for the cross-account role an instructor assumes.")
    ] = False,
) -> None:
    """Print the read-only policy generated from the permissions the labs' checks declare."""
    from labcheck import permissions as generate

    labs = [get_lab(lab_id) for lab_id in lab_ids]
    if cloud != "aws":
        raise UsageError(f"--cloud {cloud}: labcheck generates AWS policies only so far")
    other = [lab.id for lab in labs if lab.cloud != cloud]
    if other:
        raise UsageError(f"{', '.join(other)} {'is' if len(other) == 1 else 'are'} not {cloud} labs")
    if fmt not in ("json", "terraform"):
        raise UsageError(f"--format takes json or terraform, not {fmt!r}")
    if grader_role:
        typer.echo(generate.terraform_grader_role(labs), nl=False)
    elif fmt == "terraform":
        typer.echo(generate.terraform_policy(labs), nl=False)
    else:
        typer.echo(generate.iam_policy_json(labs), nl=False)
