"""The secret keys: never a committed default.

``SECRET_KEY`` (Django) and ``JWT_SIGNING_KEY`` (HMAC of every token both APIs accept) come from the
environment or, when unset, from ``DATA_DIR/keys.env``: :func:`ensure_keys` (run by
``infra.with_services``, so by ``make run``, ``make test`` and ``make manage``) generates random keys
there once, readable by their owner only (mode 0600), and later runs reuse them so tokens stay valid
across restarts. Settings refuse to start without a key or with one too short to resist guessing
(:func:`required_key`), so no deployment can fall back to a key anyone can read in the repository.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

NAMES = ("SECRET_KEY", "JWT_SIGNING_KEY")
MIN_LENGTH = 32


def keys_file(data_dir: Path) -> Path:
    return data_dir / "keys.env"


def stored_keys(data_dir: Path) -> dict[str, str]:
    path = keys_file(data_dir)
    if not path.exists():
        return {}
    values = {}
    for line in path.read_text().splitlines():
        name, sep, value = line.partition("=")
        if sep and name.strip() in NAMES:
            values[name.strip()] = value.strip()
    return values


def ensure_keys(data_dir: Path) -> dict[str, str]:
    """The keys the environment does not set, generated into ``DATA_DIR/keys.env`` the first time."""
    stored = stored_keys(data_dir)
    missing = [name for name in NAMES if name not in stored]
    if missing:
        stored.update({name: secrets.token_urlsafe(48) for name in missing})
        data_dir.mkdir(parents=True, exist_ok=True)
        path = keys_file(data_dir)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.fchmod(descriptor, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write("".join(f"{name}={stored[name]}\n" for name in NAMES))
    return {name: value for name, value in stored.items() if not os.environ.get(name)}


def required_key(name: str, value: str | None) -> str:
    """``value`` if it is a usable key; otherwise refuse to start."""
    if not value:
        raise ImproperlyConfigured(
            f"{name} is not set. `make run` generates one into DATA_DIR/keys.env; elsewhere set it to a random "
            f"value of at least {MIN_LENGTH} characters (e.g. `python -c 'import secrets; "
            f"print(secrets.token_urlsafe(48))'`).")
    if len(value) < MIN_LENGTH:
        raise ImproperlyConfigured(f"{name} is too short: use a random value of at least {MIN_LENGTH} characters.")
    return value
