"""Commands that read the catalog: list, show, explain, init."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path
from typing import Annotated

import typer

from labcheck.catalog import all_labs, get_lab
from labcheck.cli import app
from labcheck.errors import UsageError


@app.command("list")
def list_labs() -> None:
    """List the labs: id, certification, title and number of checks."""
    labs = all_labs()
    width = max((len(i) for i in labs), default=10)
    for lab in labs.values():
        typer.echo(f"{lab.id:<{width}}  {len(lab.entries):>2} checks  {lab.certification}")
        typer.echo(f"{'':<{width}}  {lab.title}")


@app.command()
def show(lab_id: Annotated[str, typer.Argument(metavar="LAB")]) -> None:
    """Show a lab's brief, inputs (with defaults) and requirements (with points)."""
    lab = get_lab(lab_id)
    typer.echo(f"{lab.id}: {lab.title}\n{lab.certification}\n")
    typer.echo(textwrap.fill(lab.summary, 100) + "\n")
    typer.echo(f"Brief: {lab.brief_path}\nTerraform: {lab.terraform_directory}\n")
    typer.echo("Inputs (override with --input key=value):")
    for spec in lab.inputs.values():
        default = ",".join(spec.default) if isinstance(spec.default, list) else spec.default
        typer.echo(f"  {spec.name} ({spec.type.value}, default: {default!s})\n      {spec.help}")
    typer.echo(f"\nRequirements ({sum(c.points for c in lab.checks if c.required)} points):")
    for each in lab.checks:
        weight = f"{each.points} pt" if each.required else "advisory"
        typer.echo(f"  {each.id:<36} {weight:>8}  {each.spec.title}")


@app.command()
def explain(
    lab_id: Annotated[str, typer.Argument(metavar="LAB")],
    check_id: Annotated[str, typer.Argument(metavar="CHECK")],
) -> None:
    """Explain one requirement: what it asks, why it matters and how to fix it."""
    lab = get_lab(lab_id)
    each = lab.check(check_id)
    weight = f"{each.points} points" if each.required else "advisory, not scored"
    typer.echo(f"{lab.id}/{each.id} ({weight}; exam domains: {', '.join(each.domains) or '-'})\n")
    typer.echo(f"What: {each.spec.title}\n")
    typer.echo("Why:  " + textwrap.fill(each.spec.why, 96, subsequent_indent="      ") + "\n")
    typer.echo("Fix:  " + textwrap.fill(each.spec.hint, 96, subsequent_indent="      ") + "\n")
    typer.echo("Read-only permissions it needs: " + ", ".join(each.spec.permissions))


@app.command()
def init(
    lab_id: Annotated[str, typer.Argument(metavar="LAB")],
    directory: Annotated[Path | None, typer.Argument(metavar="[DIR]", help="Default: ./<lab-id>")] = None,
) -> None:
    """Copy a lab's Terraform starter into DIR (refuses to overwrite anything)."""
    lab = get_lab(lab_id)
    source = lab.terraform_directory / "starter"
    if not source.is_dir():
        raise UsageError(f"lab {lab.id} has no Terraform starter")
    target = directory or Path(lab.id)
    if target.exists() and any(target.iterdir()):
        raise UsageError(f"{target} already exists and is not empty; choose another directory")
    shutil.copytree(source, target, dirs_exist_ok=True, ignore=shutil.ignore_patterns(".terraform*", "*.tfstate*"))
    typer.echo(f"Copied the {lab.id} starter to {target}/. Next:")
    typer.echo(f"  read the brief: {lab.brief_path}")
    typer.echo(f"  cd {target} && terraform init && terraform apply")
    typer.echo(f"  labcheck verify {lab.id}")
