"""Settings the type checker loads (mypy's Django plugin imports them): the workers' settings with a throwaway
random ``SECRET_KEY`` when none is set, so plain ``mypy`` runs anywhere. Never used to serve anything."""

import os
import secrets

os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(48))

from workers.settings import *  # noqa: E402, F403
