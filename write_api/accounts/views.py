from __future__ import annotations

from zoneinfo import available_timezones

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.views import APIView

from api_conventions.deprecation import Deprecated
from api_conventions.errors import ValidationFailed
from api_conventions.payloads import example
from api_conventions.responses import ok
from api_conventions.serializers import StrictInput
from api_conventions.throttling import ScopedThrottle
from write_api.accounts import services
from write_api.accounts.models import User
from write_api.accounts.payloads import RegistrationPayload
from write_api.accounts.tokens import practitioner_id_of, token_pair_for
from write_api.eventlog.services import reset_appended_position

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
    email = serializers.EmailField(help_text="The address, normalised; log in with it for tokens.")


class SignedInOut(serializers.Serializer):
    user = UserOut()
    tokens = TokenPairOut()


class LoginOut(SignedInOut):
    """The user and ``tokens``; ``access``/``refresh`` at the top are the deprecated 1.0 shape."""

    access = serializers.CharField(help_text="Deprecated: `tokens.access`.")
    refresh = serializers.CharField(help_text="Deprecated: `tokens.refresh`.")


class RefreshedOut(serializers.Serializer):
    tokens = TokenPairOut()
    access = serializers.CharField(help_text="Deprecated: `tokens.access`.")
    refresh = serializers.CharField(help_text="Deprecated: `tokens.refresh`.")


# Tokens sit in ``data.tokens`` on every answer that issues them (login, refresh, becoming a practitioner);
# login and refresh answered them at the top of ``data`` in 1.0.
TOKENS_AT_THE_TOP = (Deprecated.field("access", replacement="`tokens.access`", methods=("POST",)),
                     Deprecated.field("refresh", replacement="`tokens.refresh`", methods=("POST",)))


_USER = {"id": "1e2f3a4b-5c6d-4e7f-8a9b-0c1d2e3f4a5b", "email": "casey@example.com", "first_name": "Casey",
         "last_name": "Client", "timezone": "Europe/Berlin", "is_staff": False, "practitioner_id": None,
         "date_joined": "2026-03-01T18:00:00+00:00"}
_TOKENS = {"access": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9…", "refresh": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9…"}
example(UserOut, _USER)
example(TokenPairOut, _TOKENS)
example(LoginOut, {"user": _USER, "tokens": _TOKENS, **_TOKENS})
example(RefreshedOut, {"tokens": _TOKENS, **_TOKENS})


def with_tokens(data: dict, pair: dict[str, str]) -> dict:
    return {**data, "tokens": pair, **pair}


class AuthThrottled(APIView):
    """Login, register and refresh share the ``auth`` rate per client IP. They issue tokens, so they ignore
    any ``Authorization`` header (a client holding an expired token must still be able to log in)."""

    authentication_classes: list = []
    throttle_classes = [ScopedThrottle]
    throttle_scope = "auth"


class RegisterApi(AuthThrottled):
    payload = RegistrationPayload
    success_status = 202

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

    @extend_schema(summary="Create an account", description=(
        "Always 202 with the same answer and the same work, whether or not the address already had an account: "
        "registration must not tell anyone which addresses are registered. Then log in (`POST auth/login/`) "
        "for a token pair; an address that was taken keeps its own password."))
    def post(self, request):
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        services.user_register(**data.validated_data)
        reset_appended_position()  # no X-Event-Position: the headers must not tell either
        return ok({"email": data.validated_data["email"].lower()}, status=202,
                  message="Registered: log in to get your tokens. (If this address already had an account, "
                          "nothing changed.)")


class LoginApi(AuthThrottled):
    output_serializer = LoginOut
    success_status = 200
    deprecations = TOKENS_AT_THE_TOP

    class Input(StrictInput):
        email = serializers.EmailField(max_length=254)
        password = serializers.CharField(max_length=128, trim_whitespace=False)

    @extend_schema(summary="Obtain a token pair", description="Answers with the user and `tokens`. Wrong "
                   "email or password: 401 `invalid_credentials`.")
    def post(self, request):
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.user_login(**data.validated_data)
        return ok(with_tokens({"user": user_out(user)}, token_pair_for(user)), message="Logged in.")


class RefreshApi(AuthThrottled):
    output_serializer = RefreshedOut
    success_status = 200
    deprecations = TOKENS_AT_THE_TOP

    class Input(StrictInput):
        refresh = serializers.CharField(max_length=2000)

    @extend_schema(summary="Rotate a refresh token",
                   description="Returns a new pair with current claims; the presented refresh token is "
                               "revoked, so using it again answers 401 `token_not_valid`.")
    def post(self, request):
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        return ok(with_tokens({}, services.token_refresh(refresh=data.validated_data["refresh"])),
                  message="Refreshed.")


READ_ONLY_USER_FIELDS = ("id", "email", "is_staff", "practitioner_id", "date_joined")


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

    @extend_schema(summary="Update the calling user's profile",
                   description="The body of `GET auth/me/` may be sent back as is: its read-only fields (`id`, "
                               "`email`, `is_staff`, `practitioner_id`, `date_joined`) are ignored when they hold "
                               "the current value, and a 400 `validation_error` names each one that would change.")
    def patch(self, request):
        body = request.data
        if isinstance(body, dict):
            current = user_out(request.user)
            changed = {name: ["Read-only: it cannot be changed here."] for name in READ_ONLY_USER_FIELDS
                       if name in body and body[name] != current[name]}
            if changed:
                raise ValidationFailed(errors=changed)
            body = {k: v for k, v in body.items() if k not in READ_ONLY_USER_FIELDS}
        data = self.Input(data=body, partial=True)
        data.is_valid(raise_exception=True)
        user = services.user_update(user=request.user, **data.validated_data)
        return ok(user_out(user), message="Updated.")
