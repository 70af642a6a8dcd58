from __future__ import annotations

from django.db.models import Q
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.views import APIView

from api_conventions.errors import NotFound
from api_conventions.pagination import PageRequest, pagination_meta
from api_conventions.responses import created, ok
from api_conventions.serializers import AwareDateTimeField, StrictInput, StrictUUIDField
from write_api.bookings import services
from write_api.bookings.models import Booking
from write_api.eventlog.idempotency import idempotent


def booking_out(b: Booking) -> dict:
    return {"id": str(b.id), "status": b.status, "service": {"id": str(b.service_id), "title": b.service.title,
                                                            "service_type": b.service.service_type},
            "practitioner": {"id": str(b.practitioner_id), "display_name": b.practitioner.display_name,
                             "timezone": b.practitioner.timezone},
            "client_id": str(b.client_id), "parent_id": str(b.parent_id) if b.parent_id else None,
            "start_at": b.start_at.isoformat() if b.start_at else None,
            "end_at": b.end_at.isoformat() if b.end_at else None,
            "price_cents": b.price_cents, "price": f"{b.price_cents / 100:.2f}", "charged_cents": b.charged_cents,
            "refund_cents": b.refund_cents, "valid_until": b.valid_until.isoformat() if b.valid_until else None,
            "session_ids": [str(s.session_id) for s in b.seats.all()],
            "children": [{"id": str(c.id), "service_id": str(c.service_id), "status": c.status,
                          "start_at": c.start_at.isoformat() if c.start_at else None}
                         for c in b.children.all()],
            "cancelled_at": b.cancelled_at.isoformat() if b.cancelled_at else None,
            "cancelled_by": b.cancelled_by or None, "completed_at": b.completed_at.isoformat() if b.completed_at
            else None, "created_at": b.created_at.isoformat()}


def _visible(request) -> Q:
    practitioner = getattr(request.user, "practitioner", None)
    visible = Q(client=request.user)
    if practitioner is not None:
        visible |= Q(practitioner=practitioner)
    return visible


class BookingListApi(APIView):
    permission_classes = [IsAuthenticated]

    class Filters(StrictInput):
        as_ = serializers.ChoiceField(choices=["client", "practitioner"], required=False, default="client")
        status = serializers.ChoiceField(choices=Booking.Status.choices, required=False)
        page = serializers.IntegerField(required=False)
        page_size = serializers.IntegerField(required=False)

        def to_internal_value(self, data):
            data = {("as_" if k == "as" else k): v for k, v in data.items()}
            return super().to_internal_value(data)

    class Input(StrictInput):
        service_id = StrictUUIDField()
        start_at = AwareDateTimeField(required=False)
        session_id = StrictUUIDField(required=False)

    def get(self, request):
        filters = self.Filters(data=request.query_params.dict())
        filters.is_valid(raise_exception=True)
        page = PageRequest.from_query(request.query_params)
        role = filters.validated_data["as_"]
        if role == "practitioner":
            practitioner = getattr(request.user, "practitioner", None)
            query = Booking.objects.filter(practitioner=practitioner) if practitioner else Booking.objects.none()
        else:
            query = Booking.objects.filter(client=request.user)
        applied = {"as": role}
        if "status" in filters.validated_data:
            query = query.filter(status=filters.validated_data["status"])
            applied["status"] = filters.validated_data["status"]
        query = query.select_related("service", "practitioner").prefetch_related("seats", "children")
        count = query.count()
        items = [booking_out(b) for b in query.order_by("-created_at")[page.offset:page.offset + page.page_size]]
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

    def get(self, request, booking_id):
        booking = (Booking.objects.filter(_visible(request), id=booking_id).select_related("service", "practitioner")
                   .first())
        if booking is None:
            raise NotFound("Booking not found.")
        return ok(booking_out(booking))


class TimeInput(StrictInput):
    start_at = AwareDateTimeField()


class BookingScheduleApi(APIView):
    permission_classes = [IsAuthenticated]

    @idempotent
    def post(self, request, booking_id):
        data = TimeInput(data=request.data)
        data.is_valid(raise_exception=True)
        booking = services.booking_schedule(booking_id=booking_id, actor=request.user, **data.validated_data)
        return ok(booking_out(booking), message="Scheduled.")


class BookingRescheduleApi(APIView):
    permission_classes = [IsAuthenticated]

    @idempotent
    def post(self, request, booking_id):
        data = TimeInput(data=request.data)
        data.is_valid(raise_exception=True)
        booking = services.booking_reschedule(booking_id=booking_id, actor=request.user, **data.validated_data)
        return ok(booking_out(booking), message="Rescheduled.")


class BookingCancelApi(APIView):
    permission_classes = [IsAuthenticated]

    class Input(StrictInput):
        reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")

    @idempotent
    def post(self, request, booking_id):
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        booking = services.booking_cancel(booking_id=booking_id, actor=request.user, **data.validated_data)
        return ok(booking_out(booking), message="Cancelled.")


class BookingCompleteApi(APIView):
    permission_classes = [IsAuthenticated]

    @idempotent
    def post(self, request, booking_id):
        booking = services.booking_complete(booking_id=booking_id, actor=request.user)
        return ok(booking_out(booking), message="Completed.")
