"""``X-Event-Position`` on every write response that appended events."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from write_api.eventlog.services import last_appended_position, reset_appended_position


class EventPositionMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        reset_appended_position()
        response = self.get_response(request)
        position = last_appended_position()
        if position is not None and response.status_code < 400 and "X-Event-Position" not in response:
            response["X-Event-Position"] = str(position)
        return response
