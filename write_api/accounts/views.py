from __future__ import annotations

from zoneinfo import available_timezones

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.views import APIView

from api_conventions.payloads import example
from api_conventions.responses import created, ok
from api_conventions.serializers import StrictInput
from api_conventions.throttling import ScopedThrottle
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


class UserOut(serializers.Serializer):
    """What :func:`user_out` returns (documentation of the response)."""

    id = serializers.UUIDField()
    email = serializers.EmailField()
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    timezone = serializers.CharField(help_text="IANA zone name.")
    is_staff = serializers.BooleanField()
    practitioner_id = serializers.UUIDField(allow_null=True, help_text="Set once the user became a practitioner.")
    date_joined = serializers.DateTimeField()


class TokenPairOut(serializers.Serializer):
    access = serializers.CharField(help_text="JWT for `Authorization: Bearer`, valid 30 minutes.")
    refresh = serializers.CharField(help_text="Valid 7 days, single use: refreshing rotates it.")


class RegisteredOut(serializers.Serializer):
    user = UserOut()
    tokens = TokenPairOut()


_USER = {"id": "1e2f3a4b-5c6d-4e7f-8a9b-0c1d2e3f4a5b", "email": "casey@example.com", "first_name": "Casey",
         "last_name": "Client", "timezone": "Europe/Berlin", "is_staff": False, "practitioner_id": None,
         "date_joined": "2026-03-01T18:00:00+00:00"}
_TOKENS = {"access": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9…", "refresh": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9…"}
example(UserOut, _USER)
example(TokenPairOut, _TOKENS)
example(RegisteredOut, {"user": _USER, "tokens": _TOKENS})


class AuthThrottled(APIView):
    """Login, register and refresh share the ``auth`` rate per client IP."""

    throttle_classes = [ScopedThrottle]
    throttle_scope = "auth"


class RegisterApi(AuthThrottled):
    output_serializer = RegisteredOut
    conflicts = ("email_taken",)

    class Input(StrictInput):
        email = serializers.EmailField(max_length=254)
        password = serializers.CharField(max_length=128, write_only=True, trim_whitespace=False)
        first_name = serializers.CharField(max_length=150, required=False, default="", allow_blank=True)
        last_name = serializers.CharField(max_length=150, required=False, default="", allow_blank=True)
        timezone = serializers.CharField(max_length=64, required=False, default="UTC", validators=[validate_zone])

        def validate(self, attrs: dict) -> dict:
            candidate = User(email=attrs["email"].lower(), first_name=attrs["first_name"],
                             last_name=attrs["last_name"])
            try:
                validate_password(attrs["password"], user=candidate)
            except DjangoValidationError as exc:
                raise serializers.ValidationError({"password": list(exc.messages)})
            return attrs

    @extend_schema(summary="Create an account", description="Answers with the user and a token pair.")
    def post(self, request):
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.user_register(**data.validated_data)
        return created({"user": user_out(user), "tokens": token_pair_for(user)}, message="Registered.")


class LoginApi(AuthThrottled):
    output_serializer = TokenPairOut
    success_status = 200

    class Input(StrictInput):
        email = serializers.EmailField(max_length=254)
        password = serializers.CharField(max_length=128, trim_whitespace=False)

    @extend_schema(summary="Obtain a token pair", description="Wrong email or password: 401 `invalid_credentials`.")
    def post(self, request):
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        return ok(services.user_login(**data.validated_data), message="Logged in.")


class RefreshApi(AuthThrottled):
    output_serializer = TokenPairOut
    success_status = 200

    class Input(StrictInput):
        refresh = serializers.CharField(max_length=2000)

    @extend_schema(summary="Rotate a refresh token",
                   description="Returns a new pair with current claims; the presented refresh token is "
                               "revoked, so using it again answers 401 `token_not_valid`.")
    def post(self, request):
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        return ok(services.token_refresh(refresh=data.validated_data["refresh"]), message="Refreshed.")


class MeApi(APIView):
    permission_classes = [IsAuthenticated]
    output_serializer = UserOut

    class Input(StrictInput):
        first_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
        last_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
        timezone = serializers.CharField(max_length=64, required=False, validators=[validate_zone])

    @extend_schema(summary="The calling user")
    def get(self, request):
        return ok(user_out(request.user))

    @extend_schema(summary="Update the calling user's profile")
    def patch(self, request):
        data = self.Input(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        user = services.user_update(user=request.user, **data.validated_data)
        return ok(user_out(user), message="Updated.")
