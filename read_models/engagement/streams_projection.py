"""The ``streams`` projection: stream documents, listing indexes and per-user sets in Redis.

Keys (generation prefix ``rm:streams:g<g>:``):

* ``stream:<id>`` — the full stream, premium body and media included (the read API decides, per
  caller, whether to show them);
* ``practitioner:<id>`` — ``{id, display_name, is_active, stream_ids}``;
* listing indexes, sorted sets of the *listed* streams (published, practitioner active) by creation
  time: ``streams:all``, ``streams:practitioner:<id>``, ``streams:access:<free|premium>``,
  ``streams:tag:<tag>``, ``streams:modality:<slug>``;
* ``unlocks:<user id>``, ``likes:<user id>``, ``saves:<user id>`` — sets of stream ids.

Every value comes from event-carried state; writes are SET/SADD/SREM/ZADD/ZREM, so a replay
changes nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kernel.events import (
    ACCOUNT_EVENTS,
    BOOKING_EVENTS,
    CREDIT_EVENTS,
    FAVORITE_EVENTS,
    REVIEW_EVENTS,
    SCHEDULE_EVENTS,
    SERVICE_EVENTS,
    SESSION_EVENTS,
    PractitionerRegistered,
    PractitionerUpdated,
    RecordedEvent,
    StreamArchived,
    StreamLiked,
    StreamPublished,
    StreamReaction,
    StreamSaved,
    StreamUnliked,
    StreamUnlocked,
    StreamUnsaved,
    StreamUpdated,
)
from kernel.projection import on
from read_models.generation_store import GenerationStore
from read_models.store_projection import StoreProjection

STORE = GenerationStore("streams")


def index_keys(doc: dict[str, Any]) -> list[str]:
    return (["streams:all", f"streams:practitioner:{doc['practitioner_id']}", f"streams:access:{doc['access']}"]
            + [f"streams:tag:{t}" for t in doc.get("tags", [])]
            + [f"streams:modality:{m}" for m in doc.get("modalities", [])])


class StreamsProjection(StoreProjection):
    name = "streams"
    description = "Streams with per-caller visibility inputs: documents, listing indexes, unlocks, likes, saves."
    store = STORE
    # Event types this read model does not need: whole contexts it needs nothing of, then single types (a new
    # type must be handled or ignored here).
    ignores = (ACCOUNT_EVENTS | SCHEDULE_EVENTS | SERVICE_EVENTS | SESSION_EVENTS | BOOKING_EVENTS
               | FAVORITE_EVENTS | REVIEW_EVENTS | CREDIT_EVENTS)

    # --- indexing ----------------------------------------------------------------------------------
    def _practitioner(self, practitioner_id: str) -> dict[str, Any]:
        return self.b.get(f"practitioner:{practitioner_id}") or {"id": practitioner_id, "display_name": None,
                                                                  "is_active": True, "stream_ids": []}

    def _reindex(self, old: dict[str, Any] | None, new: dict[str, Any]) -> None:
        if old:
            for key in index_keys(old):
                self.b.zrem(key, old["id"])
        practitioner = self._practitioner(new["practitioner_id"])
        if new["status"] == "published" and practitioner.get("is_active", True):
            score = datetime.fromisoformat(new["created_at"]).timestamp()
            for key in index_keys(new):
                self.b.zadd(key, new["id"], score)

    # --- practitioners -----------------------------------------------------------------------------
    @on(PractitionerRegistered, PractitionerUpdated)
    def _practitioner_changed(self, event: RecordedEvent[PractitionerRegistered | PractitionerUpdated]) -> None:
        profile = event.event
        doc = self._practitioner(str(profile.practitioner_id))
        was_active = doc.get("is_active", True)
        doc.update(display_name=profile.display_name, is_active=profile.is_active)
        self.b.put(f"practitioner:{doc['id']}", doc)
        if was_active != profile.is_active:
            for stream_id in doc["stream_ids"]:
                stream = self.b.get(f"stream:{stream_id}")
                if stream is not None:
                    self._reindex(stream, stream)

    # --- streams -------------------------------------------------------------------------------------
    @on(StreamPublished, StreamUpdated, StreamArchived)
    def _stream_changed(self, event: RecordedEvent[StreamPublished | StreamUpdated | StreamArchived]) -> None:
        p = event.payload
        new = {k: v for k, v in p.items() if k != "stream_id"}
        new["id"] = p["stream_id"]
        old = self.b.get(f"stream:{new['id']}")
        self.b.put(f"stream:{new['id']}", new)
        practitioner = self._practitioner(new["practitioner_id"])
        if new["id"] not in practitioner["stream_ids"]:
            practitioner["stream_ids"] = [*practitioner["stream_ids"], new["id"]]
            self.b.put(f"practitioner:{practitioner['id']}", practitioner)
        self._reindex(old, new)

    def _reaction(self, event: RecordedEvent[StreamReaction], set_name: str, add: bool) -> None:
        reaction = event.event
        stream = self.b.get(f"stream:{reaction.stream_id}")
        if stream is not None:
            stream.update(like_count=reaction.like_count, save_count=reaction.save_count)
            self.b.put(f"stream:{reaction.stream_id}", stream)
        key = f"{set_name}:{reaction.user_id}"
        (self.b.sadd if add else self.b.srem)(key, str(reaction.stream_id))

    @on(StreamLiked)
    def on_stream_liked(self, event: RecordedEvent[StreamLiked]) -> None:
        self._reaction(event, "likes", True)

    @on(StreamUnliked)
    def on_stream_unliked(self, event: RecordedEvent[StreamUnliked]) -> None:
        self._reaction(event, "likes", False)

    @on(StreamSaved)
    def on_stream_saved(self, event: RecordedEvent[StreamSaved]) -> None:
        self._reaction(event, "saves", True)

    @on(StreamUnsaved)
    def on_stream_unsaved(self, event: RecordedEvent[StreamUnsaved]) -> None:
        self._reaction(event, "saves", False)

    @on(StreamUnlocked)
    def on_stream_unlocked(self, event: RecordedEvent[StreamUnlocked]) -> None:
        unlock = event.event
        self.b.sadd(f"unlocks:{unlock.user_id}", str(unlock.stream_id))
