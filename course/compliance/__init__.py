"""Compliance: the roster, completion rules and status, reports, certificates and the ledger."""
