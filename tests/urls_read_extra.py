"""Test-only URLconf of the read API: the real routes plus those of :mod:`tests.urls_extra`."""

from __future__ import annotations

from read_models import urls as real
from tests.urls_extra import extra

urlpatterns = [*extra, *real.urlpatterns]
handler400 = real.handler400
handler403 = real.handler403
handler404 = real.handler404
handler500 = real.handler500
