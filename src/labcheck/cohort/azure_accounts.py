"""Opening each learner's Azure subscription with the instructor's one credential.

Azure needs no role switching: the instructor's identity (az login, a service principal, workload identity)
holds Reader on each learner's resource group, and ARM's challenge policy fetches a token for the
learner's tenant when it differs. One credential and one set of client settings serve the whole cohort.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from labcheck.cohort.roster import Learner
from labcheck.errors import CredentialsError, ProviderError, UsageError
from labcheck.providers.azure.session import ARM_SCOPE, AzureOptions, client_kwargs, new_credential


class AzureAccounts:
    """Opens learners' subscriptions as `LiveAzure` views, sharing the instructor's credential."""

    def __init__(self, credential: Any = None, kwargs: dict[str, Any] | None = None) -> None:
        self._credential = credential
        self._kwargs = kwargs
        self._make_credential: Callable[[], Any] = lambda: new_credential(AzureOptions())

    def preflight(self, learners: list[Learner]) -> None:
        """Every row names a subscription, and the instructor's credential gets a token: else one line, exit 2."""
        missing = [f"row {learner.row} ({learner.id})" for learner in learners if not learner.subscription_id]
        if missing:
            raise UsageError(
                f"Azure grading needs subscription_id in every roster row; missing in {', '.join(missing)}"
            )
        if self._credential is None:
            self._credential = self._make_credential()
            from azure.core.exceptions import ClientAuthenticationError

            try:
                self._credential.get_token(ARM_SCOPE)
            except ClientAuthenticationError:
                raise CredentialsError(
                    "Azure credentials did not work: run az login, or set AZURE_TENANT_ID, "
                    "AZURE_CLIENT_ID and AZURE_CLIENT_SECRET"
                ) from None
        if self._kwargs is None:
            self._kwargs = client_kwargs(AzureOptions())

    def open_provider(self, learner: Learner, name: str) -> Any:
        """The learner's subscription as the Azure view."""
        if name != "azure":
            raise ProviderError(f"an Azure cohort cannot open a {name} account")
        from labcheck.providers.azure.live import LiveAzure

        return LiveAzure(self._credential, learner.subscription_id, dict(self._kwargs or {}))
