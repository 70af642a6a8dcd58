from __future__ import annotations

from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.views import APIView

from api_conventions.errors import NotFound
from api_conventions.pagination import PageQuery, PageRequest, pagination_meta
from api_conventions.responses import created, ok
from api_conventions.serializers import AwareDateTimeField, StrictInput, StrictUUIDField, service_format_field
from write_api.catalogue import services
from write_api.catalogue.models import Service, ServiceSession
from write_api.catalogue.payloads import ServicePayload, SessionPayload
from write_api.permissions import IsPractitioner, IsPractitionerOwner


def service_out(s: Service) -> ServicePayload:
    return {"id": str(s.id), "practitioner_id": str(s.practitioner_id), "title": s.title,
            "description": s.description, "service_type": s.service_type, "format": s.format,
            "status": s.status, "price_cents": s.price_cents, "price": f"{s.price_cents / 100:.2f}",
            "duration_minutes": s.duration_minutes, "step_minutes": s.step_minutes, "capacity": s.capacity,
            "validity_days": s.validity_days,
            "category": {"slug": s.category.slug, "name": s.category.name} if s.category_id else None,
            "modalities": sorted(m.slug for m in s.modalities.all()),
            "children": [{"service_id": str(c.child_id), "quantity": c.quantity} for c in s.children.all()],
            "created_at": s.created_at.isoformat(), "updated_at": s.updated_at.isoformat()}


def session_out(s: ServiceSession) -> SessionPayload:
    taken = s.seats.filter(active=True).count()
    return {"id": str(s.id), "service_id": str(s.service_id), "start_at": s.start_at.isoformat(),
            "end_at": s.end_at.isoformat(), "capacity": s.capacity, "seats_taken": taken,
            "seats_left": max(s.capacity - taken, 0), "status": s.status}


class CategoryField(serializers.SlugField):
    """A category's slug, or the ``{"slug": …, "name": …}`` object both APIs answer with (so a client can send
    back what it read)."""

    def to_internal_value(self, data):
        if isinstance(data, dict) and set(data) <= {"slug", "name"} and "slug" in data:
            data = data["slug"]
        return super().to_internal_value(data)


class ChildInput(StrictInput):
    service_id = StrictUUIDField()
    quantity = serializers.IntegerField(min_value=1, max_value=100)


class ServiceInput(StrictInput):
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=10_000, required=False, allow_blank=True)
    service_type = serializers.ChoiceField(choices=Service.Type.choices)
    format = service_format_field(Service.Format.choices, required=False)
    status = serializers.ChoiceField(choices=[c for c in Service.Status.choices if c[0] != "archived"],
                                     required=False)
    price_cents = serializers.IntegerField(min_value=0, max_value=100_000_000)
    duration_minutes = serializers.IntegerField(min_value=5, max_value=24 * 60, required=False)
    step_minutes = serializers.IntegerField(min_value=5, max_value=240, required=False)
    capacity = serializers.IntegerField(min_value=1, max_value=10_000, required=False)
    validity_days = serializers.IntegerField(min_value=1, max_value=3650, required=False)
    category = CategoryField(max_length=60, required=False, allow_null=True,
                             help_text="A category slug (or the `{slug, name}` object the APIs answer with).")
    modalities = serializers.ListField(child=serializers.SlugField(max_length=60), max_length=20, required=False)
    children = ChildInput(many=True, required=False, max_length=50)


class ServiceCreateApi(APIView):
    """``POST`` creates a service; ``GET`` lists the caller's own services in every status (drafts included)."""

    permission_classes = [IsAuthenticated, IsPractitioner]
    input_serializer = ServiceInput  # for the OpenAPI schema (api_conventions.schema)
    payload = {"get": list[ServicePayload], "post": ServicePayload}
    conflicts = {"post": ("not_a_practitioner",)}

    class Filters(StrictInput):
        status = serializers.ChoiceField(choices=Service.Status.choices, required=False)
        service_type = serializers.ChoiceField(choices=Service.Type.choices, required=False)
        page = serializers.IntegerField(required=False)
        page_size = serializers.IntegerField(required=False)

    query_serializer = Filters

    def get(self, request):
        filters = self.Filters(data=request.query_params.dict())
        filters.is_valid(raise_exception=True)
        page = PageRequest.from_query(request.query_params)
        applied = {k: v for k, v in filters.validated_data.items() if k in ("status", "service_type")}
        query = (Service.objects.filter(practitioner=request.user.practitioner, **applied)
                 .select_related("category").prefetch_related("modalities", "children")
                 .order_by("-created_at", "id"))
        count = query.count()
        items = [service_out(s) for s in query[page.offset:page.offset + page.page_size]]
        return ok(items, meta={"pagination": pagination_meta(request, page, count), "filters_applied": applied})

    def post(self, request):
        data = ServiceInput(data=request.data)
        data.is_valid(raise_exception=True)
        service = services.service_create(actor=request.user, **data.validated_data)
        return created(service_out(service))


class ServiceUpdateInput(ServiceInput):
    service_type = None  # the type of a service never changes


def owned_service(view: APIView, request, service_id) -> Service:
    """The service, once ``view``'s object permissions (``IsPractitionerOwner``) passed: 404, then 403."""
    service = Service.objects.filter(id=service_id).first()
    if service is None:
        raise NotFound("Service not found.")
    view.check_object_permissions(request, service)
    return service


class ServiceDetailApi(APIView):
    permission_classes = [IsAuthenticated, IsPractitionerOwner]
    input_serializer = ServiceUpdateInput  # for the OpenAPI schema (api_conventions.schema)
    payload = ServicePayload
    conflicts = {"patch": ("service_archived",)}

    def patch(self, request, service_id):
        owned_service(self, request, service_id)
        data = ServiceUpdateInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        service = services.service_update(service_id=service_id, actor=request.user,
                                          changes=data.validated_data)
        return ok(service_out(service), message="Updated.")

    def delete(self, request, service_id):
        owned_service(self, request, service_id)
        service = services.service_archive(service_id=service_id, actor=request.user)
        return ok(service_out(service), message="Archived.")


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
        from write_api.bookings.services import session_cancel

        owned_service(self, request, service_id)
        session = session_cancel(service_id=service_id, session_id=session_id, actor=request.user)
        return ok(session_out(session), message="Session cancelled; every seat refunded.")
