"""SeBRUS: crowdsourced image datasets that keep poison out.

Contributions are anchored on Ethereum, screened by poison detectors and voted on
by staked reviewers; only approved items reach releases anyone can verify.
"""

__version__ = "0.1.0"

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sebrus.sdk import Client as Client


def __getattr__(name: str) -> object:
    # Lazy, so that `import sebrus` (the CLI, the server, detectors) does not pay for httpx.
    if name == "Client":
        from sebrus.sdk import Client

        return Client
    raise AttributeError(f"module 'sebrus' has no attribute {name!r}")
