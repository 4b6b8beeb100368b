"""SeBRUS: crowdsourced image datasets that keep poison out.

Contributions are anchored on Ethereum, screened by poison detectors and voted on
by staked reviewers; only approved items reach releases anyone can verify.
"""

__version__ = "0.1.0"
