"""The lab catalog: finds labs, reads lab.yaml, and loads a lab's checks.py only when asked.

Labs are looked up, in order, in the folders of LABCHECK_LAB_PATH (an instructor's own lab packs), in the
copy bundled inside the installed package (labcheck/_bundled, put there by the wheel build), and in the
repository checkout an editable install runs from. Terraform lives beside labs/ as terraform/<lab-id>/,
or inside a lab pack's own lab folder as terraform/.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from types import ModuleType
from typing import Any

import yaml

from labcheck.errors import UsageError
from labcheck.model import CHECK_ATTRIBUTE, Check, CheckSpec, InputSpec, InputType, LabInputs

_PACKAGE = Path(__file__).resolve().parent
_ROOTS = (_PACKAGE / "_bundled", _PACKAGE.parents[1])


# libyaml's safe loader parses lab.yaml ~10x faster than the pure-Python one: `labcheck list` reads them all.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class LabDefinitionError(UsageError):
    """A lab's own files are inconsistent (a lab author's mistake, reported as bad input)."""


@dataclass(frozen=True)
class CheckEntry:
    """A check as lab.yaml weights it."""

    points: int
    domains: tuple[str, ...]


@dataclass(frozen=True)
class Lab:
    """One lab: its metadata from lab.yaml and, on demand, its checks and scenario."""

    id: str
    title: str
    certification: str
    cloud: str
    summary: str
    directory: Path
    terraform_directory: Path
    inputs: Mapping[str, InputSpec]
    entries: Mapping[str, CheckEntry]

    @property
    def brief_path(self) -> Path:
        """The learner brief."""
        return self.directory / "README.md"

    @cached_property
    def checks(self) -> tuple[Check, ...]:
        """The lab's checks in lab.yaml order, joined with their declarations in checks.py."""
        specs = _collect_specs(self._module("checks"))
        missing, extra = set(self.entries) - set(specs), set(specs) - set(self.entries)
        if missing or extra:
            raise LabDefinitionError(
                f"lab {self.id}: lab.yaml and checks.py disagree (only in lab.yaml: {sorted(missing)}, "
                f"only in checks.py: {sorted(extra)})"
            )
        return tuple(Check(specs[i], e.points, e.domains) for i, e in self.entries.items())

    def check(self, check_id: str) -> Check:
        """One check by id."""
        for found in self.checks:
            if found.id == check_id:
                return found
        raise UsageError(f"lab {self.id} has no check {check_id!r} (see: labcheck show {self.id})")

    def scenario(self) -> ModuleType:
        """The lab's scenario.py: deploys the reference architecture and its variants into a mock cloud."""
        if not (self.directory / "scenario.py").is_file():
            raise UsageError(f"lab {self.id} has no mock-cloud scenario for the demo")
        return self._module("scenario")

    def resolve_inputs(self, assignments: Sequence[str] = (), values: Mapping[str, Any] | None = None) -> LabInputs:
        """The lab's inputs: defaults, then `values` (e.g. a roster row), then key=value assignments."""
        resolved = {name: spec.default for name, spec in self.inputs.items()}
        for name, value in (values or {}).items():
            resolved[self._input(name).name] = value
        for assignment in assignments:
            name, sep, text = assignment.partition("=")
            if not sep or not name.strip():
                raise UsageError(f"--input takes key=value, not {assignment!r}")
            resolved[name.strip()] = self._input(name.strip()).parse(text)
        missing = [name for name, spec in self.inputs.items() if spec.required and not resolved.get(name)]
        if missing:
            needed = " ".join(f"--input {name}=..." for name in missing)
            raise UsageError(f"lab {self.id} needs {needed}")
        return LabInputs(self.id, resolved)

    def _input(self, name: str) -> InputSpec:
        if name not in self.inputs:
            raise UsageError(f"lab {self.id} has no input {name!r}; its inputs: {', '.join(self.inputs)}")
        return self.inputs[name]

    def _module(self, stem: str) -> ModuleType:
        module_name = f"labcheck_labs.{self.id.replace('-', '_')}.{stem}"
        if module_name in sys.modules:
            return sys.modules[module_name]
        spec = importlib.util.spec_from_file_location(module_name, self.directory / f"{stem}.py")
        if spec is None or spec.loader is None:
            raise LabDefinitionError(f"lab {self.id}: cannot load {stem}.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module  # dataclasses and typing resolve names through sys.modules
        spec.loader.exec_module(module)
        return module


def _collect_specs(module: ModuleType) -> dict[str, CheckSpec]:
    specs: dict[str, CheckSpec] = {}
    for value in vars(module).values():
        spec = getattr(value, CHECK_ATTRIBUTE, None)
        if isinstance(spec, CheckSpec):
            if spec.id in specs and specs[spec.id] is not spec:
                raise LabDefinitionError(f"{module.__name__}: check id {spec.id} is declared twice")
            specs[spec.id] = spec
    return specs


def lab_directories() -> list[Path]:
    """Every folder that holds lab folders, in lookup order."""
    extra = [Path(p) for p in os.environ.get("LABCHECK_LAB_PATH", "").split(os.pathsep) if p]
    bundled = [root / "labs" for root in _ROOTS if (root / "labs").is_dir()][:1]
    return [p for p in extra if p.is_dir()] + bundled


def _terraform_directory(lab_dir: Path) -> Path:
    own = lab_dir / "terraform"
    return own if own.is_dir() else lab_dir.parent.parent / "terraform" / lab_dir.name


def load_lab(directory: Path) -> Lab:
    """Read one lab folder's lab.yaml."""
    try:
        raw = yaml.load((directory / "lab.yaml").read_text(encoding="utf-8"), Loader=_YAML_LOADER)
        inputs = {name: _input_spec(name, body) for name, body in (raw.get("inputs") or {}).items()}
        entries = {
            check_id: CheckEntry(int(body["points"]), tuple(body.get("domains") or ()))
            for check_id, body in raw["checks"].items()
        }
        if raw["id"] != directory.name:
            raise ValueError(f"id {raw['id']!r} differs from the folder name {directory.name!r}")
        return Lab(
            id=raw["id"],
            title=raw["title"],
            certification=raw["certification"],
            cloud=raw["cloud"],
            summary=raw.get("summary", ""),
            directory=directory,
            terraform_directory=_terraform_directory(directory),
            inputs=inputs,
            entries=entries,
        )
    except (OSError, yaml.YAMLError, KeyError, TypeError, ValueError, AttributeError) as error:
        raise LabDefinitionError(f"{directory / 'lab.yaml'}: {type(error).__name__}: {error}") from None


def _input_spec(name: str, body: Mapping[str, Any]) -> InputSpec:
    return InputSpec(
        name=name,
        type=InputType(body["type"]),
        default=body["default"],
        help=body.get("help", ""),
        choices=tuple(body.get("choices") or ()),
        required=bool(body.get("required", False)),
    )


def all_labs() -> dict[str, Lab]:
    """Every lab found, by id; the first folder that has a lab id wins."""
    labs: dict[str, Lab] = {}
    for parent in lab_directories():
        for directory in sorted(parent.iterdir()):
            if (directory / "lab.yaml").is_file() and directory.name not in labs:
                labs[directory.name] = load_lab(directory)
    return labs


def get_lab(lab_id: str) -> Lab:
    """One lab by id, or a usage error that lists the known ones."""
    labs = all_labs()
    if lab_id not in labs:
        known = ", ".join(labs) or "none found"
        raise UsageError(f"unknown lab {lab_id!r}; known labs: {known} (see: labcheck list)")
    return labs[lab_id]
