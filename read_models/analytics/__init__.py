"""Practitioner analytics on the read API, answered from published warehouse snapshots (issue 6)."""
