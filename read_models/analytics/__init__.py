"""Practitioner analytics on the read API, answered from the warehouse lake's committed snapshots (issues 6, 12)."""
