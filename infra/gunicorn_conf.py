"""Gunicorn settings of both APIs (``gunicorn -c python:infra.gunicorn_conf``): errors gunicorn answers itself
(a request line or header beyond its limits, a malformed request) are the JSON envelope too, not HTML.

Gunicorn refuses such requests before Django sees them and writes its reply with ``gunicorn.util.
write_error``; this module, loaded by the master before it forks its workers, replaces that function.
"""

from __future__ import annotations

import socket

import gunicorn.util
import orjson

from api_conventions.envelope import error_body

# Gunicorn's own limits, stated here so they are documented where they are set.
limit_request_line = 4094  # bytes of "METHOD /path?query HTTP/1.1"
limit_request_fields = 100
limit_request_field_size = 8190

_CODES = {400: "malformed_request", 403: "permission_denied", 414: "request_line_too_long",
          431: "request_header_fields_too_large", 500: "server_error", 501: "not_implemented"}


def write_envelope_error(sock: socket.socket, status_int: int, reason: str, mesg: str) -> None:
    if "line is too large" in mesg.lower():
        status_int, reason = 414, "URI Too Long"
    body = orjson.dumps(error_body(code=_CODES.get(status_int, "bad_request"),
                                   message=f"{reason}: {mesg}" if mesg else reason))
    head = (f"HTTP/1.1 {status_int} {reason}\r\nConnection: close\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n")
    gunicorn.util.write_nonblock(sock, head.encode("latin1") + body)
    _drain(sock)


def _drain(sock: socket.socket, budget_bytes: int = 65536, seconds: float = 0.2) -> None:
    """Read (and drop) what the client is still sending before gunicorn closes the socket: closing with
    unread input makes the kernel reset the connection, and the client may lose the answer."""
    try:
        sock.shutdown(socket.SHUT_WR)
        sock.settimeout(seconds)
        while budget_bytes > 0:
            chunk = sock.recv(min(budget_bytes, 16384))
            if not chunk:
                return
            budget_bytes -= len(chunk)
    except OSError:
        return


gunicorn.util.write_error = write_envelope_error
