"""The staff admin (SPEC §3): browse everything, change things only through the commands.

Models are read-only here (no add, change or delete through the ORM, which would bypass the event
log); each change staff may make is an admin action calling the same command the API calls, so it
appends its events like any other write.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse

from api_conventions.errors import ApplicationError
from api_conventions.middleware import envelope_response
from api_conventions.throttling import ScopedThrottle
from write_api.bookings.models import Booking
from write_api.bookings.services import booking_cancel
from write_api.catalogue.models import Service
from write_api.catalogue.services import service_archive
from write_api.practitioners.models import Practitioner
from write_api.practitioners.services import practitioner_update
from write_api.reviews.models import Review
from write_api.reviews.services import review_delete
from write_api.streams.models import Stream
from write_api.streams.services import stream_archive


class CommandOnlyAdmin(admin.ModelAdmin):
    """Read-only model admin; actions run commands one object at a time and report each outcome."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def run_command(self, request, queryset, command: Callable[[Any], Any], verb: str) -> None:
        done = 0
        for obj in queryset:
            try:
                command(obj)
                done += 1
            except ApplicationError as exc:
                self.message_user(request, f"{obj}: {exc.message}", messages.WARNING)
        if done:
            self.message_user(request, f"{verb} {done} item(s).", messages.SUCCESS)


@admin.register(Practitioner)
class PractitionerAdmin(CommandOnlyAdmin):
    list_display = ("display_name", "user", "timezone", "is_active", "created_at")
    list_filter = ("is_active",)
    search_fields = ("display_name", "user__email")
    actions = ("suspend", "reactivate")

    @admin.action(description="Suspend (leaves search and browsing)")
    def suspend(self, request, queryset) -> None:
        self.run_command(request, queryset, lambda p: practitioner_update(
            practitioner_id=p.id, actor=request.user, changes={"is_active": False}), "Suspended")

    @admin.action(description="Reactivate")
    def reactivate(self, request, queryset) -> None:
        self.run_command(request, queryset, lambda p: practitioner_update(
            practitioner_id=p.id, actor=request.user, changes={"is_active": True}), "Reactivated")


@admin.register(Service)
class ServiceAdmin(CommandOnlyAdmin):
    list_display = ("title", "practitioner", "service_type", "status", "price_cents", "created_at")
    list_filter = ("service_type", "status", "format")
    search_fields = ("title", "practitioner__display_name")
    actions = ("archive",)

    @admin.action(description="Archive (delete = archive; history stays)")
    def archive(self, request, queryset) -> None:
        self.run_command(request, queryset, lambda s: service_archive(service_id=s.id, actor=request.user),
                         "Archived")


@admin.register(Booking)
class BookingAdmin(CommandOnlyAdmin):
    list_display = ("id", "service", "client", "status", "start_at", "price_cents", "refund_cents")
    list_filter = ("status",)
    search_fields = ("id", "client__email", "service__title")
    actions = ("cancel_with_full_refund",)

    @admin.action(description="Cancel as the platform (100 % refund)")
    def cancel_with_full_refund(self, request, queryset) -> None:
        self.run_command(request, queryset, lambda b: booking_cancel(booking_id=b.id, actor=request.user,
                                                                     reason="Cancelled by staff."), "Cancelled")


@admin.register(Review)
class ReviewAdmin(CommandOnlyAdmin):
    list_display = ("id", "rating", "created_at")
    actions = ("remove",)

    @admin.action(description="Remove (moderation)")
    def remove(self, request, queryset) -> None:
        self.run_command(request, queryset, lambda r: review_delete(review_id=r.id, actor=request.user), "Removed")


@admin.register(Stream)
class StreamAdmin(CommandOnlyAdmin):
    list_display = ("title", "access", "status", "created_at")
    list_filter = ("access", "status")
    search_fields = ("title",)
    actions = ("archive",)

    @admin.action(description="Archive (moderation)")
    def archive(self, request, queryset) -> None:
        self.run_command(request, queryset, lambda s: stream_archive(stream_id=s.id, actor=request.user), "Archived")


class _LoginScope:
    throttle_scope = "auth"


def admin_login(request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
    """``/admin/login/``: password attempts share the API login's limit (``THROTTLE_AUTH`` per client IP),
    so the admin form is no cheaper way to guess passwords or to burn the server's CPU on hashes."""
    if request.method == "POST":
        throttle = ScopedThrottle()
        # DRF's throttle reads the request's META and user and the view's scope, which these have too.
        if not throttle.allow_request(request, _LoginScope()):  # type: ignore[arg-type]
            response = envelope_response(429, "throttled", "Too many login attempts; retry later.")
            wait = throttle.wait()
            if wait:
                response["Retry-After"] = str(math.ceil(wait))
            return response
    return admin.site.login(request, extra_context)
