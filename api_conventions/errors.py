"""One error hierarchy. Services raise these; the exception handler renders the envelope."""

from __future__ import annotations

from typing import Any

from kernel.vocabulary import ErrorCode


class ApplicationError(Exception):
    status_code = 400
    code = ErrorCode.BAD_REQUEST
    default_message = "The request could not be processed."

    def __init__(self, message: str | None = None, *, errors: dict[str, Any] | None = None,
                 code: ErrorCode | None = None) -> None:
        self.message = message or self.default_message
        self.errors = errors or {}
        if code:
            self.code = code
        super().__init__(self.message)


class ValidationFailed(ApplicationError):
    status_code = 400
    code = ErrorCode.VALIDATION_ERROR
    default_message = "Invalid input."


class NotAuthenticated(ApplicationError):
    status_code = 401
    code = ErrorCode.NOT_AUTHENTICATED
    default_message = "Authentication credentials were not provided or are invalid."


class PermissionDenied(ApplicationError):
    status_code = 403
    code = ErrorCode.PERMISSION_DENIED
    default_message = "You do not have permission to perform this action."


class NotFound(ApplicationError):
    status_code = 404
    code = ErrorCode.NOT_FOUND
    default_message = "Not found."


class Conflict(ApplicationError):
    """A business-rule conflict; always raised with a specific ``code``."""

    status_code = 409
    code = ErrorCode.CONFLICT
    default_message = "The request conflicts with the current state."


class PayloadTooLarge(ApplicationError):
    status_code = 413
    code = ErrorCode.PAYLOAD_TOO_LARGE
    default_message = "The request body is too large."


class ProjectionLagging(ApplicationError):
    status_code = 503
    code = ErrorCode.PROJECTION_LAGGING
    default_message = "The read model has not caught up with the requested position yet; retry shortly."


class ServiceUnavailable(ApplicationError):
    status_code = 503
    code = ErrorCode.SERVICE_UNAVAILABLE
    default_message = "A dependency is unavailable; retry shortly."
