from __future__ import annotations

from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.views import APIView

from api_conventions.responses import created, deleted, ok
from api_conventions.serializers import StrictInput
from api_conventions.shared_payloads import Deleted
from write_api.eventlog.idempotency import idempotent
from write_api.reviews import services
from write_api.reviews.models import COMMENT_MAX, Review
from write_api.reviews.payloads import ReviewPayload


def review_out(r: Review) -> ReviewPayload:
    return {"id": str(r.id), "booking_id": str(r.booking_id), "service": {"id": str(r.service_id),
                                                                         "title": r.service.title},
            "practitioner_id": str(r.practitioner_id), "reviewer": {"name": services.reviewer_name(r.client)},
            "rating": r.rating, "comment": r.comment, "status": Review.Status(r.status),
            "reply": {"text": r.reply, "replied_at": r.replied_at.isoformat()} if r.replied_at else None,
            "editable_until": (r.created_at + services.EDIT_WINDOW).isoformat(),
            "created_at": r.created_at.isoformat(), "updated_at": r.updated_at.isoformat()}


class ReviewCreateApi(APIView):
    """``POST bookings/{id}/review/``: the client of a completed booking reviews it, once."""

    permission_classes = [IsAuthenticated]
    payload = ReviewPayload
    conflicts = ("already_reviewed", "booking_not_completed")

    class Input(StrictInput):
        rating = serializers.IntegerField(min_value=1, max_value=5)
        comment = serializers.CharField(max_length=COMMENT_MAX, required=False, allow_blank=True, default="")

    @idempotent
    def post(self, request, booking_id):
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        review = services.review_create(booking_id=booking_id, actor=request.user, **data.validated_data)
        return created(review_out(review), message="Review published.")


class ReviewDetailApi(APIView):
    """``PATCH``/``DELETE reviews/{id}/``: the author within 24 hours (staff may delete any time)."""

    permission_classes = [IsAuthenticated]
    payload = {"patch": ReviewPayload, "delete": Deleted}
    conflicts = ("edit_window_closed",)

    class Input(StrictInput):
        rating = serializers.IntegerField(min_value=1, max_value=5, required=False)
        comment = serializers.CharField(max_length=COMMENT_MAX, required=False, allow_blank=True)

        def validate(self, attrs):
            if not attrs:
                raise serializers.ValidationError({"non_field_errors": ["Give a rating or a comment to change."]})
            return attrs

    def patch(self, request, review_id):
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        review = services.review_update(review_id=review_id, actor=request.user, **data.validated_data)
        return ok(review_out(review), message="Review updated.")

    def delete(self, request, review_id):
        services.review_delete(review_id=review_id, actor=request.user)
        return deleted(review_id, message="Review deleted.")


class ReviewReplyApi(APIView):
    """``POST reviews/{id}/reply/``: the reviewed practitioner replies, once."""

    permission_classes = [IsAuthenticated]
    payload = ReviewPayload
    conflicts = ("already_replied",)

    class Input(StrictInput):
        reply = serializers.CharField(max_length=COMMENT_MAX)

    @idempotent
    def post(self, request, review_id):
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        review = services.review_reply(review_id=review_id, actor=request.user, reply=data.validated_data["reply"])
        return created(review_out(review), message="Reply published.")
