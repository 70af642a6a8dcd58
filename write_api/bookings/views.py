from __future__ import annotations

from typing import Any

from django.db.models import F, Q, QuerySet
from django.utils import timezone
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.views import APIView

from api_conventions.errors import NotFound
from api_conventions.pagination import PageRequest, pagination_meta
from api_conventions.responses import created, ok
from api_conventions.serializers import AwareDateTimeField, StrictInput, StrictUUIDField
from kernel import refund_policy
from kernel.vocabulary import Actor, BookingStatus, ServiceType
from write_api.bookings import services
from write_api.bookings.models import Booking
from write_api.bookings.payloads import BookingPayload
from write_api.eventlog.idempotency import idempotent


def booking_out(b: Booking) -> BookingPayload:
    return {"id": str(b.id), "status": BookingStatus(b.status),
            "service": {"id": str(b.service_id), "title": b.service.title,
                        "service_type": ServiceType(b.service.service_type)},
            "practitioner": {"id": str(b.practitioner_id), "display_name": b.practitioner.display_name,
                             "timezone": b.practitioner.timezone},
            "client_id": str(b.client_id), "client_name": _client_name(b),
            "parent_id": str(b.parent_id) if b.parent_id else None,
            "start_at": b.start_at.isoformat() if b.start_at else None,
            "end_at": b.end_at.isoformat() if b.end_at else None,
            "price_cents": b.price_cents, "price": f"{b.price_cents / 100:.2f}", "charged_cents": b.charged_cents,
            "refund_cents": b.refund_cents,
            "refund_reason": b.refund_reason if refund_policy.is_refund_reason(b.refund_reason) else None,
            "valid_until": b.valid_until.isoformat() if b.valid_until else None,
            "session_ids": [str(s.session_id) for s in b.seats.all()],
            "children": [{"id": str(c.id), "service_id": str(c.service_id), "status": BookingStatus(c.status),
                          "start_at": c.start_at.isoformat() if c.start_at else None}
                         for c in b.children.all()],
            "cancelled_at": b.cancelled_at.isoformat() if b.cancelled_at else None,
            "cancelled_by": Actor(b.cancelled_by) if b.cancelled_by else None,
            "completed_at": b.completed_at.isoformat() if b.completed_at else None,
            "created_at": b.created_at.isoformat()}


def _client_name(b: Booking) -> str:
    """What a practitioner's booking list shows: the client's full name, else the part of the email before @."""
    full = f"{b.client.first_name} {b.client.last_name}".strip()
    return full or b.client.email.split("@")[0]


def _visible(request) -> Q:
    practitioner = getattr(request.user, "practitioner", None)
    visible = Q(client=request.user)
    if practitioner is not None:
        visible |= Q(practitioner=practitioner)
    return visible


BOOKING_CONFLICTS = ("already_booked", "insufficient_credits", "no_sessions", "own_service", "service_unavailable",
                     "session_cancelled", "session_full", "session_started", "slot_unavailable")

ORDERINGS = {"start_at": (F("start_at").asc(nulls_last=True), "created_at"),
             "-start_at": (F("start_at").desc(nulls_last=True), "-created_at"),
             "created_at": ("created_at",), "-created_at": ("-created_at",)}


def _filtered(query: QuerySet[Booking], filters: dict[str, Any]) -> tuple[QuerySet[Booking], dict[str, Any]]:
    """Apply the list's filters and ordering; answer the query and the filters as ``filters_applied`` shows them."""
    applied: dict[str, Any] = {}
    now = timezone.now()
    if "status" in filters:
        query = query.filter(status=filters["status"])
        applied["status"] = filters["status"]
    when = filters.get("when")
    if when == "upcoming":
        query = query.filter(start_at__gt=now)
    elif when == "past":
        query = query.filter(start_at__lte=now)
    if when:
        applied["when"] = when
    if "from" in filters:
        query = query.filter(start_at__gte=filters["from"])
        applied["from"] = filters["from"].isoformat()
    if "to" in filters:
        query = query.filter(start_at__lt=filters["to"])
        applied["to"] = filters["to"].isoformat()
    ordering = filters.get("ordering") or {"upcoming": "start_at", "past": "-start_at"}.get(when or "", "-created_at")
    applied["ordering"] = ordering
    return query.order_by(*ORDERINGS[ordering], "id"), applied


