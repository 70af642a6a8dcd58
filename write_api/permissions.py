"""DRF permission classes of the write API (SPEC roles: client, practitioner, staff).

Object checks are repeated inside the commands (services), which are the real authority: a
permission class only gives the early, uniform 401/403.
"""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request
from rest_framework.views import APIView


def _practitioner_id(user: Any) -> Any:
    profile = getattr(user, "practitioner", None) if user and user.is_authenticated else None
    return profile.id if profile is not None else None


class IsPractitioner(BasePermission):
    message = "Only practitioners can do this; become one at POST /api/v1/practitioners/."

    def has_permission(self, request: Request, view: APIView) -> bool:
        return _practitioner_id(request.user) is not None


class IsOwnerOrReadOnly(BasePermission):
    """Anyone may read; only the object's owner (``user_id`` or ``client_id``) or staff may change it."""

    def has_object_permission(self, request: Request, view: APIView, obj: Any) -> bool:
        if request.method in SAFE_METHODS:
            return True
        owner = getattr(obj, "user_id", None) or getattr(obj, "client_id", None)
        return bool(request.user.is_staff or owner == request.user.id)


class IsPractitionerOwner(BasePermission):
    """The object belongs to the calling practitioner (``practitioner_id``), or the caller is staff."""

    def has_object_permission(self, request: Request, view: APIView, obj: Any) -> bool:
        return bool(request.user.is_staff or getattr(obj, "practitioner_id", None) == _practitioner_id(request.user))

