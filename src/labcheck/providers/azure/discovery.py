"""Finding a lab's root resource in the learner's resource group (the other resources follow from its ids).

Order: an explicit `--input <role>=<name>`; else the only candidate; else the only one tagged
labcheck-lab=<lab-id>. None found is FAIL (with the tagging hint); several is ERROR (labcheck will not guess).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TypeVar

from labcheck.errors import AmbiguousAnchorError, AnchorNotFoundError
from labcheck.model import LabInputs

LAB_TAG = "labcheck-lab"
T = TypeVar("T")


def pick_root(
    candidates: list[T],
    role: str,
    lab: LabInputs,
    name: Callable[[T], str],
    tags: Callable[[T], Mapping[str, str] | None],
) -> T:
    """The lab's root resource among the candidates of its type."""
    kind = role.replace("_", " ")
    hint = (
        f'Tag the {kind} with tags = {{ "labcheck-lab" = "{lab.lab_id}" }} (azurerm has no provider-wide '
        f"default tags), or name it with --input {role}=<name>."
    )
    wanted = str(lab.values.get(role) or "")
    if wanted:
        named = [c for c in candidates if name(c).lower() == wanted.lower()]
        if not named:
            raise AnchorNotFoundError(f"{role} named {wanted}", lab.lab_id, hint)
        return named[0]
    if len(candidates) == 1:
        return candidates[0]
    tagged = [c for c in candidates if (tags(c) or {}).get(LAB_TAG) == lab.lab_id]
    if len(tagged) == 1:
        return tagged[0]
    if not candidates:
        raise AnchorNotFoundError(kind, lab.lab_id, hint)
    qualifier = f"tagged labcheck-lab={lab.lab_id}" if tagged else f"and none tagged labcheck-lab={lab.lab_id}"
    remedy = f"pass --input {role}=<name> to choose"
    raise AmbiguousAnchorError(kind, lab.lab_id, [name(c) for c in tagged or candidates], remedy, qualifier)
