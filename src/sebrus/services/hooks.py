"""Where the ledger plugs into the platform base, gathered in one object the app is built with."""

from __future__ import annotations

from dataclasses import dataclass, field

from sebrus.services.accounts.wallets import WalletFunder
from sebrus.services.datasets import ClientDeployedAnchor, DatasetAnchor


@dataclass
class PlatformHooks:
    """Defaults need no chain; the ledger supplies real ones when it is wired in.

    - ``dataset_anchor`` deploys or verifies a dataset's contract at registration.
    - ``wallet_funder`` gives each new custodial wallet gas money.
    - ``custodial_wallet_on_register`` creates that wallet as part of sign-up (the embedded chain's way).
    """

    dataset_anchor: DatasetAnchor = field(default_factory=ClientDeployedAnchor)
    wallet_funder: WalletFunder | None = None
    custodial_wallet_on_register: bool = False
