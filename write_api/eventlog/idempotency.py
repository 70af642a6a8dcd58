"""``Idempotency-Key`` on POSTs (SPEC §3): a repeat returns the original response, never a second effect.

Put :func:`idempotent` on a view's ``post``. With the header absent the view runs as usual. With it:

- **Scope.** A key belongs to (user, ``METHOD path``): the same key on another route or by another user
  is a different record. Only authenticated requests are deduplicated (an anonymous caller has no scope).
- **Fingerprint.** SHA-256 of the parsed JSON body (keys sorted, so formatting and key order do not
  matter) and the query string. The same key with another fingerprint is 409 ``idempotency_key_reused``.
- **Claim before running.** The request takes a PostgreSQL session advisory lock on its scope, then an
  ``INSERT … ON CONFLICT`` in its own short transaction records the claim, then the command runs, then
  the response is stored and the lock released. A concurrent duplicate (the lock is taken) waits up to
  :data:`WAIT_FOR_FIRST` seconds for the stored response and replays it, else answers 409
  ``idempotency_key_in_progress``; it never runs the command.
- **Replay** returns the original status, envelope and ``X-Event-Position``, plus ``Idempotent-Replayed:
  true``.
- **What is remembered.** Outcomes the command itself reached: 2xx, 402 (payment declined) and 409
  (business conflicts such as ``insufficient_credits``, ``slot_unavailable``): a retry with the same
  key gets the same answer; send a new key to try again. Everything else releases the key so a retry
  runs afresh: 400 (nothing ran: the input was refused), 401/403/404, 413, 429, 5xx and crashes
  (the transaction rolled back; the failure may be transient).
- **Abandoned claims.** The lock lives exactly as long as the claiming request's database session: a
  request whose transaction failed, whose process died or whose PostgreSQL went away (restart, broken
  connection) holds it no more, so the next request with that key finds an unfinished claim nobody
  holds and takes it over at once — no lease to wait out.
- **Applied, response lost.** The command's own transaction marks its claim applied
  (``applied_position``, written by ``services.event_append``), so the mark commits exactly when the
  command's effects do. A claim that is applied but has no stored response (the connection died after
  the commit, before the response was stored) is never run again: a retry gets 409
  ``idempotency_response_lost`` with the event position, to read the outcome from the resource.
- **Expiry.** Records live :data:`RETENTION` (24 h) from their claim; an expired key is claimed afresh
  and :func:`idempotency_records_purge` (for a beat job) deletes old rows.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import orjson
from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from api_conventions.errors import Conflict, ValidationFailed
from api_conventions.renderers import EnvelopeJSONRenderer
from kernel.vocabulary import ErrorCode
from write_api.eventlog.models import IdempotencyRecord
from write_api.eventlog.services import applying_claim, last_appended_position

log = logging.getLogger(__name__)

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255
RETENTION = timedelta(hours=24)
WAIT_FOR_FIRST = 5.0  # seconds a concurrent duplicate waits for the first request's response
REMEMBERED_ERROR_STATUSES = frozenset({402, 409})

# Visible ASCII only: no spaces or control characters, nothing a proxy could rewrite.
_KEY_PATTERN = re.compile(r"[\x21-\x7e]+")

PARAMETER = OpenApiParameter(
    HEADER, OpenApiTypes.STR, OpenApiParameter.HEADER, required=False,
    description="Up to 255 visible ASCII characters, unique per operation (a UUID is ideal). A repeat with the "
                "same key and body returns the original response (`Idempotent-Replayed: true`); the same key with "
                "another body is 409 `idempotency_key_reused`; while the first is still running, 409 "
                "`idempotency_key_in_progress`. Kept 24 hours.")

# Run while holding the scope's lock: an unfinished record then belongs to nobody (abandoned).
_CLAIM = """
INSERT INTO idempotency_record (key, user_id, route, request_hash, created_at, claim_token)
VALUES (%(key)s, %(user_id)s, %(route)s, %(request_hash)s, %(now)s, %(token)s)
ON CONFLICT (key, user_id, route) DO UPDATE
   SET request_hash = EXCLUDED.request_hash, created_at = EXCLUDED.created_at, claim_token = EXCLUDED.claim_token,
       status_code = NULL, response_body = NULL, event_position = NULL, completed_at = NULL,
       applied_position = NULL
 WHERE idempotency_record.created_at < %(expired_before)s
    OR (idempotency_record.status_code IS NULL AND idempotency_record.applied_position IS NULL)
