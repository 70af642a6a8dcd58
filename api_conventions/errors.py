"""One error hierarchy. Services raise these; the exception handler renders the envelope."""

from __future__ import annotations

from typing import Any


class ApplicationError(Exception):
    status_code = 400
    code = "bad_request"
    default_message = "The request could not be processed."

    def __init__(self, message: str | None = None, *, errors: dict[str, Any] | None = None,
                 code: str | None = None) -> None:
        self.message = message or self.default_message
        self.errors = errors or {}
        if code:
            self.code = code
        super().__init__(self.message)


class ValidationFailed(ApplicationError):
    status_code = 400
    code = "validation_error"
    default_message = "Invalid input."


class NotAuthenticated(ApplicationError):
    status_code = 401
    code = "not_authenticated"
    default_message = "Authentication credentials were not provided or are invalid."


class PermissionDenied(ApplicationError):
    status_code = 403
    code = "permission_denied"
    default_message = "You do not have permission to perform this action."


class NotFound(ApplicationError):
    status_code = 404
    code = "not_found"
    default_message = "Not found."


class Conflict(ApplicationError):
    """A business-rule conflict; always raised with a specific ``code``."""

    status_code = 409
    code = "conflict"
    default_message = "The request conflicts with the current state."


class PayloadTooLarge(ApplicationError):
    status_code = 413
    code = "payload_too_large"
    default_message = "The request body is too large."


class ProjectionLagging(ApplicationError):
    status_code = 503
    code = "projection_lagging"
    default_message = "The read model has not caught up with the requested position yet; retry shortly."


class ServiceUnavailable(ApplicationError):
    status_code = 503
    code = "service_unavailable"
    default_message = "A dependency is unavailable; retry shortly."
