"""``/health/`` (the process answers) and ``/health/ready/`` (its dependencies answer)."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable

import orjson
from django.http import HttpRequest, HttpResponse

from api_conventions.envelope import error_body, success_body
from api_conventions.middleware import envelope_response
from kernel.vocabulary import ErrorCode

Check = Callable[[], None]
View = Callable[[HttpRequest], HttpResponse]


def read_only(view: View) -> View:
    """GET and HEAD only; anything else gets a 405 envelope (plain Django views bypass DRF's handler)."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest) -> HttpResponse:
        if request.method not in ("GET", "HEAD"):
            response = envelope_response(405, "method_not_allowed", f'Method "{request.method}" not allowed.')
            response["Allow"] = "GET, HEAD"
            return response
        return view(request)

    return wrapped


@read_only
def liveness(request: HttpRequest) -> HttpResponse:
    return HttpResponse(orjson.dumps(success_body({"alive": True})), content_type="application/json")


def readiness_view(checks: dict[str, Check]) -> View:
    @read_only
    def view(request: HttpRequest) -> HttpResponse:
        results: dict[str, dict] = {}
        healthy = True
        for name, check in checks.items():
            started = time.perf_counter()
            try:
                check()
                results[name] = {"ok": True}
            except Exception as exc:  # noqa: BLE001 - any failure means "not ready"
                healthy = False
                results[name] = {"ok": False, "error": type(exc).__name__}
            results[name]["ms"] = round((time.perf_counter() - started) * 1000, 1)
        if healthy:
            body = success_body({"ready": True, "checks": results})
            return HttpResponse(orjson.dumps(body), content_type="application/json")
        body = error_body(code=ErrorCode.NOT_READY, message="A dependency is unavailable.", errors=results)
        return HttpResponse(orjson.dumps(body), status=503, content_type="application/json")

    return view
