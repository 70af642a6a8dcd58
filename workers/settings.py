"""Settings of worker processes and of ``manage.py``: the write API's plus the projection runtime."""

from write_api.settings import *  # noqa: F403
from write_api.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "workers"]
