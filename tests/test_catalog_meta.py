"""Meta-tests over the whole catalog: the contracts every lab must keep."""

import ast
import json
import re
from pathlib import Path

import pytest

from labcheck.catalog import all_labs
from labcheck.model import Severity

ROOT = Path(__file__).resolve().parents[1]
# The lab and check ids are a stable contract with learners' reports and instructors' gradebooks.
CONTRACT = json.loads((ROOT / "tests" / "data" / "contract_ids.json").read_text())
# AWS IAM read actions, or Azure RBAC actions that end in /read (all within the built-in Reader role).
AWS_READ = r"[a-z0-9-]+:(Describe|Get|List|Lookup|BatchGet|View)[A-Za-z]*"
AZURE_READ = r"Microsoft\.[A-Za-z]+(/[A-Za-z]+)+/read"
READ_ONLY = re.compile(f"^({AWS_READ}|{AZURE_READ})$")
SDK_MODULES = ("boto3", "botocore", "moto", "azure", "google.cloud", "google.api_core", "databricks.sdk")

LABS = all_labs()


def test_catalog_finds_the_labs_of_this_checkout():
    assert set(LABS) == {p.name for p in (ROOT / "labs").iterdir() if (p / "lab.yaml").is_file()}
    assert "aws-bedrock-privatelink" in LABS


@pytest.mark.parametrize("lab_id", LABS)
def test_check_ids_are_the_contracted_ones(lab_id):
    lab = LABS[lab_id]
    ids = [c.id for c in lab.checks]
    assert len(ids) == len(set(ids))
    assert sorted(ids) == sorted(CONTRACT[lab_id])


@pytest.mark.parametrize("lab_id", LABS)
def test_every_lab_has_brief_starter_and_solution(lab_id):
    lab = LABS[lab_id]
    assert lab.brief_path.is_file()
    for kind in ("starter", "solution"):
        assert list((lab.terraform_directory / kind).glob("*.tf")), f"{lab_id} has no Terraform {kind}"


@pytest.mark.parametrize("lab_id", LABS)
def test_permissions_are_read_only_and_declared(lab_id):
    for each in LABS[lab_id].checks:
        assert each.spec.permissions, each.id
        for action in each.spec.permissions:
            assert READ_ONLY.match(action), f"{each.id} declares {action}"


@pytest.mark.parametrize("lab_id", LABS)
def test_points_add_up(lab_id):
    lab = LABS[lab_id]
    for each in lab.checks:
        if each.spec.severity is Severity.ADVISORY:
            assert each.points == 0, f"advisory {each.id} must weigh nothing"
        else:
            assert each.points > 0, f"required {each.id} must carry points"
    assert sum(c.points for c in lab.checks) == sum(e.points for e in lab.entries.values()) > 0


@pytest.mark.parametrize("lab_id", LABS)
def test_checks_say_what_passes_why_and_how_to_fix(lab_id):
    for each in LABS[lab_id].checks:
        assert not each.spec.title.lower().startswith("ensure"), each.id
        assert len(each.spec.hint) > 20, each.id
        assert len(each.spec.why) > 20, each.id
        assert each.domains, each.id


@pytest.mark.parametrize("lab_id", LABS)
def test_inputs_declare_types_defaults_and_help(lab_id):
    for spec in LABS[lab_id].inputs.values():
        assert spec.help, spec.name
        assert spec.default is not None, spec.name


@pytest.mark.parametrize("path", sorted((ROOT / "labs").rglob("*.py")), ids=lambda p: str(p.relative_to(ROOT)))
def test_labs_import_no_cloud_sdk(path):
    tree = ast.parse(path.read_text())
    names = [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    names += [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    assert not [n for n in names if n.startswith(SDK_MODULES)]


@pytest.mark.parametrize("lab_id", [i for i, lab in LABS.items() if (lab.directory / "scenario.py").is_file()])
def test_scenario_variants_name_real_checks(lab_id):
    lab = LABS[lab_id]
    variants = lab.scenario().VARIANTS
    ids = {c.id for c in lab.checks}
    assert "reference" in variants
    assert {v.breaks for v in variants.values()} - {None} <= ids
    assert sum(v.breaks is not None for v in variants.values()) >= 10
    assert sum(v.breaks is None for v in variants.values()) >= 4  # the reference and three alternatives
