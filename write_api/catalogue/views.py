from __future__ import annotations

from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.views import APIView

from api_conventions.responses import created, no_content, ok
from api_conventions.serializers import StrictInput
from write_api.catalogue import services
from write_api.catalogue.models import Service


def service_out(s: Service) -> dict:
    return {"id": str(s.id), "practitioner_id": str(s.practitioner_id), "title": s.title,
            "description": s.description, "service_type": s.service_type, "format": s.format,
            "status": s.status, "price_cents": s.price_cents, "price": f"{s.price_cents / 100:.2f}",
            "duration_minutes": s.duration_minutes, "created_at": s.created_at.isoformat(),
            "updated_at": s.updated_at.isoformat()}


class ServiceInput(StrictInput):
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=10_000, required=False, allow_blank=True)
    service_type = serializers.ChoiceField(choices=Service.Type.choices)
    format = serializers.ChoiceField(choices=Service.Format.choices, required=False)
    status = serializers.ChoiceField(choices=[c for c in Service.Status.choices if c[0] != "archived"],
                                     required=False)
    price_cents = serializers.IntegerField(min_value=0, max_value=100_000_000)
    duration_minutes = serializers.IntegerField(min_value=5, max_value=24 * 60, required=False)


class ServiceCreateApi(APIView):
    permission_classes = [IsAuthenticated]

    def post(self, request):
        data = ServiceInput(data=request.data)
        data.is_valid(raise_exception=True)
        service = services.service_create(actor=request.user, **data.validated_data)
        return created(service_out(service))


class ServiceDetailApi(APIView):
    permission_classes = [IsAuthenticated]

    class UpdateInput(ServiceInput):
        service_type = None  # the type of a service never changes

    def patch(self, request, service_id):
        data = self.UpdateInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        service = services.service_update(service_id=service_id, actor=request.user, changes=data.validated_data)
        return ok(service_out(service), message="Updated.")

    def delete(self, request, service_id):
        services.service_archive(service_id=service_id, actor=request.user)
        return no_content()
