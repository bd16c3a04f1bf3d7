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
    cloud: Annotated[str | None, typer.Option(help="aws or azure (default: the labs' cloud).")] = None,
    fmt: Annotated[str, typer.Option("--format", help="json (IAM policy / role definition) or terraform.")] = "json",
    grader_role: Annotated[
        bool, typer.Option("--grader-role", help="Terraform for the cross-account role an instructor assumes.")
    ] = False,
) -> None:
    """Print the read-only policy generated from the permissions the labs' checks declare."""
    from labcheck import permissions as generate

    labs = [get_lab(lab_id) for lab_id in lab_ids]
    cloud = cloud or labs[0].cloud
    if cloud not in ("aws", "azure"):
        raise UsageError(f"--cloud takes aws or azure, not {cloud!r}")
    other = [lab.id for lab in labs if lab.cloud != cloud]
    if other:
        raise UsageError(f"not {cloud} labs: {', '.join(other)}")
    if fmt not in ("json", "terraform"):
        raise UsageError(f"--format takes json or terraform, not {fmt!r}")
    if grader_role and cloud != "aws":
        raise UsageError("--grader-role is for AWS: on Azure, assign the role to the grader on each resource group")
    renderers = {
        ("aws", "json"): generate.iam_policy_json,
        ("aws", "terraform"): generate.terraform_grader_role if grader_role else generate.terraform_policy,
        ("azure", "json"): generate.azure_role_json,
        ("azure", "terraform"): generate.terraform_azure_role,
    }
    typer.echo(renderers[cloud, "terraform" if grader_role else fmt](labs), nl=False)
