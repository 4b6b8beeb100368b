"""Review of contributions: policies, votes, deposits, the reviewer's wallet, finalising.

`chain_link` lives here because it opens each dataset's review contract; ingest, scans and incidents
import it, and nothing in review imports them back.
"""
