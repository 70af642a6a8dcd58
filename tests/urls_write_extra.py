"""Test-only URLconf of the write API: the real routes plus those of :mod:`tests.urls_extra`."""

from __future__ import annotations

from tests.urls_extra import extra
from write_api import urls as real

urlpatterns = [*extra, *real.urlpatterns]
handler400 = real.handler400
handler403 = real.handler403
handler404 = real.handler404
handler500 = real.handler500
