"""The base of every read-API view: positions in, positions out."""

from __future__ import annotations

from typing import ClassVar

from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api_conventions.errors import ValidationFailed
from read_models import positions


class ReadModelView(APIView):
    """Declares the read models it answers from.

    ``X-Min-Position: N`` makes the request wait (bounded) until each of them applied event N;
    every response says, in ``X-Projection-Position``, the lowest position among them.
    """

    read_models: ClassVar[tuple[str, ...]] = ()

    def initial(self, request: Request, *args, **kwargs) -> None:
        super().initial(request, *args, **kwargs)
        raw = request.headers.get("X-Min-Position")
        if raw is None:
            return
        try:
            minimum = int(raw)
            if minimum < 0:
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
