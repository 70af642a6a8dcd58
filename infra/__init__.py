"""Process and environment plumbing: configuration, embedded servers, the supervisor.

Imports neither the write nor the read side; both settings modules read their configuration
through :mod:`infra.environment`.
"""
