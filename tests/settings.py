"""Test settings: the worker settings (write API + runtime), isolated per xdist worker, fast hashing.

* Under pytest-xdist each worker gets its own Redis database and ``DATA_DIR`` (search indices, DuckDB
  files); pytest-django already gives each its own PostgreSQL test database. The variables are set in
  the environment before the settings load, so subprocesses a test starts inherit the same isolation.
* PBKDF2's deliberate slowness (~0.3 s a hash) would dominate a suite that registers thousands of users.
"""

import os
import re

_worker = os.environ.get("PYTEST_XDIST_WORKER", "")
if _worker.startswith("gw"):
    _index = int(_worker[2:])
    if os.environ.get("REDIS_URL"):
        os.environ["REDIS_URL"] = re.sub(r"/\d+$", "", os.environ["REDIS_URL"].rstrip("/")) + f"/{8 + _index}"
        os.environ["CELERY_BROKER_URL"] = os.environ["REDIS_URL"]
    if os.environ.get("DATA_DIR"):
        os.environ["DATA_DIR"] = os.path.join(os.environ["DATA_DIR"], _worker)

# The warehouse's catalog database: one per xdist worker, never `make run`'s. Set even when inherited
# (pytest-xdist's controller loads these settings too, and its workers would otherwise share its value).
if os.environ.get("DATABASE_URL"):
    from urllib.parse import urlsplit, urlunsplit

    _url = urlsplit(os.environ["DATABASE_URL"])
    _name = (_url.path.lstrip("/") or "marketplace").removeprefix("test_")
    os.environ["WAREHOUSE_CATALOG_URL"] = urlunsplit(
        _url._replace(path=f"/test_{_name}_warehouse" + (f"_{_worker}" if _worker else "")))

from workers.settings import *  # noqa: E402, F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
