"""The base of every read-API view: positions in, positions out, and the request's ``Server-Timing``."""

from __future__ import annotations

import time
from typing import Any, ClassVar

from django.http import HttpRequest
from django.http.response import HttpResponseBase
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api_conventions.authentication import CheckedStatelessJWTAuthentication
from read_models import positions, timing


def answers_at(request: Request, position: int | None) -> None:
    """Records the position the answer reflects, for its ``X-Projection-Position`` header."""
    # DRF builds the request, so the attribute cannot be declared on a subclass of it.
    request.projection_position = position  # type: ignore[attr-defined]


class ReadModelView(APIView):
    """Declares the read models it answers from.

    ``X-Min-Position: N`` makes the request wait (bounded) until each of them applied event N;
    every response says, in ``X-Projection-Position``, the lowest position among them, read before the
    answer is (so the answer reflects at least that position), and in ``Server-Timing`` where its time went
    (:mod:`read_models.timing`).
    """

    read_models: ClassVar[tuple[str, ...]] = ()
    # The token is the identity: no user table to ask (the read API has no database). Declared here, not
    # only in settings, because DRF copies its defaults onto APIView once, when first imported.
    authentication_classes = [CheckedStatelessJWTAuthentication]

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        token = timing.start()
        try:
            return super().dispatch(request, *args, **kwargs)
        finally:
            timing.stop(token)

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        minimum = positions.parse_min_position(request.headers.get("X-Min-Position"))
        with timing.fetching():
            answers_at(request, self.projection_position(minimum))

    def projection_position(self, minimum: int | None) -> int | None:
        """The position this answer reflects at least (``X-Projection-Position``), after the bounded wait
        for ``minimum`` when the request sent one (the rule is :func:`read_models.positions.await_position`,
        the same for every read model). Without one, a failure to read it leaves the header out."""
        if minimum is not None:
            return positions.await_position(minimum, self.applied_position, self.wait_until)
        if not self.read_models:
            return None
        try:
            return self.applied_position()
        except Exception:  # noqa: BLE001 - the header must not turn an answer into an error
            return None

    def applied_position(self) -> int:
        """The lowest position among :attr:`read_models` (their positions in Redis)."""
        return positions.lowest_position(self.read_models)

    def wait_until(self, minimum: int, timeout: float) -> int | None:
        """Wait up to ``timeout`` seconds for :meth:`applied_position` to reach ``minimum``; None if it did not."""
        return positions.wait_until(self.read_models, minimum, timeout)

    def finalize_response(self, request: Request, response: Response, *args: Any, **kwargs: Any) -> Response:
        response = super().finalize_response(request, response, *args, **kwargs)
        position = getattr(request, "projection_position", None)
        if position is not None:
            response["X-Projection-Position"] = str(position)
        clock = timing.current()
        if clock is not None and hasattr(response, "add_post_render_callback"):
            answered = time.perf_counter()

            def add_server_timing(rendered: Response) -> None:
                # Django renders after the response middleware that may still edit the answer; time it there.
                rendered["Server-Timing"] = timing.header(clock, answered, time.perf_counter())

            response.add_post_render_callback(add_server_timing)
        return response
