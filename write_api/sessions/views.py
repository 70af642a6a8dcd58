"""Routes of a service's sessions: list and schedule (``sessions/``), move and cancel (``sessions/<id>/``)."""

from __future__ import annotations

from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.views import APIView

from api_conventions.errors import NotFound
from api_conventions.pagination import PageQuery, PageRequest, pagination_meta
from api_conventions.responses import created, ok
from api_conventions.serializers import AwareDateTimeField, StrictInput
from kernel.vocabulary import SessionStatus
from write_api.catalogue.models import Service, ServiceSession
from write_api.catalogue.payloads import SessionPayload
from write_api.catalogue.views import owned_service
from write_api.permissions import IsPractitionerOwner
from write_api.sessions import services


def session_out(s: ServiceSession) -> SessionPayload:
    taken = s.seats.filter(active=True).count()
    return {"id": str(s.id), "service_id": str(s.service_id), "start_at": s.start_at.isoformat(),
            "end_at": s.end_at.isoformat(), "capacity": s.capacity, "seats_taken": taken,
            "seats_left": max(s.capacity - taken, 0), "status": SessionStatus(s.status)}


class SessionInput(StrictInput):
    start_at = AwareDateTimeField()
    end_at = AwareDateTimeField(required=False)
    capacity = serializers.IntegerField(min_value=1, max_value=10_000, required=False)

    def validate(self, attrs):
        if "end_at" in attrs and "start_at" in attrs and attrs["end_at"] <= attrs["start_at"]:
            raise serializers.ValidationError({"end_at": ["Must be after start_at."]})
        return attrs


class SessionListApi(APIView):
    """``POST`` schedules a session of a workshop/course (owner); ``GET`` lists them: anyone for an active
    service of an active practitioner, only its owner (or staff) otherwise."""

    input_serializer = SessionInput  # for the OpenAPI schema (api_conventions.schema)
    query_serializer = PageQuery
    payload = {"get": list[SessionPayload], "post": SessionPayload}
    conflicts = {"post": ("not_a_scheduled_service", "service_archived", "slot_unavailable")}

    def get_permissions(self):
        return [IsAuthenticated()] if self.request.method == "POST" else []

    def get(self, request, service_id):
        service = Service.objects.select_related("practitioner").filter(id=service_id).first()
        user = request.user
        public = (service is not None and service.status == Service.Status.ACTIVE and service.practitioner.is_active)
        mine = service is not None and user.is_authenticated and (service.practitioner.user_id == user.id
                                                                   or user.is_staff)
        if not (public or mine):  # a draft's, inactive or archived service's sessions are its owner's business
            raise NotFound("Service not found.")
        page = PageRequest.from_query(request.query_params)
        sessions = ServiceSession.objects.filter(service_id=service_id).order_by("start_at")
        count = sessions.count()
        items = [session_out(s) for s in sessions[page.offset:page.offset + page.page_size]]
        return ok(items, meta={"pagination": pagination_meta(request, page, count), "filters_applied": {}})

    def post(self, request, service_id):
        data = SessionInput(data=request.data)
        data.is_valid(raise_exception=True)
        session = services.session_create(service_id=service_id, actor=request.user, **data.validated_data)
        return created(session_out(session))


class SessionDetailApi(APIView):
    permission_classes = [IsAuthenticated, IsPractitionerOwner]
    input_serializer = SessionInput  # for the OpenAPI schema (api_conventions.schema)
    payload = SessionPayload
    conflicts = {"patch": ("capacity_below_taken", "session_cancelled", "session_has_bookings", "slot_unavailable"),
                 "delete": ("session_cancelled",)}

    def patch(self, request, service_id, session_id):
        owned_service(self, request, service_id)
        data = SessionInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        session = services.session_update(service_id=service_id, session_id=session_id, actor=request.user,
                                          changes=data.validated_data)
        return ok(session_out(session), message="Updated.")

    def delete(self, request, service_id, session_id):
        owned_service(self, request, service_id)
        session = services.session_cancel(service_id=service_id, session_id=session_id, actor=request.user)
        return ok(session_out(session), message="Session cancelled; every seat refunded.")
