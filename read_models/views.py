"""The base of every read-API view: positions in, positions out."""

from __future__ import annotations

from typing import ClassVar

from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api_conventions.authentication import CheckedStatelessJWTAuthentication
from api_conventions.errors import ValidationFailed
from read_models import positions


class ReadModelView(APIView):
    """Declares the read models it answers from.

    ``X-Min-Position: N`` makes the request wait (bounded) until each of them applied event N;
    every response says, in ``X-Projection-Position``, the lowest position among them.
    """

    read_models: ClassVar[tuple[str, ...]] = ()
    # The token is the identity: no user table to ask (the read API has no database). Declared here, not
    # only in settings, because DRF copies its defaults onto APIView once, when first imported.
    authentication_classes = [CheckedStatelessJWTAuthentication]

    def initial(self, request: Request, *args, **kwargs) -> None:
        super().initial(request, *args, **kwargs)
        raw = request.headers.get("X-Min-Position")
        if raw is None:
            return
        try:
            minimum = int(raw) if raw.strip().isascii() else -1
            if not 0 <= minimum < 2**63:
                raise ValueError
        except ValueError:
            raise ValidationFailed(errors={"X-Min-Position": ["Must be a non-negative whole number."]})
        request.projection_position = positions.wait_for(self.read_models, minimum)

    def finalize_response(self, request: Request, response: Response, *args, **kwargs) -> Response:
        response = super().finalize_response(request, response, *args, **kwargs)
        position = getattr(request, "projection_position", None)
        if position is None and self.read_models:
            try:
                position = positions.lowest_position(self.read_models)
            except Exception:  # noqa: BLE001 - the header must not turn an answer into an error
                position = None
        if position is not None:
            response["X-Projection-Position"] = str(position)
        return response
