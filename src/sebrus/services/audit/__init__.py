"""Reading the audit trail back: history, exports and the chain/database consistency check."""
