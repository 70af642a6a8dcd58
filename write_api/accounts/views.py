from __future__ import annotations

from zoneinfo import available_timezones

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from api_conventions.responses import created, ok
from api_conventions.serializers import StrictInput
from write_api.accounts import services
from write_api.accounts.models import User
from write_api.accounts.tokens import practitioner_id_of, token_pair_for

TIMEZONES = frozenset(available_timezones())


def validate_zone(value: str) -> str:
    if value not in TIMEZONES:
        raise serializers.ValidationError("Unknown IANA time zone.")
    return value


def user_out(user: User) -> dict:
    return {"id": str(user.id), "email": user.email, "first_name": user.first_name,
            "last_name": user.last_name, "timezone": user.timezone, "is_staff": user.is_staff,
            "practitioner_id": practitioner_id_of(user), "date_joined": user.date_joined.isoformat()}


class AuthThrottled(APIView):
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "auth"


class RegisterApi(AuthThrottled):
    class Input(StrictInput):
        email = serializers.EmailField(max_length=254)
        password = serializers.CharField(max_length=128, write_only=True)
        first_name = serializers.CharField(max_length=150, required=False, default="", allow_blank=True)
        last_name = serializers.CharField(max_length=150, required=False, default="", allow_blank=True)
        timezone = serializers.CharField(max_length=64, required=False, default="UTC", validators=[validate_zone])

        def validate_password(self, value: str) -> str:
            try:
                validate_password(value)
            except DjangoValidationError as exc:
                raise serializers.ValidationError(list(exc.messages))
            if len(value) < 8:
                raise serializers.ValidationError("At least 8 characters.")
            return value

    def post(self, request):
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.user_register(**data.validated_data)
        return created({"user": user_out(user), "tokens": token_pair_for(user)}, message="Registered.")


class LoginApi(AuthThrottled):
    class Input(StrictInput):
        email = serializers.EmailField(max_length=254)
        password = serializers.CharField(max_length=128)

    def post(self, request):
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        return ok(services.user_login(**data.validated_data), message="Logged in.")


class RefreshApi(AuthThrottled):
    class Input(StrictInput):
        refresh = serializers.CharField(max_length=2000)

    def post(self, request):
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        return ok(services.token_refresh(refresh=data.validated_data["refresh"]), message="Refreshed.")


class MeApi(APIView):
    permission_classes = [IsAuthenticated]

    class Input(StrictInput):
        first_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
        last_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
        timezone = serializers.CharField(max_length=64, required=False, validators=[validate_zone])

    def get(self, request):
        return ok(user_out(request.user))

    def patch(self, request):
        data = self.Input(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        user = services.user_update(user=request.user, **data.validated_data)
        return ok(user_out(user), message="Updated.")