RETURNING id
"""


class IdempotencyKeyReused(Conflict):
    code = ErrorCode.IDEMPOTENCY_KEY_REUSED
    default_message = "This Idempotency-Key was already used with a different request; use a new key."


class IdempotencyKeyInProgress(Conflict):
    code = ErrorCode.IDEMPOTENCY_KEY_IN_PROGRESS
    default_message = "A request with this Idempotency-Key is still being processed; retry shortly."


class IdempotencyResponseLost(Conflict):
    code = ErrorCode.IDEMPOTENCY_RESPONSE_LOST
    default_message = ("The request with this Idempotency-Key was applied, but its response was lost; it will not "
                       "run again. Read the resource to see the outcome (errors.event_position is its event).")


@dataclass(frozen=True)
class _Scope:
    key: str
    user_id: uuid.UUID
    route: str
    request_hash: str


@dataclass(frozen=True)
class _Claim:
    record_id: int
    token: uuid.UUID


Handler = Callable[..., Response]


def idempotent(handler: Handler) -> Handler:
    """Decorate an ``APIView`` method (``post``) so it honours the ``Idempotency-Key`` header."""

    @functools.wraps(handler)
    def wrapper(view: Any, request: Request, *args: Any, **kwargs: Any) -> Response:
        raw_key = request.headers.get(HEADER)
        if raw_key is None or not request.user.is_authenticated:
            return handler(view, request, *args, **kwargs)
        scope = _Scope(key=_validated_key(raw_key), user_id=request.user.id, route=_route(request),
                       request_hash=_fingerprint(request))
        claim = _claim_or_wait(scope)
        if isinstance(claim, Response):
            return claim
        try:
            return _run(claim, lambda: handler(view, request, *args, **kwargs), view)
        finally:
            _unlock(scope)

    wrapper.idempotent = True  # type: ignore[attr-defined]  # its 409 code, in the OpenAPI schema
    return extend_schema(parameters=[PARAMETER])(wrapper)


def idempotency_records_purge(*, now: datetime | None = None, batch_size: int = 5000) -> int:
    """Delete records older than :data:`RETENTION`; returns how many. Safe to run twice or concurrently."""
    cutoff = (now or timezone.now()) - RETENTION
    deleted = 0
    while True:
        ids = list(IdempotencyRecord.objects.filter(created_at__lt=cutoff).values_list("id", flat=True)[:batch_size])
        if not ids:
            return deleted
        count, _ = IdempotencyRecord.objects.filter(id__in=ids, created_at__lt=cutoff).delete()
        deleted += count


def _validated_key(raw: str) -> str:
    if not raw or len(raw) > MAX_KEY_LENGTH or not _KEY_PATTERN.fullmatch(raw):
        raise ValidationFailed(errors={HEADER: [
            f"Must be 1 to {MAX_KEY_LENGTH} visible ASCII characters (no spaces), e.g. a UUID."]})
    return raw


def _route(request: Request) -> str:
    route = f"{request.method} {request.path}"
    return route if len(route) <= 255 else "sha256:" + hashlib.sha256(route.encode()).hexdigest()


def _fingerprint(request: Request) -> str:
    body = request.data  # parses now: malformed JSON is a 400 before anything is claimed
    if hasattr(body, "lists"):  # a QueryDict (form or empty body)
        body = {name: values for name, values in body.lists()}
    query = sorted(request.query_params.lists())
    canonical = orjson.dumps({"body": body, "query": query}, default=str,
                             option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS)
    return hashlib.sha256(canonical).hexdigest()


def _claim_or_wait(scope: _Scope) -> _Claim | Response:
    """Our claim (holding the scope's lock), the stored response to replay, or 409 after waiting."""
    deadline = time.monotonic() + WAIT_FOR_FIRST
    pause = 0.02
    while True:
        if _try_lock(scope):
            try:
                claim = _try_claim(scope)
                if claim is not None:
                    return claim
                answer = _stored_answer(scope, holding_lock=True)
            except BaseException:
                _unlock(scope)
                raise
            _unlock(scope)
            if answer is not None:
                return answer
        else:
            answer = _stored_answer(scope)  # the request holding the lock may have answered already
            if answer is not None:
                return answer
        if time.monotonic() >= deadline:
            raise IdempotencyKeyInProgress()
        time.sleep(pause)
        pause = min(pause * 2, 0.25)


def _stored_answer(scope: _Scope, *, holding_lock: bool = False) -> Response | None:
    """The stored response to replay, else None (still running). Holding the scope's lock, an unfinished
    claim is nobody's: if its command committed (applied) the response was lost, and it is not run again."""
    record = IdempotencyRecord.objects.filter(key=scope.key, user_id=scope.user_id, route=scope.route).first()
    if record is None:
        return None
    if record.request_hash != scope.request_hash:
        raise IdempotencyKeyReused()
    if record.status_code is not None:
        return _replay(record)
    if holding_lock and record.applied_position is not None:
        raise IdempotencyResponseLost(errors={"event_position": record.applied_position})
    return None


def _lock_key(scope: _Scope) -> int:
    digest = hashlib.sha256(f"idempotency|{scope.user_id}|{scope.route}|{scope.key}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def _try_lock(scope: _Scope) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [_lock_key(scope)])
        return bool(cursor.fetchone()[0])


def _unlock(scope: _Scope) -> None:
    """Release the scope's lock; a session that died (PostgreSQL restarted) released it already."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [_lock_key(scope)])
    except DatabaseError:
        log.warning("could not release the idempotency lock (its session is gone, and the lock with it)")


def _try_claim(scope: _Scope) -> _Claim | None:
    now = timezone.now()
    token = uuid.uuid4()
    params: dict[str, Any] = {
        "key": scope.key, "user_id": scope.user_id, "route": scope.route, "request_hash": scope.request_hash,
        "now": now, "token": token, "expired_before": now - RETENTION}
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_CLAIM, params)
        row = cursor.fetchone()
    return _Claim(record_id=row[0], token=token) if row else None


def _run(claim: _Claim, command: Callable[[], Response], view: Any) -> Response:
    try:
        try:
            with applying_claim(claim.record_id):
                response = command()
        except Exception as exc:  # noqa: BLE001 - rendered exactly as DRF's dispatch would, then remembered
            response = view.handle_exception(exc)
    except BaseException:
        _release(claim)
        raise
    remembered = 200 <= response.status_code < 300 or response.status_code in REMEMBERED_ERROR_STATUSES
    if remembered and isinstance(response, Response):
        _complete(claim, response)
    else:
        _release(claim)
    return response


def _complete(claim: _Claim, response: Response) -> None:
    body = EnvelopeJSONRenderer().render(response.data, renderer_context={"response": response})
    position = last_appended_position() if response.status_code < 400 else None
    try:
        IdempotencyRecord.objects.filter(id=claim.record_id, claim_token=claim.token).update(
            status_code=response.status_code, response_body=body, event_position=position,
            completed_at=timezone.now())
    except DatabaseError:  # the command has committed: answer it; an unfinished claim is taken over later
        log.warning("could not store the idempotent response of record %s", claim.record_id, exc_info=True)


def _release(claim: _Claim) -> None:
    try:
        IdempotencyRecord.objects.filter(id=claim.record_id, claim_token=claim.token).delete()
    except DatabaseError:
        log.warning("could not release idempotency claim %s", claim.record_id, exc_info=True)


def _replay(record: IdempotencyRecord) -> Response:
    body = bytes(record.response_body or b"")
    response = Response(orjson.loads(body) if body else None, status=record.status_code)
    response[REPLAYED_HEADER] = "true"
    if record.event_position is not None and (record.status_code or 0) < 400:
        response["X-Event-Position"] = str(record.event_position)
    return response
