from __future__ import annotations

from typing import Any

from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.views import APIView

from api_conventions.responses import created, ok
from api_conventions.serializers import StrictInput
from kernel.vocabulary import StreamAccess, StreamStatus
from write_api.credits.views import PAYMENT_ERRORS
from write_api.eventlog.idempotency import idempotent
from write_api.permissions import IsPractitioner
from write_api.streams import services
from write_api.streams.models import Stream, StreamLike, StreamSave, StreamUnlock
from write_api.streams.payloads import LikePayload, SavePayload, StreamPayload


def stream_out(s: Stream, *, user: Any) -> StreamPayload:
    """The stream as ``user`` may see it: premium body and media only for the owner and unlockers."""
    visible = services.can_view_content(s, user)
    authenticated = user is not None and user.is_authenticated
    return {"id": str(s.id), "practitioner": {"id": str(s.practitioner_id),
                                              "display_name": s.practitioner.display_name},
            "title": s.title, "description": s.description, "tags": list(s.tags),
            "modalities": sorted(m.slug for m in s.modalities.all()), "access": StreamAccess(s.access),
            "price_cents": s.price_cents, "price": f"{s.price_cents / 100:.2f}", "status": StreamStatus(s.status),
            "locked": not visible, "body": s.body if visible else None, "media_url": s.media_url if visible else None,
            "unlocked": bool(authenticated and s.access == Stream.Access.PREMIUM and visible),
            "like_count": s.like_count, "save_count": s.save_count,
            "liked": StreamLike.objects.filter(stream=s, user=user).exists() if authenticated else None,
            "saved": StreamSave.objects.filter(stream=s, user=user).exists() if authenticated else None,
            "created_at": s.created_at.isoformat(), "updated_at": s.updated_at.isoformat()}


class StreamInput(StrictInput):
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    body = serializers.CharField(max_length=50_000, required=False, allow_blank=True)
    media_url = serializers.URLField(max_length=2000, required=False, allow_blank=True)
    tags = serializers.ListField(child=serializers.CharField(max_length=50), max_length=20, required=False)
    modalities = serializers.ListField(child=serializers.SlugField(max_length=60), max_length=20, required=False)
    access = serializers.ChoiceField(choices=Stream.Access.choices, required=False)
    price_cents = serializers.IntegerField(min_value=0, max_value=1_000_000, required=False)


class StreamCreateApi(APIView):
    permission_classes = [IsAuthenticated, IsPractitioner]
    input_serializer = StreamInput
    payload = StreamPayload

    def post(self, request):
        data = StreamInput(data=request.data)
        data.is_valid(raise_exception=True)
        stream = services.stream_publish(actor=request.user, **data.validated_data)
        return created(stream_out(stream, user=request.user), message="Stream published.")


class StreamDetailApi(APIView):
    permission_classes = [IsAuthenticated]
    input_serializer = StreamInput
    payload = StreamPayload
    conflicts = {"patch": ("stream_archived",)}

    def patch(self, request, stream_id):
        data = StreamInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        stream = services.stream_update(stream_id=stream_id, actor=request.user, changes=data.validated_data)
        return ok(stream_out(stream, user=request.user), message="Stream updated.")

    def delete(self, request, stream_id):
        stream = services.stream_archive(stream_id=stream_id, actor=request.user)
        return ok(stream_out(stream, user=request.user), message="Archived.")


class StreamLikeApi(APIView):
    """Idempotent toggle: ``POST`` likes, ``DELETE`` unlikes; both answer the new state and count."""

    permission_classes = [IsAuthenticated]
    success_status = 200
    payload = LikePayload

    def post(self, request, stream_id):
        state = services.stream_like(stream_id=stream_id, user=request.user)
        return ok({"liked": state.active, "like_count": state.count})

    def delete(self, request, stream_id):
        state = services.stream_unlike(stream_id=stream_id, user=request.user)
        return ok({"liked": state.active, "like_count": state.count})


class StreamSaveApi(APIView):
    """Idempotent toggle: ``POST`` saves, ``DELETE`` unsaves; both answer the new state and count."""

    permission_classes = [IsAuthenticated]
    success_status = 200
    payload = SavePayload

    def post(self, request, stream_id):
        state = services.stream_save(stream_id=stream_id, user=request.user)
        return ok({"saved": state.active, "save_count": state.count})

    def delete(self, request, stream_id):
        state = services.stream_unsave(stream_id=stream_id, user=request.user)
        return ok({"saved": state.active, "save_count": state.count})


class StreamUnlockApi(APIView):
    """``POST streams/{id}/unlock/``: 201 with the unlocked item, or 200 if it was unlocked already."""

    permission_classes = [IsAuthenticated]
    payload = StreamPayload
    success_status = (201, 200)
    conflicts = ("insufficient_credits", "own_stream", "stream_archived", "stream_not_premium")
    other_errors = PAYMENT_ERRORS

    class Input(StrictInput):
        payment_method = serializers.ChoiceField(choices=StreamUnlock.Method.choices, required=False,
                                                 default=StreamUnlock.Method.CREDITS)
        payment_token = serializers.CharField(max_length=200, required=False)

        def validate(self, attrs):
            if attrs["payment_method"] == StreamUnlock.Method.CARD and not attrs.get("payment_token"):
                raise serializers.ValidationError({"payment_token": ["Required to pay by card."]})
            return attrs

    @idempotent
    def post(self, request, stream_id):
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        if data.validated_data["payment_method"] == StreamUnlock.Method.CARD:
            stream, _unlock, was_created = services.stream_unlock_by_card(
                stream_id=stream_id, user=request.user, payment_token=data.validated_data["payment_token"])
        else:
            stream, _unlock, was_created = services.stream_unlock(stream_id=stream_id, user=request.user)
        body = stream_out(stream, user=request.user)
        return created(body, message="Unlocked.") if was_created else ok(body, message="Already unlocked.")
