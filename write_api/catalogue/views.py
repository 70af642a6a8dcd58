from __future__ import annotations

from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.views import APIView

from api_conventions.errors import NotFound
from api_conventions.pagination import PageRequest, pagination_meta
from api_conventions.responses import created, ok
from api_conventions.serializers import StrictInput, StrictUUIDField, service_format_field
from kernel.vocabulary import ServiceFormat, ServiceStatus, ServiceType
from write_api.catalogue import services
from write_api.catalogue.models import Service
from write_api.catalogue.payloads import ServicePayload
from write_api.permissions import IsPractitioner, IsPractitionerOwner


def service_out(s: Service) -> ServicePayload:
    return {"id": str(s.id), "practitioner_id": str(s.practitioner_id), "title": s.title,
            "description": s.description, "service_type": ServiceType(s.service_type),
            "format": ServiceFormat(s.format),
            "status": ServiceStatus(s.status), "price_cents": s.price_cents, "price": f"{s.price_cents / 100:.2f}",
            "duration_minutes": s.duration_minutes, "step_minutes": s.step_minutes, "capacity": s.capacity,
            "validity_days": s.validity_days,
            "category": {"slug": s.category.slug, "name": s.category.name} if s.category else None,
            "modalities": sorted(m.slug for m in s.modalities.all()),
            "children": [{"service_id": str(c.child_id), "quantity": c.quantity} for c in s.children.all()],
            "created_at": s.created_at.isoformat(), "updated_at": s.updated_at.isoformat()}


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
    children = ChildInput(many=True, required=False, max_length=50)  # type: ignore[call-arg]  # a ListSerializer kwarg


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
    service_type = None  # type: ignore[assignment]  # DRF removes an inherited field set to None; a type never changes


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
