"""The base of every fake AWS view: the account, and the actions each read uses or is denied."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import ClassVar

from labcheck.errors import PermissionDeniedError
from labcheck.providers.aws.view import READ_ACTIONS


@dataclass
class FakeAccount:
    """The account itself, and what every fake read records: the actions used and the ones denied."""

    account_id: str = "111122223333"
    region: str = "eu-central-1"
    denied: set[str] = field(default_factory=set)
    calls: list[str] = field(default_factory=list)
    read_actions: ClassVar[Mapping[str, tuple[str, ...]]] = READ_ACTIONS

    @property
    def identity(self) -> dict[str, str]:
        """What a report shows about the account."""
        return {"cloud": "aws", "account": self.account_id, "region": self.region}

    def _read(self, method: str) -> None:
        for action in self.read_actions[method]:
            self.calls.append(action)
            if action in self.denied:
                raise PermissionDeniedError(action, "AccessDenied")
