"""SPEC §3 conventions shared by both APIs: envelope, errors, pagination, request ids, metrics."""
