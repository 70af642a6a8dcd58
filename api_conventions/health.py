"""``/health/`` (the process answers) and ``/health/ready/`` (its dependencies answer)."""

from __future__ import annotations

import time
from collections.abc import Callable

import orjson
from django.http import HttpRequest, HttpResponse

from api_conventions.envelope import error_body, success_body

Check = Callable[[], None]


def liveness(request: HttpRequest) -> HttpResponse:
    return HttpResponse(orjson.dumps(success_body({"alive": True})), content_type="application/json")


def readiness_view(checks: dict[str, Check]) -> Callable[[HttpRequest], HttpResponse]:
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
        body = error_body(code="not_ready", message="A dependency is unavailable.", errors=results)
        return HttpResponse(orjson.dumps(body), status=503, content_type="application/json")

    return view
