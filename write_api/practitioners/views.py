from __future__ import annotations

from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.views import APIView

from api_conventions.deprecation import Deprecated
from api_conventions.errors import NotFound
from api_conventions.responses import created, ok
from api_conventions.serializers import StrictInput
from write_api.accounts.tokens import token_pair_for
from write_api.accounts.views import validate_zone
from write_api.permissions import IsOwnerOrReadOnly
from write_api.practitioners import services
from write_api.practitioners.models import Practitioner
from write_api.practitioners.payloads import BecamePractitionerPayload, PractitionerPayload


def practitioner_out(p: Practitioner) -> PractitionerPayload:
    return {"id": str(p.id), "user_id": str(p.user_id), "display_name": p.display_name, "title": p.title,
            "bio": p.bio, "timezone": p.timezone, "is_active": p.is_active,
            "buffer_minutes": p.buffer_minutes, "min_notice_minutes": p.min_notice_minutes,
            "max_advance_days": p.max_advance_days, "online_only": p.online_only, "address": p.address,
            "location": None if p.latitude is None or p.longitude is None else {"lat": p.latitude, "lon": p.longitude},
            "latitude": p.latitude, "longitude": p.longitude,  # deprecated: `location`
            "modalities": sorted(m.slug for m in p.modalities.all()), "created_at": p.created_at.isoformat()}


class LocationInput(StrictInput):
    lat = serializers.FloatField(min_value=-90, max_value=90)
    lon = serializers.FloatField(min_value=-180, max_value=180)


# ``location: {lat, lon}`` is the one shape of a place on both APIs; 1.0's flat names keep working.
FLAT_COORDINATES = tuple(Deprecated.parameter(name, replacement="`location: {lat, lon}`", methods=("POST", "PATCH"))
                         for name in ("latitude", "longitude"))


class ProfileInput(StrictInput):
    display_name = serializers.CharField(max_length=120)
    title = serializers.CharField(max_length=120, required=False, allow_blank=True)
    bio = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    timezone = serializers.CharField(max_length=64, required=False, validators=[validate_zone])
    buffer_minutes = serializers.IntegerField(min_value=0, max_value=240, required=False)
    min_notice_minutes = serializers.IntegerField(min_value=0, max_value=60 * 24 * 30, required=False)
    max_advance_days = serializers.IntegerField(min_value=1, max_value=730, required=False)
    online_only = serializers.BooleanField(required=False)
    address = serializers.CharField(max_length=300, required=False, allow_blank=True)
    location = LocationInput(required=False, allow_null=True, help_text="Null: no place (online only).")
    latitude = serializers.FloatField(min_value=-90, max_value=90, required=False, allow_null=True,
                                      help_text="Deprecated: `location.lat`.")
    longitude = serializers.FloatField(min_value=-180, max_value=180, required=False, allow_null=True,
                                       help_text="Deprecated: `location.lon`.")
    modalities = serializers.ListField(child=serializers.SlugField(max_length=60), max_length=20, required=False)
    is_active = serializers.BooleanField(required=False, help_text="Staff only.")

    def validate(self, attrs: dict) -> dict:
        if "location" in attrs:
            if "latitude" in attrs or "longitude" in attrs:
                raise serializers.ValidationError({"location": ["Give `location` alone, without the deprecated "
                                                                "`latitude`/`longitude`."]})
            location = attrs.pop("location")
            attrs["latitude"], attrs["longitude"] = (location["lat"], location["lon"]) if location else (None, None)
        return attrs


class PractitionerCreateApi(APIView):
    """Become a practitioner. Answers with fresh tokens carrying the new ``practitioner_id`` claim."""

    permission_classes = [IsAuthenticated]
    input_serializer = ProfileInput  # for the OpenAPI schema (api_conventions.schema)
    payload = BecamePractitionerPayload
    conflicts = ("already_practitioner",)
    deprecations = (*FLAT_COORDINATES, Deprecated.field("practitioner.latitude", replacement="`practitioner.location`",
                                                        methods=("POST",)),
                    Deprecated.field("practitioner.longitude", replacement="`practitioner.location`",
                                     methods=("POST",)))

    def post(self, request):
        data = ProfileInput(data=request.data)
        data.is_valid(raise_exception=True)
        practitioner = services.practitioner_register(user=request.user, **data.validated_data)
        request.user.practitioner = practitioner
        return created({"practitioner": practitioner_out(practitioner), "tokens": token_pair_for(request.user)})


class PractitionerDetailApi(APIView):
    input_serializer = ProfileInput  # for the OpenAPI schema (api_conventions.schema)
    payload = PractitionerPayload
    deprecations = (*FLAT_COORDINATES,
                    *(Deprecated.field(name, replacement="`location`", methods=("GET", "PATCH"))
                      for name in ("latitude", "longitude")))

    def get_permissions(self):
        return [IsAuthenticated(), IsOwnerOrReadOnly()] if self.request.method == "PATCH" else [IsOwnerOrReadOnly()]

    def _practitioner(self, request, practitioner_id) -> Practitioner:
        practitioner = Practitioner.objects.filter(id=practitioner_id).first()
        if practitioner is None:
            raise NotFound("Practitioner not found.")
        self.check_object_permissions(request, practitioner)
        return practitioner

    def get(self, request, practitioner_id):
        return ok(practitioner_out(self._practitioner(request, practitioner_id)))

    def patch(self, request, practitioner_id):
        self._practitioner(request, practitioner_id)
        data = ProfileInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        practitioner = services.practitioner_update(practitioner_id=practitioner_id, actor=request.user,
                                                    changes=data.validated_data)
        return ok(practitioner_out(practitioner), message="Updated.")
