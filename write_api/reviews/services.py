"""Commands of reviews: publish (client of a completed booking, once), edit and delete (author, 24 h;
staff may delete any time), reply (the reviewed practitioner, once).

Every command locks the reviewed practitioner's row first: review changes of one practitioner are
serialised, so the rating summaries each event carries (``service_rating``, ``practitioner_rating``)
are exact and arrive in commit order.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, QuerySet
from django.utils import timezone

from api_conventions.errors import Conflict, NotFound, PermissionDenied
from kernel.events import ReviewDeleted, ReviewPublished, ReviewReplied, ReviewUpdated
from kernel.vocabulary import ErrorCode
from write_api.accounts.models import User
from write_api.bookings.models import Booking
from write_api.eventlog.services import event_append
from write_api.practitioners.models import Practitioner
from write_api.reviews.models import Review

EDIT_WINDOW = timedelta(hours=24)
RATINGS = range(1, 6)


def rating_summary(reviews: QuerySet[Review]) -> dict[str, Any]:
    """``{average, count, distribution}`` over the published reviews of ``reviews``."""
    distribution = {str(r): 0 for r in RATINGS}
    for rating, n in (reviews.filter(status=Review.Status.PUBLISHED).order_by().values_list("rating")
                      .annotate(n=Count("id"))):
        distribution[str(rating)] = n
    count = sum(distribution.values())
    total = sum(int(r) * n for r, n in distribution.items())
    return {"average": round(total / count, 2) if count else None, "count": count, "distribution": distribution}


def reviewer_name(user: User) -> str:
    first, last = (user.first_name or "").strip(), (user.last_name or "").strip()
    if first:
        return f"{first} {last[0]}." if last else first
    return "A client"


def review_state(review: Review) -> dict[str, Any]:
    return {"review_id": review.id, "booking_id": review.booking_id, "client_id": review.client_id,
            "practitioner_id": review.practitioner_id, "service_id": review.service_id,
            "service_title": review.service.title, "reviewer_name": reviewer_name(review.client),
            "rating": review.rating, "comment": review.comment, "status": review.status, "reply": review.reply,
            "replied_at": review.replied_at, "created_at": review.created_at, "updated_at": review.updated_at,
            "service_rating": rating_summary(Review.objects.filter(service_id=review.service_id)),
            "practitioner_rating": rating_summary(Review.objects.filter(practitioner_id=review.practitioner_id))}


def _lock_practitioner(practitioner_id: Any) -> None:
    Practitioner.objects.select_for_update().filter(id=practitioner_id).values_list("id").get()


def _locked_review(review_id: Any) -> Review:
    """The published review, read again after its practitioner's lock is held."""
    practitioner_id = (Review.objects.filter(id=review_id, status=Review.Status.PUBLISHED)
                       .values_list("practitioner_id", flat=True).first())
    if practitioner_id is None:
        raise NotFound("Review not found.")
    _lock_practitioner(practitioner_id)
    review = (Review.objects.select_related("service", "client", "practitioner")
              .filter(id=review_id, status=Review.Status.PUBLISHED).first())
    if review is None:
        raise NotFound("Review not found.")
    return review


def _within_edit_window(review: Review) -> bool:
    return timezone.now() - review.created_at <= EDIT_WINDOW


@transaction.atomic(durable=True)
def review_create(*, booking_id: Any, actor: User, rating: int, comment: str = "") -> Review:
    booking = Booking.objects.select_related("practitioner").filter(id=booking_id).first()
    if booking is None:
        raise NotFound("Booking not found.")
    if booking.client_id != actor.id:
        if actor.id == booking.practitioner.user_id or actor.is_staff:
            raise PermissionDenied("Only the client of a booking can review it.")
        raise NotFound("Booking not found.")
    _lock_practitioner(booking.practitioner_id)
    booking = Booking.objects.select_related("service").get(id=booking.id)
    if Review.objects.filter(booking=booking).exists():
        raise Conflict("This booking has already been reviewed.", code=ErrorCode.ALREADY_REVIEWED)
    if booking.status != Booking.Status.COMPLETED:
        raise Conflict("Only a completed booking can be reviewed.", code=ErrorCode.BOOKING_NOT_COMPLETED)
    try:
        with transaction.atomic():
            review = Review.objects.create(booking=booking, client=actor, practitioner_id=booking.practitioner_id,
                                           service=booking.service, rating=rating, comment=comment)
    except IntegrityError as exc:
        raise Conflict("This booking has already been reviewed.", code=ErrorCode.ALREADY_REVIEWED) from exc
    event_append([ReviewPublished(**review_state(review))], actor_id=actor.id)
    return review


@transaction.atomic(durable=True)
def review_update(*, review_id: Any, actor: User, rating: int | None = None, comment: str | None = None) -> Review:
    review = _locked_review(review_id)
    if review.client_id != actor.id:
        raise PermissionDenied("Only the author can edit a review.")
    if not _within_edit_window(review):
        raise Conflict("Reviews can be edited for 24 hours after publishing.", code=ErrorCode.EDIT_WINDOW_CLOSED)
    if rating is not None:
        review.rating = rating
    if comment is not None:
        review.comment = comment
    review.save()
    event_append([ReviewUpdated(**review_state(review))], actor_id=actor.id)
    return review


@transaction.atomic(durable=True)
def review_delete(*, review_id: Any, actor: User) -> Review:
    """The author within 24 hours; staff (moderation) at any time."""
    review = _locked_review(review_id)
    if review.client_id == actor.id:
        if not _within_edit_window(review) and not actor.is_staff:
            raise Conflict("Reviews can be deleted for 24 hours after publishing.", code=ErrorCode.EDIT_WINDOW_CLOSED)
        deleted_by = "author"
    elif actor.is_staff:
        deleted_by = "staff"
    else:
        raise PermissionDenied("Only the author can delete a review.")
    review.status, review.deleted_at = Review.Status.DELETED, timezone.now()
    review.save()
    event_append([ReviewDeleted(**review_state(review), deleted_by=deleted_by)], actor_id=actor.id)
    return review


@transaction.atomic(durable=True)
def review_reply(*, review_id: Any, actor: User, reply: str) -> Review:
    review = _locked_review(review_id)
    if review.practitioner.user_id != actor.id:
        raise PermissionDenied("Only the reviewed practitioner can reply.")
    if review.replied_at is not None:
        raise Conflict("This review already has a reply.", code=ErrorCode.ALREADY_REPLIED)
    review.reply, review.replied_at = reply, timezone.now()
    review.save()
    event_append([ReviewReplied(**review_state(review))], actor_id=actor.id)
    return review