class BookingListApi(APIView):
    permission_classes = [IsAuthenticated]
    payload = {"get": list[BookingPayload], "post": BookingPayload}
    conflicts = BOOKING_CONFLICTS

    class Filters(StrictInput):
        as_ = serializers.ChoiceField(choices=["client", "practitioner"], required=False, default="client")
        status = serializers.ChoiceField(choices=Booking.Status.choices, required=False)
        when = serializers.ChoiceField(choices=["upcoming", "past"], required=False, help_text=(
            "`upcoming`: starting after now (soonest first by default); `past`: started before now "
            "(latest first by default). Unscheduled package sessions are in neither."))
        from_ = AwareDateTimeField(required=False, help_text="Starting at or after this instant.")
        to = AwareDateTimeField(required=False, help_text="Starting before this instant.")
        ordering = serializers.ChoiceField(choices=list(ORDERINGS), required=False, help_text=(
            "Default `-created_at`; with `when=upcoming` `start_at`, with `when=past` `-start_at`."))
        page = serializers.IntegerField(required=False)
        page_size = serializers.IntegerField(required=False)

        def get_fields(self):
            # ``as`` and ``from`` are Python keywords: declared with a trailing underscore, named without.
            fields = super().get_fields()
            return {name.removesuffix("_"): field for name, field in fields.items()}

        def validate(self, attrs):
            if "from" in attrs and "to" in attrs and attrs["to"] <= attrs["from"]:
                raise serializers.ValidationError({"to": ["Must be after from."]})
            return attrs

    class Input(StrictInput):
        service_id = StrictUUIDField()
        start_at = AwareDateTimeField(required=False)
        session_id = StrictUUIDField(required=False)

    query_serializer = Filters
    input_serializer = Input

    def get(self, request):
        filters = self.Filters(data=request.query_params.dict())
        filters.is_valid(raise_exception=True)
        page = PageRequest.from_query(request.query_params)
        role = filters.validated_data["as"]
        if role == "practitioner":
            practitioner = getattr(request.user, "practitioner", None)
            query = Booking.objects.filter(practitioner=practitioner) if practitioner else Booking.objects.none()
        else:
            query = Booking.objects.filter(client=request.user)
        query, applied = _filtered(query, filters.validated_data)
        applied["as"] = role
        query = query.select_related("service", "practitioner", "client").prefetch_related("seats", "children")
        count = query.count()
        items = [booking_out(b) for b in query[page.offset:page.offset + page.page_size]]
        return ok(items, meta={"pagination": pagination_meta(request, page, count), "filters_applied": applied})

    @idempotent
    def post(self, request):
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        booking = services.booking_create(client=request.user, **data.validated_data)
        return created(booking_out(booking), message="Booked.")


class BookingDetailApi(APIView):
    """The client or the practitioner of a booking (or staff) may read it; nobody else learns it exists."""

    permission_classes = [IsAuthenticated]
    payload = BookingPayload

    def get(self, request, booking_id):
        booking = (Booking.objects.filter(_visible(request), id=booking_id)
                   .select_related("service", "practitioner", "client").first())
        if booking is None:
            raise NotFound("Booking not found.")
        return ok(booking_out(booking))


class TimeInput(StrictInput):
    start_at = AwareDateTimeField(help_text="The new start (ISO-8601 with offset); the length is kept.")


class BookingScheduleApi(APIView):
    """Schedule one unscheduled session of a package or bundle (its client)."""

    permission_classes = [IsAuthenticated]
    input_serializer = TimeInput
    payload = BookingPayload
    success_status = 200
    conflicts = ("booking_not_unscheduled", "package_expired", "slot_unavailable")

    @idempotent
    def post(self, request, booking_id):
        data = TimeInput(data=request.data)
        data.is_valid(raise_exception=True)
        booking = services.booking_schedule(booking_id=booking_id, actor=request.user, **data.validated_data)
        return ok(booking_out(booking), message="Scheduled.")


class BookingRescheduleApi(APIView):
    """Move a confirmed booking to another free slot of the same length, while it could be cancelled with a refund."""

    permission_classes = [IsAuthenticated]
    input_serializer = TimeInput
    payload = BookingPayload
    success_status = 200
    conflicts = ("booking_not_reschedulable", "reschedule_window_closed", "slot_unavailable")

    @idempotent
    def post(self, request, booking_id):
        data = TimeInput(data=request.data)
        data.is_valid(raise_exception=True)
        booking = services.booking_reschedule(booking_id=booking_id, actor=request.user, **data.validated_data)
        return ok(booking_out(booking), message="Rescheduled.")


class BookingCancelApi(APIView):
    """Cancel; the answer's ``refund_cents`` and ``refund_reason`` say what was refunded and by which rule."""

    permission_classes = [IsAuthenticated]
    payload = BookingPayload
    success_status = 200
    conflicts = ("booking_not_cancellable", "cancellation_window_closed")

    class Input(StrictInput):
        reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")

    @idempotent
    def post(self, request, booking_id):
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        booking = services.booking_cancel(booking_id=booking_id, actor=request.user, **data.validated_data)
        return ok(booking_out(booking), message="Cancelled.")


class BookingCompleteApi(APIView):
    """The practitioner marks a started session done (a scheduled job does it after the end otherwise)."""

    permission_classes = [IsAuthenticated]
    payload = BookingPayload
    success_status = 200
    conflicts = ("booking_not_completable", "booking_not_started")

    @idempotent
    def post(self, request, booking_id):
        booking = services.booking_complete(booking_id=booking_id, actor=request.user)
        return ok(booking_out(booking), message="Completed.")
