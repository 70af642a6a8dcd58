"""Commands of streams: publish, update, archive; like/save toggles; unlock with credits.

* Like and save are idempotent: the (stream, user) unique key decides whether anything changed, and
  the stream's counter moves only when a row was really inserted or deleted (50 parallel likes by
  one user: one insert, count 1). The counter update holds the stream's row lock until commit, so
  the counts each event carries are exact and in commit order.
* Unlock charges exactly once: the unlock row's unique key is taken before the charge in the same
  transaction, so a parallel unlock waits for the first, then sees the row and charges nothing;
  the ledger's dedupe key (``stream-unlock:<stream>:<user>``) is a second guard.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from django.db import transaction
from django.db.models import F, Q

from api_conventions.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from kernel.events import (
    DomainEvent,
    StreamArchived,
    StreamLiked,
    StreamPublished,
    StreamSaved,
    StreamUnliked,
    StreamUnlocked,
    StreamUnsaved,
    StreamUpdated,
)
from kernel.vocabulary import ErrorCode
from write_api.accounts.models import User
from write_api.credits.services import credits_purchase, credits_spend
from write_api.eventlog.services import event_append
from write_api.practitioners.models import Practitioner
from write_api.reference.services import modalities_by_slug
from write_api.streams.models import Stream, StreamLike, StreamSave, StreamUnlock

EDITABLE_FIELDS = ("title", "description", "body", "media_url", "tags", "access", "price_cents")


def stream_state(s: Stream) -> dict[str, Any]:
    return {"stream_id": s.id, "practitioner_id": s.practitioner_id, "title": s.title, "description": s.description,
            "body": s.body, "media_url": s.media_url, "tags": tuple(s.tags),
            "modalities": tuple(sorted(m.slug for m in s.modalities.all())), "access": s.access,
            "price_cents": s.price_cents, "status": s.status, "like_count": s.like_count,
            "save_count": s.save_count, "created_at": s.created_at, "updated_at": s.updated_at}


def can_view_content(stream: Stream, user: Any) -> bool:
    """Free items, the owner, and users who unlocked it see the body and media."""
    if stream.access == Stream.Access.FREE:
        return True
    if user is None or not user.is_authenticated:
        return False
    if stream.practitioner.user_id == user.id:
        return True
    return StreamUnlock.objects.filter(stream=stream, user=user).exists()


def normalised_tags(tags: list[str]) -> list[str]:
    out: list[str] = []
    for tag in tags:
        clean = " ".join(tag.strip().lower().split())
        if clean and clean not in out:
            out.append(clean)
    return out


def _own_practitioner(actor: User) -> Practitioner:
    practitioner = Practitioner.objects.filter(user=actor).first()
    if practitioner is None:
        raise PermissionDenied("Become a practitioner before publishing streams.", code=ErrorCode.NOT_A_PRACTITIONER)
    return practitioner


def _check_price(stream: Stream) -> None:
    if stream.access == Stream.Access.PREMIUM and stream.price_cents < 1:
        raise ValidationFailed(errors={"price_cents": ["A premium stream needs a price of at least 1."]})
    if stream.access == Stream.Access.FREE and stream.price_cents:
        raise ValidationFailed(errors={"price_cents": ["A free stream has no price."]})


@transaction.atomic(durable=True)
def stream_publish(*, actor: User, title: str, modalities: list[str] | None = None, tags: list[str] | None = None,
                   **fields: Any) -> Stream:
    practitioner = _own_practitioner(actor)
    stream = Stream(practitioner=practitioner, title=title, tags=normalised_tags(tags or []),
                    **{k: v for k, v in fields.items() if k in EDITABLE_FIELDS})
    _check_price(stream)
    stream.save()
    stream.modalities.set(modalities_by_slug(modalities or []))
    event_append([StreamPublished(**stream_state(stream))], actor_id=actor.id)
    return stream


def _owned_stream(stream_id: Any, actor: User, *, staff_may: bool = False) -> Stream:
    stream = Stream.objects.select_for_update().filter(id=stream_id).first()
    if stream is None:
        raise NotFound("Stream not found.")
    owner = Practitioner.objects.filter(id=stream.practitioner_id, user=actor).exists()
    if owner or (staff_may and actor.is_staff):
        return stream
    if stream.status != Stream.Status.PUBLISHED:
        raise NotFound("Stream not found.")
    raise PermissionDenied("Only the practitioner who published this stream can change it.")


@transaction.atomic(durable=True)
def stream_update(*, stream_id: Any, actor: User, changes: dict[str, Any]) -> Stream:
    stream = _owned_stream(stream_id, actor)
    if stream.status == Stream.Status.ARCHIVED:
        raise Conflict("An archived stream cannot be changed.", code=ErrorCode.STREAM_ARCHIVED)
    for name in EDITABLE_FIELDS:
        if name in changes:
            setattr(stream, name, normalised_tags(changes[name]) if name == "tags" else changes[name])
    if changes.get("access") == Stream.Access.FREE and "price_cents" not in changes:
        stream.price_cents = 0
    _check_price(stream)
    stream.save()
    if "modalities" in changes:
        stream.modalities.set(modalities_by_slug(changes["modalities"]))
    event_append([StreamUpdated(**stream_state(stream))], actor_id=actor.id)
    return stream


@transaction.atomic(durable=True)
def stream_archive(*, stream_id: Any, actor: User) -> Stream:
    """Delete = archive (by the owner, or staff moderating). Unlocks stay valid. Idempotent."""
    stream = _owned_stream(stream_id, actor, staff_may=True)
    if stream.status != Stream.Status.ARCHIVED:
        stream.status = Stream.Status.ARCHIVED
        stream.save()
        event_append([StreamArchived(**stream_state(stream))], actor_id=actor.id)
    return stream


# --- likes and saves --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reaction:
    model: type[StreamLike | StreamSave]
    counter: Literal["like_count", "save_count"]
    added: Any
    removed: Any


LIKE = Reaction(StreamLike, "like_count", StreamLiked, StreamUnliked)
SAVE = Reaction(StreamSave, "save_count", StreamSaved, StreamUnsaved)


@dataclass(frozen=True)
class ReactionState:
    active: bool
    count: int


def _react(reaction: Reaction, *, stream_id: Any, user: User, add: bool) -> ReactionState:
    # Liking needs a visible stream; undoing works on any (an archived stream can still be unliked).
    visible = Q(status=Stream.Status.PUBLISHED) | Q(practitioner__user=user) if add else Q()
    stream = Stream.objects.filter(visible, id=stream_id).first()
    if stream is None:
        raise NotFound("Stream not found.")
    if add:
        _, changed = reaction.model.objects.get_or_create(stream=stream, user=user)
    else:
        changed = reaction.model.objects.filter(stream=stream, user=user).delete()[0] > 0
    if changed:
        change: dict[str, Any] = {reaction.counter: F(reaction.counter) + (1 if add else -1)}
        Stream.objects.filter(id=stream.id).update(**change)
    counts = Stream.objects.filter(id=stream.id).values("like_count", "save_count").get()
    if changed:
        event_cls = reaction.added if add else reaction.removed
        event_append([event_cls(stream_id=stream.id, practitioner_id=stream.practitioner_id, user_id=user.id,
                                **counts)], actor_id=user.id)
    return ReactionState(active=add, count=counts[reaction.counter])


@transaction.atomic(durable=True)
def stream_like(*, stream_id: Any, user: User) -> ReactionState:
    return _react(LIKE, stream_id=stream_id, user=user, add=True)


@transaction.atomic(durable=True)
def stream_unlike(*, stream_id: Any, user: User) -> ReactionState:
    return _react(LIKE, stream_id=stream_id, user=user, add=False)


@transaction.atomic(durable=True)
def stream_save(*, stream_id: Any, user: User) -> ReactionState:
    return _react(SAVE, stream_id=stream_id, user=user, add=True)


@transaction.atomic(durable=True)
def stream_unsave(*, stream_id: Any, user: User) -> ReactionState:
    return _react(SAVE, stream_id=stream_id, user=user, add=False)


# --- unlock -----------------------------------------------------------------------------------------


def unlockable_stream(stream_id: Any, user: User) -> Stream:
    stream = (Stream.objects.select_related("practitioner")
              .filter(id=stream_id, status=Stream.Status.PUBLISHED).first())
    if stream is None:
        raise NotFound("Stream not found.")
    if stream.practitioner.user_id == user.id:
        raise Conflict("This is your own stream.", code=ErrorCode.OWN_STREAM)
    if stream.access != Stream.Access.PREMIUM:
        raise Conflict("This stream is free: nothing to unlock.", code=ErrorCode.STREAM_NOT_PREMIUM)
    return stream


@transaction.atomic(durable=True)
def stream_unlock(*, stream_id: Any, user: User, method: str = StreamUnlock.Method.CREDITS
                  ) -> tuple[Stream, StreamUnlock, bool]:
    """Unlock a premium stream by spending credits; returns ``(stream, unlock, created)``.

    Unlocking again returns the existing unlock and charges nothing; 409 ``insufficient_credits``
    rolls everything back. ``method`` ``card`` records that the credits were just bought by card
    (:func:`stream_unlock_by_card`).
    """
    stream = unlockable_stream(stream_id, user)
    unlock, created = StreamUnlock.objects.get_or_create(
        stream=stream, user=user, defaults={"method": method, "amount_cents": stream.price_cents})
    if created:
        events: list[DomainEvent] = []
        credits_spend(user=user, amount_cents=stream.price_cents, reference={"type": "stream", "id": str(stream.id)},
                      dedupe_key=f"stream-unlock:{stream.id}:{user.id}", events=events)
        events.append(StreamUnlocked(unlock_id=unlock.id, stream_id=stream.id, practitioner_id=stream.practitioner_id,
                                     user_id=user.id, title=stream.title, method=unlock.method,
                                     amount_cents=unlock.amount_cents, unlocked_at=unlock.created_at))
        event_append(events, actor_id=user.id)
    return stream, unlock, created


def stream_unlock_by_card(*, stream_id: Any, user: User, payment_token: str) -> tuple[Stream, StreamUnlock, bool]:
    """Buy exactly the price in credits through the payment provider, then unlock with them.

    The provider is called outside any transaction (it is the outside world); the unlock is then the
    same exactly-once command as with credits. If a parallel request unlocked first, the credits
    just bought stay on the balance: nothing is lost and nothing is charged twice for the stream.
    """
    stream = unlockable_stream(stream_id, user)
    if not StreamUnlock.objects.filter(stream=stream, user=user).exists():
        credits_purchase(user=user, amount_cents=stream.price_cents, payment_token=payment_token)
    return stream_unlock(stream_id=stream_id, user=user, method=StreamUnlock.Method.CARD)
